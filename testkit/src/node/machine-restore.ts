/**
 * Puts the machine back as machine-state.ts read it before the test node started: kills what
 * the node left running (pod processes in its cgroups, containerd's shims), unmounts, writes the
 * sysctls back, deletes the bridge, veths and routes, restores the firewall tables, removes host
 * paths and cgroups that appeared. The node's stop() runs it, and so does the watchdog when the
 * test process dies (`restore FILE`), so both paths are the same code. Every step is tried even
 * when one fails; the report lists what was done and what failed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cgroupSteps,
  firewallSteps,
  linkSteps,
  pathSteps,
  type RestoreStep,
  routeSteps,
  sysctlSteps,
  unmountSteps,
} from './machine-diff.ts';
import { cgroupHierarchies, type MachineScope, type MachineState, readMachineState } from './machine-state.ts';

export interface RestoreReport {
  /** What was changed back, one line each. */
  readonly done: string[];
  /** What could not be, one line each (empty when the machine is as it was). */
  readonly failed: string[];
}

/** What the watchdog needs to restore alone: written when the node starts. */
export interface SavedMachine {
  readonly before: MachineState;
  readonly scope: MachineScope;
}

export function saveMachine(path: string, saved: SavedMachine): void {
  writeFileSync(path, JSON.stringify(saved), { mode: 0o600 });
}

export async function restoreSavedMachine(path: string): Promise<RestoreReport> {
  const saved = JSON.parse(readFileSync(path, 'utf8')) as SavedMachine;
  return restoreMachine(saved.before, saved.scope);
}

export async function restoreMachine(before: MachineState, scope: MachineScope): Promise<RestoreReport> {
  const report: RestoreReport = { done: [], failed: [] };
  await killNodeProcesses(scope, report);
  const phases: ((now: MachineState) => RestoreStep[])[] = [
    (now) => unmountSteps(before, now),
    (now) => sysctlSteps(before, now),
    (now) => linkSteps(before, now, scope),
    (now) => routeSteps(before, now, scope),
    (now) => firewallSteps(before, now),
    (now) => pathSteps(before, now),
    (now) => cgroupSteps(before, now, scope),
  ];
  for (const phase of phases) {
    let now: MachineState;
    try {
      now = readMachineState(scope);
    } catch (error) {
      report.failed.push(`reading the machine: ${(error as Error).message}`);
      continue;
    }
    for (const step of phase(now)) await carryOut(step, scope, report);
  }
  return report;
}

/**
 * SIGKILL to every process in the node's cgroups and every process naming one of its dirs
 * (containerd's shims outlive containerd), until none is left or 10 s passed.
 */
export async function killNodeProcesses(scope: MachineScope, report: RestoreReport = { done: [], failed: [] }): Promise<void> {
  const deadline = Date.now() + 10_000;
  let killed = 0;
  for (;;) {
    const pids = nodeProcesses(scope);
    if (pids.length === 0) break;
    if (Date.now() > deadline) {
      report.failed.push(`processes still running after SIGKILL: ${pids.join(', ')}`);
      return;
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // gone already
      }
    }
    await sleep(100);
  }
  if (killed > 0) report.done.push(`killed ${killed} processes the node left running`);
}

function nodeProcesses(scope: MachineScope): number[] {
  const pids = new Set<number>();
  for (const hierarchy of cgroupHierarchies()) {
    for (const name of scope.cgroupNames) {
      for (const dir of cgroupTree(join(hierarchy, name))) {
        for (const pid of readFileOr(join(dir, 'cgroup.procs'), '').split('\n').filter(Boolean)) pids.add(Number(pid));
      }
    }
  }
  if (scope.processMarkers.length > 0) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = readFileOr(`/proc/${entry}/cmdline`, '').replaceAll('\0', ' ');
      if (scope.processMarkers.some((marker) => cmdline.includes(marker))) pids.add(Number(entry));
    }
  }
  pids.delete(process.pid);
  return [...pids].filter((pid) => pid > 1);
}

async function carryOut(step: RestoreStep, scope: MachineScope, report: RestoreReport): Promise<void> {
  const attempt = (what: string, ok: boolean, detail = ''): void => {
    if (ok) report.done.push(what);
    else report.failed.push(`${what}: ${detail}`);
  };
  switch (step.kind) {
    case 'unmount': {
      const plain = spawnSync('umount', [step.target], { encoding: 'utf8' });
      if (plain.status === 0) return attempt(`unmounted ${step.target}`, true);
      const lazy = spawnSync('umount', ['-l', step.target], { encoding: 'utf8' });
      return attempt(`unmounted ${step.target} (lazily, it was busy)`, lazy.status === 0, lazy.stderr.trim());
    }
    case 'sysctl':
      try {
        writeFileSync(step.path, step.value);
        return attempt(`${step.path} = ${step.value}`, true);
      } catch (error) {
        return attempt(`${step.path} = ${step.value}`, false, (error as Error).message);
      }
    case 'delete-link': {
      const result = spawnSync('ip', ['link', 'delete', step.name], { encoding: 'utf8' });
      // A veth goes with its peer's namespace: gone by now is fine.
      const gone = result.status === 0 || !existsSync(`/sys/class/net/${step.name}`);
      return attempt(`deleted link ${step.name}`, gone, result.stderr.trim());
    }
    case 'delete-route': {
      const args = step.route.split(' ');
      const result = spawnSync('ip', [step.family === 'ipv4' ? '-4' : '-6', 'route', 'delete', ...args], { encoding: 'utf8' });
      return attempt(`deleted route ${step.route}`, result.status === 0, result.stderr.trim());
    }
    case 'nft-delete-table': {
      const result = spawnSync('nft', ['delete', 'table', ...step.table.split(' ')], { encoding: 'utf8' });
      return attempt(`deleted nftables table ${step.table}`, result.status === 0, result.stderr.trim());
    }
    case 'iptables-restore': {
      const command = step.family === 'ipv4' ? 'iptables-restore' : 'ip6tables-restore';
      const result = spawnSync(command, ['-w', '5'], { input: `${step.text}\n`, encoding: 'utf8' });
      return attempt(`restored ${step.family} table ${step.table}`, result.status === 0, result.stderr.trim());
    }
    case 'remove-path':
      if (isListeningSocket(step.path)) return attempt(`left ${step.path}: a socket another process listens on`, true);
      try {
        rmSync(step.path, { recursive: true, force: true });
        return attempt(`removed ${step.path}`, true);
      } catch (error) {
        return attempt(`removed ${step.path}`, false, (error as Error).message);
      }
    case 'remove-cgroup':
      return attempt(`removed cgroup ${step.path}`, ...(await removeCgroup(step.path, scope)));
  }
}

/** rmdir deepest first; a cgroup whose last process just died may need a moment. */
async function removeCgroup(path: string, scope: MachineScope): Promise<[boolean, string]> {
  let lastError = '';
  for (let attempt = 0; attempt < 50; attempt++) {
    if (!existsSync(path)) return [true, ''];
    await killNodeProcesses(scope);
    for (const dir of cgroupTree(path).reverse()) {
      try {
        rmdirSync(dir);
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    if (!existsSync(path)) return [true, ''];
    await sleep(100);
  }
  return [false, lastError];
}

/** The cgroup dir and every dir below it, parents before children. */
function cgroupTree(root: string): string[] {
  if (!existsSync(root)) return [];
  const dirs = [root];
  for (let i = 0; i < dirs.length; i++) {
    try {
      for (const entry of readdirSync(dirs[i] as string, { withFileTypes: true })) {
        if (entry.isDirectory()) dirs.push(join(dirs[i] as string, entry.name));
      }
    } catch {
      // removed meanwhile
    }
  }
  return dirs;
}

/**
 * Whether a process listens on the unix socket at `path`. The node's own (shim sockets in
 * /run/containerd/s) are dead by the time paths are removed; a live one belongs to a containerd
 * the machine runs, which may have made it while the node ran.
 */
function isListeningSocket(path: string): boolean {
  try {
    if (!lstatSync(path).isSocket()) return false;
  } catch {
    return false;
  }
  return readFileOr('/proc/net/unix', '')
    .split('\n')
    .some((line) => line.trimEnd().endsWith(` ${path}`));
}

function readFileOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}
