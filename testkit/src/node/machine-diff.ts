/**
 * Comparing two readings of the machine (machine-state.ts) and planning the way back from the
 * second to the first, without touching anything: each function takes the state saved before the
 * node started and the state now, and returns steps that machine-restore.ts carries out. A restore
 * runs in phases and reads the machine again between them (links take their routes with them,
 * unmounting frees paths), so each phase has its own planner.
 */
import type { MachineScope, MachineState } from './machine-state.ts';

export type RestoreStep =
  | { readonly kind: 'unmount'; readonly target: string }
  | { readonly kind: 'sysctl'; readonly path: string; readonly value: string }
  | { readonly kind: 'delete-link'; readonly name: string }
  | { readonly kind: 'delete-route'; readonly family: 'ipv4' | 'ipv6'; readonly route: string }
  | { readonly kind: 'iptables-restore'; readonly family: 'ipv4' | 'ipv6'; readonly table: string; readonly text: string }
  | { readonly kind: 'nft-delete-table'; readonly table: string }
  | { readonly kind: 'remove-path'; readonly path: string }
  | { readonly kind: 'remove-cgroup'; readonly path: string };

/** New mounts under the scope, deepest first; a target mounted twice more is unmounted twice. */
export function unmountSteps(before: MachineState, now: MachineState): RestoreStep[] {
  const left = countBy(before.mounts);
  const added: string[] = [];
  for (const target of now.mounts) {
    const count = left.get(target) ?? 0;
    if (count > 0) left.set(target, count - 1);
    else added.push(target);
  }
  // Later mounts of one target sit on top: unmount in reverse order of appearance, deepest path first.
  return added
    .map((target, index) => ({ target, index }))
    .sort((a, b) => depth(b.target) - depth(a.target) || b.index - a.index)
    .map(({ target }) => ({ kind: 'unmount', target }));
}

/**
 * Values that changed, ip_forward first: writing it resets every interface's forwarding, which
 * the per-interface values restored after it then correct.
 */
export function sysctlSteps(before: MachineState, now: MachineState): RestoreStep[] {
  const steps: RestoreStep[] = [];
  for (const [path, value] of Object.entries(before.sysctls)) {
    const current = now.sysctls[path];
    if (current !== undefined && current !== value) steps.push({ kind: 'sysctl', path, value });
  }
  return steps.sort((a, b) => Number(!isIpForward(a)) - Number(!isIpForward(b)));
}

/** Links that appeared and are the node's (its bridge, the pods' veths). */
export function linkSteps(before: MachineState, now: MachineState, scope: MachineScope): RestoreStep[] {
  const had = new Set(before.links);
  return now.links
    .filter((name) => !had.has(name))
    .filter((name) => scope.linkNames.includes(name) || scope.linkPrefixes.some((prefix) => name.startsWith(prefix)))
    .map((name) => ({ kind: 'delete-link', name }));
}

/** Routes that appeared and mention the node's ranges or bridge (the blackholes, what a link left). */
export function routeSteps(before: MachineState, now: MachineState, scope: MachineScope): RestoreStep[] {
  return (['ipv4', 'ipv6'] as const).flatMap((family) => {
    const had = new Set(before.routes[family].map(normaliseRoute));
    return now.routes[family]
      .filter((route) => !had.has(normaliseRoute(route)))
      .filter((route) => scope.routeMarkers.some((marker) => route.includes(marker)))
      .map((route): RestoreStep => ({ kind: 'delete-route', family, route: normaliseRoute(route) }));
  });
}

/**
 * Tables that did not exist are deleted whole (nft: iptables-nft cannot drop a table); tables
 * that changed get their saved rules back with iptables-restore, which replaces only the tables
 * its input names.
 */
export function firewallSteps(before: MachineState, now: MachineState): RestoreStep[] {
  const hadTables = new Set(before.nftTables);
  const deleted = now.nftTables.filter((table) => !hadTables.has(table));
  const steps: RestoreStep[] = deleted.map((table) => ({ kind: 'nft-delete-table', table }));
  for (const family of ['ipv4', 'ipv6'] as const) {
    const nftFamily = family === 'ipv4' ? 'ip' : 'ip6';
    const was = iptablesTables(before.iptables[family]);
    const is = iptablesTables(now.iptables[family]);
    for (const [table, text] of was) {
      if (is.get(table) !== text) steps.push({ kind: 'iptables-restore', family, table, text });
    }
    for (const table of is.keys()) {
      if (!was.has(table) && !deleted.includes(`${nftFamily} ${table}`)) {
        // Added through a backend nft cannot see (legacy xtables): empty it at least.
        steps.push({ kind: 'iptables-restore', family, table, text: emptyTable(table, is.get(table) ?? '') });
      }
    }
  }
  return steps;
}

/** What appeared under the watched host paths: the path itself if it was absent, else its new entries. */
export function pathSteps(before: MachineState, now: MachineState): RestoreStep[] {
  const steps: RestoreStep[] = [];
  for (const [path, entries] of Object.entries(now.paths)) {
    if (entries === null) continue;
    const had = before.paths[path];
    if (had === undefined) continue;
    if (had === null) {
      steps.push({ kind: 'remove-path', path });
      continue;
    }
    const known = new Set(had);
    const removed: string[] = [];
    for (const entry of entries) {
      if (known.has(entry) || removed.some((parent) => entry.startsWith(`${parent}/`))) continue;
      removed.push(entry);
      steps.push({ kind: 'remove-path', path: `${path}/${entry}` });
    }
  }
  return steps;
}

/** New top-level cgroups the node owns, in every hierarchy. */
export function cgroupSteps(before: MachineState, now: MachineState, scope: MachineScope): RestoreStep[] {
  return Object.entries(now.cgroups).flatMap(([hierarchy, children]) => {
    const had = new Set(before.cgroups[hierarchy] ?? []);
    return children
      .filter((name) => !had.has(name) && scope.cgroupNames.includes(name))
      .map((name): RestoreStep => ({ kind: 'remove-cgroup', path: `${hierarchy}/${name}` }));
  });
}

/** Every difference between two readings, one line each; empty when the machine is as it was. */
export function describeDifferences(before: MachineState, after: MachineState): string[] {
  const out: string[] = [];
  for (const path of new Set([...Object.keys(before.sysctls), ...Object.keys(after.sysctls)])) {
    if (before.sysctls[path] !== after.sysctls[path]) {
      out.push(`sysctl ${path}: ${before.sysctls[path] ?? '(absent)'} → ${after.sysctls[path] ?? '(absent)'}`);
    }
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    const was = iptablesTables(before.iptables[family]);
    const is = iptablesTables(after.iptables[family]);
    for (const table of new Set([...was.keys(), ...is.keys()])) {
      const a = was.get(table);
      const b = is.get(table);
      if (a === b) continue;
      if (a === undefined) out.push(`${family} iptables table ${table} added`);
      else if (b === undefined) out.push(`${family} iptables table ${table} gone`);
      else {
        const old = new Set(a.split('\n'));
        const current = new Set(b.split('\n'));
        for (const line of current) if (!old.has(line)) out.push(`${family} iptables ${table}: + ${line}`);
        for (const line of old) if (!current.has(line)) out.push(`${family} iptables ${table}: - ${line}`);
      }
    }
  }
  out.push(...setDifferences('nft table', before.nftTables, after.nftTables));
  out.push(...setDifferences('link', before.links, after.links));
  for (const family of ['ipv4', 'ipv6'] as const) {
    out.push(...setDifferences(`${family} route`, before.routes[family].map(normaliseRoute), after.routes[family].map(normaliseRoute)));
  }
  for (const path of new Set([...Object.keys(before.paths), ...Object.keys(after.paths)])) {
    const a = before.paths[path];
    const b = after.paths[path];
    if (a === null && b === null) continue;
    if (a === null || a === undefined) out.push(`path ${path} added`);
    else if (b === null || b === undefined) out.push(`path ${path} gone`);
    else out.push(...setDifferences(`path ${path}:`, a, b));
  }
  for (const hierarchy of new Set([...Object.keys(before.cgroups), ...Object.keys(after.cgroups)])) {
    out.push(...setDifferences(`cgroup in ${hierarchy}:`, before.cgroups[hierarchy] ?? [], after.cgroups[hierarchy] ?? []));
  }
  out.push(...setDifferences('mount', before.mounts, after.mounts));
  return out;
}

/** iptables-save output by table, without the comment lines and the chains' packet counters. */
export function iptablesTables(save: string): Map<string, string> {
  const tables = new Map<string, string>();
  let table: string | undefined;
  let body: string[] = [];
  for (const raw of save.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      table = line.slice(1);
      body = [line];
    } else if (table !== undefined) {
      body.push(line.replace(/\s\[\d+:\d+\]$/, ' [0:0]'));
      if (line === 'COMMIT') {
        tables.set(table, body.join('\n'));
        table = undefined;
      }
    }
  }
  return tables;
}

/** `ip route` prints some routes with a trailing space; the kernel's own flags are not part of the route. */
export function normaliseRoute(route: string): string {
  return route
    .replace(/\s+/g, ' ')
    .replace(/ (linkdown|dead|offload|trap|rt_offload|rt_trap)\b/g, '')
    .trim();
}

/** iptables-restore input that leaves the table's built-in chains empty with policy ACCEPT. */
function emptyTable(table: string, text: string): string {
  const builtins = text
    .split('\n')
    .filter((line) => /^:[A-Z]+ [A-Z]+ /.test(line))
    .map((line) => `:${line.slice(1).split(' ')[0]} ACCEPT [0:0]`);
  return [`*${table}`, ...builtins, 'COMMIT'].join('\n');
}

function setDifferences(what: string, before: readonly string[], after: readonly string[]): string[] {
  const a = new Set(before);
  const b = new Set(after);
  return [
    ...[...b].filter((x) => !a.has(x)).map((x) => `${what} ${x} added`),
    ...[...a].filter((x) => !b.has(x)).map((x) => `${what} ${x} gone`),
  ];
}

const isIpForward = (step: RestoreStep): boolean => step.kind === 'sysctl' && step.path === '/proc/sys/net/ipv4/ip_forward';

const depth = (path: string): number => path.split('/').length;

function countBy(items: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}
