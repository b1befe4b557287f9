/**
 * No packet of a pod leaves the machine. Pods have no default route (pod-network.ts), and in case
 * one adds its own or a Service points outside:
 * - blackhole routes for the service range (a ClusterIP kube-proxy did not translate goes
 *   nowhere, not out of the default route) and, below the bridge's own route, the pod range;
 * - a chain in the mangle table's FORWARD hook (before kube-proxy's filter rules, which accept
 *   what they masquerade), IPv4 and IPv6, that drops everything forwarded to or from the
 *   machine's other interfaces and everything leaving or entering the bridge from elsewhere. The
 *   machine forwards (ip_forward=1) only while this chain is in place.
 * The chain's counters say whether anything tried; the node reports them at stop(). Everything
 * installed here is removed by the machine restore (machine-restore.ts), not here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { HarnessError } from '../errors.ts';
import { cidrsOverlap, type PodNetwork } from './pod-network.ts';

export const GUARD_CHAIN = 'AIRLOCK-NODE-GUARD';
/** Below the bridge's connected route (metric 0), above nothing. */
const POD_BLACKHOLE_METRIC = 4242;

export interface GuardCounter {
  /** The rule as iptables-save prints it, e.g. `-A AIRLOCK-NODE-GUARD -o eth0 -j DROP`. */
  readonly rule: string;
  readonly family: 'ipv4' | 'ipv6';
  readonly packets: number;
  readonly bytes: number;
}

/** iptables-restore --noflush input: the chain, its drops, and a jump to it first in FORWARD. */
export function guardRules(network: PodNetwork, externalInterfaces: readonly string[]): string {
  const bridge = network.bridge;
  return [
    '*mangle',
    `:${GUARD_CHAIN} - [0:0]`,
    ...externalInterfaces.flatMap((name) => [`-A ${GUARD_CHAIN} -i ${name} -j DROP`, `-A ${GUARD_CHAIN} -o ${name} -j DROP`]),
    `-A ${GUARD_CHAIN} -i ${bridge} ! -o ${bridge} -j DROP`,
    `-A ${GUARD_CHAIN} ! -i ${bridge} -o ${bridge} -j DROP`,
    `-I FORWARD 1 -j ${GUARD_CHAIN}`,
    'COMMIT',
    '',
  ].join('\n');
}

/** The guard chain's rules with their counters, from `iptables-save -c -t mangle`. */
export function parseGuardCounters(save: string, family: 'ipv4' | 'ipv6'): GuardCounter[] {
  const counters: GuardCounter[] = [];
  for (const line of save.split('\n')) {
    const match = /^\[(\d+):(\d+)\] (-A \S+ .*)$/.exec(line.trim());
    if (match?.[3]?.startsWith(`-A ${GUARD_CHAIN} `)) {
      counters.push({ rule: match[3], family, packets: Number(match[1]), bytes: Number(match[2]) });
    }
  }
  return counters;
}

/** Every interface but loopback, the bridge and the pods' veths: what pod traffic must never reach. */
export function externalInterfaces(links: readonly string[], network: PodNetwork): string[] {
  return links.filter((name) => name !== 'lo' && name !== network.bridge && !name.startsWith('veth'));
}

/** Throws when a route of the machine overlaps the pod or service range (another network uses it). */
export function checkRangesFree(routes: readonly string[], network: PodNetwork): void {
  for (const route of routes) {
    const [first, second] = route.trim().split(/\s+/);
    const destination = /^(unicast|local|broadcast|blackhole|unreachable|prohibit|throw|multicast|anycast)$/.test(first ?? '')
      ? second
      : first;
    if (!destination || destination === 'default' || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(destination)) continue;
    for (const range of [network.podCidr, network.serviceCidr]) {
      if (cidrsOverlap(destination, range)) {
        throw new HarnessError(
          'NodeRangeInUse',
          `the machine already routes ${destination} (${route.trim()}), which overlaps the test node's range ${range}: a test node left over from a killed run whose watchdog was killed too, or another network; remove the route (or the bridge ${network.bridge}) and try again`,
        );
      }
    }
  }
}

/**
 * Installs the guard and the blackholes, makes the bridge with the node address, then turns on
 * forwarding: in this order, so the machine never forwards unguarded.
 */
export function installPodNetwork(network: PodNetwork): void {
  const links = readdirSync('/sys/class/net');
  const externals = externalInterfaces(links, network);
  const rules = guardRules(network, externals);
  run('iptables-restore', ['-w', '5', '--noflush'], rules);
  run('ip6tables-restore', ['-w', '5', '--noflush'], rules);
  run('ip', ['-4', 'route', 'add', 'blackhole', network.serviceCidr]);
  run('ip', ['-4', 'route', 'add', 'blackhole', network.podCidr, 'metric', String(POD_BLACKHOLE_METRIC)]);
  run('ip', ['link', 'add', network.bridge, 'type', 'bridge']);
  const prefix = network.podCidr.split('/')[1];
  run('ip', ['addr', 'add', `${network.gateway}/${prefix}`, 'dev', network.bridge]);
  run('ip', ['link', 'set', network.bridge, 'up']);
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1') writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
}

export function readGuardCounters(): GuardCounter[] {
  return [
    ...parseGuardCounters(run('iptables-save', ['-c', '-t', 'mangle']), 'ipv4'),
    ...parseGuardCounters(run('ip6tables-save', ['-c', '-t', 'mangle']), 'ipv6'),
  ];
}

function run(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (result.status !== 0) {
    throw new HarnessError('NodeNetworkFailed', `${command} ${args.join(' ')} failed: ${result.error?.message ?? result.stderr.trim()}`);
  }
  return result.stdout;
}
