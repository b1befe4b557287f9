/**
 * The test node's pod network, as data: one Linux bridge with the node's address, pods on one
 * /24 with host-local addresses, and routes in each pod only to the pod and service ranges (no
 * default route), so a pod can reach other pods, Services and what the machine serves on the
 * bridge address, and nothing else. The CNI configuration containerd hands the bridge plugin is
 * built here; network-guard.ts keeps packets from leaving the machine even if a pod tries.
 */

export interface PodNetwork {
  /** The bridge's name (at most 15 characters, a Linux interface name). */
  readonly bridge: string;
  /** Where pods get addresses: the bridge's subnet. */
  readonly podCidr: string;
  /** The bridge's own address: the node IP, the pods' gateway, where the machine serves pods. */
  readonly gateway: string;
  /** The API server's --service-cluster-ip-range. */
  readonly serviceCidr: string;
  /** The cluster DNS's ClusterIP (cluster-dns.ts), in the service range: every pod's nameserver. */
  readonly dnsServiceIp: string;
}

/** Ranges no machine of ours uses; start() refuses to run when one overlaps a route of the machine. */
export const POD_NETWORK: PodNetwork = {
  bridge: 'airlock0',
  podCidr: '10.244.0.0/24',
  gateway: '10.244.0.1',
  serviceCidr: '10.0.0.0/24',
  // The tenth address, as kubeadm picks it; the API server's `kubernetes` Service has the first.
  dnsServiceIp: '10.0.0.10',
};

/** The CNI network name (also the host-local IPAM's subfolder). */
export const CNI_NETWORK_NAME = 'airlock-pods';

/**
 * The conflist containerd's CRI plugin runs for every pod sandbox. The bridge plugin attaches the
 * pod's veth to the bridge and, as gateway, keeps the node address on it; host-local hands out
 * addresses and keeps its leases in `ipamDataDir` (not /var/lib/cni). `ipMasq` stays off: pods
 * talk only to the node and each other, and kube-proxy masquerades Service traffic itself.
 * Hairpin mode lets a pod reach itself through a Service.
 */
export function cniConflist(network: PodNetwork, ipamDataDir: string): object {
  return {
    cniVersion: '1.0.0',
    name: CNI_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: network.bridge,
        isGateway: true,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: network.podCidr, gateway: network.gateway }]],
          // The pod subnet is on-link; the only other route is to Services, through the node.
          routes: [{ dst: network.serviceCidr }],
          dataDir: ipamDataDir,
        },
      },
    ],
  };
}

/** `a.b.c.d/n` as a 32-bit number and a prefix length; throws on anything else. */
export function parseCidr(cidr: string): { base: number; bits: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr);
  if (!match) throw new Error(`not an IPv4 address or CIDR: ${cidr}`);
  const octets = match.slice(1, 5).map(Number);
  const bits = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || bits > 32) throw new Error(`not an IPv4 address or CIDR: ${cidr}`);
  const address = octets.reduce((sum, o) => sum * 256 + o, 0);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return { base: bitAnd(address, mask), bits };
}

/** Whether two IPv4 ranges share an address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const bits = Math.min(x.bits, y.bits);
  const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
  return bitAnd(x.base, mask) === bitAnd(y.base, mask);
}

// `&` works on signed 32-bit numbers; this keeps addresses above 127.255.255.255 positive.
const bitAnd = (a: number, b: number): number => (a & b) >>> 0;
