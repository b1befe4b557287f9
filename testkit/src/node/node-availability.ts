/**
 * Whether this machine and process can run the test node, and if not, why, in words a person
 * can act on: tests that need pods skip with this reason (and only those tests). The facts are
 * read here; judging them is a pure function.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { cgroupHierarchies } from './machine-state.ts';

export type NodeAvailability = { readonly available: true } | { readonly available: false; readonly reason: string };

export interface MachineFacts {
  readonly uid: number | undefined;
  /** CapEff of this process. */
  readonly effectiveCapabilities: bigint;
  /** Mounted cgroup hierarchies (v1 controllers by name, or "unified" for v2 alone). */
  readonly cgroupControllers: readonly string[];
  readonly cgroupsWritable: boolean;
  readonly procSysWritable: boolean;
  /** Programs and files the node runs that are not there. */
  readonly missing: readonly string[];
  /** `iptables --version`, e.g. "iptables v1.8.9 (nf_tables)". */
  readonly iptablesVersion: string;
}

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;
const NEEDED_V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'];

/** Commands, with the Debian package that has them. */
const TOOLS: readonly (readonly [string, string])[] = [
  ['containerd', 'containerd'],
  ['containerd-shim-runc-v2', 'containerd'],
  ['ctr', 'containerd'],
  ['runc', 'runc'],
  ['iptables', 'iptables'],
  ['iptables-save', 'iptables'],
  ['iptables-restore', 'iptables'],
  ['ip6tables', 'iptables'],
  ['ip6tables-save', 'iptables'],
  ['ip6tables-restore', 'iptables'],
  ['nft', 'nftables'],
  ['ip', 'iproute2'],
  ['gcc', 'gcc'],
  ['openssl', 'openssl'],
  ['findmnt', 'util-linux'],
  ['tar', 'tar'],
];
const CNI_PLUGINS = ['bridge', 'host-local', 'loopback'];

export function judgeAvailability(facts: MachineFacts): NodeAvailability {
  const no = (reason: string): NodeAvailability => ({ available: false, reason: `no test node on this machine: ${reason}` });
  if (facts.uid !== 0) return no('it needs root (kubelet, containerd, runc, the pod network); run the tests as root');
  const missingCaps = [
    [CAP_NET_ADMIN, 'CAP_NET_ADMIN (bridge, routes, iptables)'],
    [CAP_SYS_ADMIN, 'CAP_SYS_ADMIN (mounts, namespaces)'],
  ]
    .filter(([bit]) => (facts.effectiveCapabilities & (1n << (bit as bigint))) === 0n)
    .map(([, name]) => name as string);
  if (missingCaps.length > 0) return no(`this root lacks ${missingCaps.join(' and ')}; run in a privileged container or a VM`);
  if (facts.cgroupControllers.length === 0) return no('no cgroup file system is mounted at /sys/fs/cgroup');
  if (!facts.cgroupControllers.includes('unified-only')) {
    const absent = NEEDED_V1_CONTROLLERS.filter((name) => !facts.cgroupControllers.includes(name));
    if (absent.length > 0) return no(`the cgroup v1 controllers ${absent.join(', ')} are not mounted under /sys/fs/cgroup`);
  }
  if (!facts.cgroupsWritable) return no('/sys/fs/cgroup is read-only here; kubelet must create cgroups');
  if (!facts.procSysWritable) return no('/proc/sys is read-only here; the node must turn on IPv4 forwarding');
  if (facts.missing.length > 0) return no(`missing ${facts.missing.join(', ')}; run \`make system-packages\``);
  if (!facts.iptablesVersion.includes('nf_tables')) {
    return no(
      `iptables is not the nf_tables variant (${facts.iptablesVersion.trim() || 'no version'}), so the tables kube-proxy adds could not be removed afterwards; select iptables-nft (update-alternatives --set iptables /usr/sbin/iptables-nft)`,
    );
  }
  return { available: true };
}

export function readMachineFacts(): MachineFacts {
  const hierarchies = cgroupHierarchies();
  const unifiedOnly = hierarchies.length === 1 && existsSync(`${hierarchies[0]}/cgroup.controllers`);
  return {
    uid: process.getuid?.(),
    effectiveCapabilities: BigInt(`0x${/^CapEff:\s*([0-9a-f]+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'}`),
    cgroupControllers: unifiedOnly ? ['unified-only'] : hierarchies.flatMap((path) => (path.split('/').pop() ?? '').split(',')),
    cgroupsWritable: hierarchies.length > 0 && hierarchies.every(writable),
    procSysWritable: writable('/proc/sys/net/ipv4/ip_forward'),
    missing: [
      ...TOOLS.filter(([tool]) => !onPath(tool)).map(([tool, pkg]) => `${tool} (Debian package ${pkg})`),
      ...CNI_PLUGINS.filter((plugin) => !existsSync(`/usr/lib/cni/${plugin}`)).map(
        (plugin) => `/usr/lib/cni/${plugin} (Debian package containernetworking-plugins)`,
      ),
    ],
    iptablesVersion: spawnSync('iptables', ['--version'], { encoding: 'utf8' }).stdout ?? '',
  };
}

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .concat(['/usr/sbin', '/sbin'])
    .some((dir) => {
      try {
        accessSync(`${dir}/${tool}`, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
