/**
 * Finding and ending processes that left their parent's process group: sshd gives every
 * connection a session of its own (setsid), so stopping the listener's group leaves logged-in
 * sessions running; they are found as the listener's descendants or by their user's uid instead.
 * Reads /proc (Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

interface ProcStat {
  pid: number;
  ppid: number;
  state: string;
}

/** Every process below `roots` (not the roots), found before they are re-parented by a dying parent. */
export function descendantsOf(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of allProcesses()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found: number[] = [];
  const queue = [...roots];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** Processes whose real or effective uid is `uid`. */
export function processesOwnedBy(uid: number): number[] {
  return allProcesses()
    .map((p) => p.pid)
    .filter((pid) => {
      const line = readProc(pid, 'status')
        ?.split('\n')
        .find((l) => l.startsWith('Uid:'));
      const [real, effective] = line?.split(/\s+/).slice(1) ?? [];
      return real === String(uid) || effective === String(uid);
    });
}

/** Alive and not a zombie (a zombie whose parent does not reap it would otherwise look alive forever). */
export function isRunning(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** SIGTERM to each process (and the group it leads), SIGKILL to what is left after `graceMs`. */
export async function terminate(pids: readonly number[], graceMs = 5_000): Promise<void> {
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(isRunning)) await sleep(50);
  for (const pid of pids.filter(isRunning)) signal(pid, 'SIGKILL');
  for (let i = 0; i < 40 && pids.some(isRunning); i++) await sleep(50);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, sig);
    } catch {
      // gone, or not a group leader
    }
  }
}

function allProcesses(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/** `pid (comm) state ppid ...`; comm may hold spaces and parentheses, so split after the last ')'. */
function procStat(pid: number): ProcStat | undefined {
  const text = readProc(pid, 'stat');
  if (text === undefined) return undefined;
  const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return state === undefined || ppid === undefined ? undefined : { pid, ppid: Number(ppid), state };
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
