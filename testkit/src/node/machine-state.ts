/**
 * What a test node changes on the machine, as plain data that can be saved as JSON, compared
 * and restored: sysctl values kubelet, kube-proxy and the bridge plugin write; the iptables and
 * nftables tables; network links and routes; host paths kubelet and containerd use whatever their
 * configuration says; top-level cgroups; mounts under the node's paths. The reading is here
 * (readMachineState); comparing and planning the way back is pure (machine-diff.ts);
 * machine-restore.ts does it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError } from '../errors.ts';

/** Where and what a restore may touch: saved with the state, so a watchdog can restore alone. */
export interface MachineScope {
  /** Mounts under these prefixes are recorded; new ones are unmounted. */
  readonly mountPrefixes: readonly string[];
  /** Files and dirs recorded (a listing two levels deep); what appears is removed. */
  readonly hostPaths: readonly string[];
  /** Links with these names, or names starting with a prefix, are deleted when they appear. */
  readonly linkNames: readonly string[];
  readonly linkPrefixes: readonly string[];
  /** Routes whose line mentions one of these are deleted when they appear. */
  readonly routeMarkers: readonly string[];
  /** Top-level cgroup dirs (in every hierarchy) removed when they appear, their processes killed first. */
  readonly cgroupNames: readonly string[];
  /** Processes whose command line contains one of these are killed (containerd's shims). */
  readonly processMarkers: readonly string[];
}

export interface MachineState {
  /** Absolute path under /proc/sys or /sys/module → value, for the keys that exist. */
  readonly sysctls: Readonly<Record<string, string>>;
  /** iptables-save and ip6tables-save output. */
  readonly iptables: { readonly ipv4: string; readonly ipv6: string };
  /** `nft list tables`: "ip filter", "ip6 nat", ... */
  readonly nftTables: readonly string[];
  readonly links: readonly string[];
  /** `ip route show table all`, one line each. */
  readonly routes: { readonly ipv4: readonly string[]; readonly ipv6: readonly string[] };
  /** hostPaths entry → null when absent, else its entries two levels deep ("" is the path itself). */
  readonly paths: Readonly<Record<string, readonly string[] | null>>;
  /** cgroup hierarchy mount point → its top-level child dirs. */
  readonly cgroups: Readonly<Record<string, readonly string[]>>;
  /** Mount targets under the scope's prefixes. */
  readonly mounts: readonly string[];
}

/**
 * Values kubelet (vm.*, kernel.*), kube-proxy (conntrack, route_localnet) and the CNI bridge
 * plugin (ip_forward) may write. Per-interface forwarding is added for the links that exist.
 */
export const WATCHED_SYSCTLS: readonly string[] = [
  '/proc/sys/net/ipv4/ip_forward',
  '/proc/sys/net/ipv4/conf/all/route_localnet',
  '/proc/sys/net/bridge/bridge-nf-call-iptables',
  '/proc/sys/net/bridge/bridge-nf-call-ip6tables',
  '/proc/sys/net/bridge/bridge-nf-call-arptables',
  '/proc/sys/net/netfilter/nf_conntrack_max',
  '/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established',
  '/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_close_wait',
  '/proc/sys/net/netfilter/nf_conntrack_tcp_be_liberal',
  '/proc/sys/net/netfilter/nf_conntrack_udp_timeout',
  '/proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream',
  '/sys/module/nf_conntrack/parameters/hashsize',
  '/proc/sys/vm/overcommit_memory',
  '/proc/sys/vm/panic_on_oom',
  '/proc/sys/kernel/panic',
  '/proc/sys/kernel/panic_on_oops',
  '/proc/sys/kernel/keys/root_maxkeys',
  '/proc/sys/kernel/keys/root_maxbytes',
];

/** Host paths kubelet, containerd's shims and the CNI library use regardless of their configured dirs. */
export const WATCHED_HOST_PATHS: readonly string[] = [
  '/var/lib/kubelet',
  '/var/log/containers',
  '/var/log/pods',
  '/var/lib/cni',
  '/run/netns',
  '/run/containerd',
  '/var/lib/containerd',
  '/run/runc',
  '/etc/cni',
  '/opt/cni',
  '/etc/kubernetes',
  '/var/lib/kube-proxy',
  '/usr/libexec/kubernetes',
  '/run/xtables.lock',
];

export const CGROUP_MOUNT_ROOT = '/sys/fs/cgroup';

export function readMachineState(scope: MachineScope): MachineState {
  return {
    sysctls: readSysctls(),
    iptables: { ipv4: run('iptables-save', []), ipv6: run('ip6tables-save', []) },
    nftTables: run('nft', ['list', 'tables'])
      .split('\n')
      .map((line) => line.replace(/^table\s+/, '').trim())
      .filter(Boolean)
      .sort(),
    links: readdirSync('/sys/class/net').sort(),
    routes: {
      ipv4: lines(run('ip', ['-o', '-4', 'route', 'show', 'table', 'all'])),
      ipv6: lines(run('ip', ['-o', '-6', 'route', 'show', 'table', 'all'])),
    },
    paths: Object.fromEntries(scope.hostPaths.map((path) => [path, listing(path)])),
    cgroups: readCgroupChildren(),
    mounts: readMounts().filter((target) => scope.mountPrefixes.some((prefix) => target === prefix || target.startsWith(`${prefix}/`))),
  };
}

/** Every mount target of the machine, `\x20`-style escapes decoded. */
export function readMounts(): string[] {
  return lines(run('findmnt', ['--raw', '--noheadings', '--output', 'TARGET'])).map((line) =>
    line.replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  );
}

/** The cgroup hierarchies: each v1 controller's mount and the v2 (unified) one, by mount point. */
export function cgroupHierarchies(): string[] {
  if (!existsSync(CGROUP_MOUNT_ROOT)) return [];
  if (existsSync(join(CGROUP_MOUNT_ROOT, 'cgroup.controllers'))) return [CGROUP_MOUNT_ROOT];
  return readdirSync(CGROUP_MOUNT_ROOT)
    .map((name) => join(CGROUP_MOUNT_ROOT, name))
    .filter((path) => !isSymlink(path) && existsSync(join(path, 'cgroup.procs')));
}

function readSysctls(): Record<string, string> {
  const perInterface = ['ipv4', 'ipv6'].flatMap((family) => {
    const dir = `/proc/sys/net/${family}/conf`;
    return existsSync(dir) ? readdirSync(dir).map((name) => `${dir}/${name}/forwarding`) : [];
  });
  const values: Record<string, string> = {};
  for (const path of [...WATCHED_SYSCTLS, ...perInterface]) {
    try {
      values[path] = readFileSync(path, 'utf8').trim();
    } catch {
      // not on this kernel
    }
  }
  return values;
}

function readCgroupChildren(): Record<string, string[]> {
  return Object.fromEntries(
    cgroupHierarchies().map((hierarchy) => [
      hierarchy,
      readdirSync(hierarchy, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort(),
    ]),
  );
}

/** The path's entries two levels deep, relative, sorted; "" stands for the path itself. */
function listing(path: string): string[] | null {
  if (!existsSync(path) && !isSymlink(path)) return null;
  const entries = [''];
  const walk = (relative: string, depth: number) => {
    let names: string[];
    try {
      if (isSymlink(join(path, relative)) || !lstatSync(join(path, relative)).isDirectory()) return;
      names = readdirSync(join(path, relative));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const child = relative ? `${relative}/${name}` : name;
      entries.push(child);
      if (depth < 2) walk(child, depth + 1);
    }
  };
  walk('', 1);
  return entries;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

const lines = (text: string): string[] =>
  text
    .split('\n')
    .map((line) => line.trimEnd())
    .filter(Boolean);

function run(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new HarnessError(
      'MachineStateUnreadable',
      `${command} ${args.join(' ')} failed (${result.error?.message ?? result.stderr.trim()}); the test node needs it to save and restore the machine`,
    );
  }
  return result.stdout;
}
