/**
 * One test node per machine: the node uses fixed names (its bridge, its ranges, machine-wide
 * iptables chains), so a second one would break the first. The lock is a directory in /run
 * (per machine, gone at reboot) holding who owns it: the test process and its watchdog. It is
 * free when neither lives (a killed test whose watchdog has restored the machine and exited).
 * A second caller waits for it, and says whom it waits for.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '@airlock/build';
import { HarnessError } from '../errors.ts';

export const NODE_LOCK_DIR = '/run/airlock-test-node.lock';

export interface LockOwner {
  readonly pid: number;
  /** The process's start time in clock ticks since boot (/proc/PID/stat field 22), so a reused PID does not count. */
  readonly startTime: string;
  /** The watchdog that restores the machine if the owner dies; it owns the lock until it has. */
  readonly watchdogPid?: number;
  readonly watchdogStartTime?: string;
  readonly since: string;
}

/** Whether the lock is still held: the owner or its watchdog still runs (the same process, not a reused PID). */
export function lockHeld(owner: LockOwner, startTimeOf: (pid: number) => string | undefined): boolean {
  if (startTimeOf(owner.pid) === owner.startTime) return true;
  return owner.watchdogPid !== undefined && startTimeOf(owner.watchdogPid) === owner.watchdogStartTime;
}

/** /proc/PID/stat field 22, or undefined when there is no such process. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    return stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .at(19);
  } catch {
    return undefined;
  }
}

export class NodeLock {
  readonly dir: string;
  #released = false;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** Takes the lock, waiting up to `waitMs` (default 15 minutes: another test file's node run) for it. */
  static async acquire(options: { dir?: string; waitMs?: number; log?: Log } = {}): Promise<NodeLock> {
    const dir = options.dir ?? NODE_LOCK_DIR;
    const waitMs = options.waitMs ?? 15 * 60_000;
    const log = options.log ?? (() => {});
    const started = Date.now();
    let said = 0;
    for (;;) {
      try {
        mkdirSync(dir);
        writeOwner(dir, { pid: process.pid, startTime: processStartTime(process.pid) ?? '', since: new Date().toISOString() });
        return new NodeLock(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new HarnessError('NodeLockFailed', `cannot create the node lock ${dir}: ${(error as Error).message}`, { cause: error });
        }
      }
      const owner = readOwner(dir);
      if (owner === undefined) {
        // Just created by another process that has not written its owner yet, or left empty by a crash.
        if (Date.now() - modifiedAt(dir) > 5000 && readOwner(dir) === undefined) rmSync(dir, { recursive: true, force: true });
      } else if (!lockHeld(owner, processStartTime)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      } else {
        const waited = Date.now() - started;
        if (waited > waitMs) {
          throw new HarnessError(
            'NodeBusy',
            `another test node runs on this machine (pid ${owner.pid}, since ${owner.since}; lock ${dir}) and did not stop within ${waitMs / 1000}s: one node per machine`,
          );
        }
        if (waited >= said) {
          log(`waiting for the test node of pid ${owner.pid} (since ${owner.since}) to stop: one node per machine`);
          said += 30_000;
        }
      }
      await sleep(250);
    }
  }

  /** Records the watchdog, which holds the lock until it has restored the machine. */
  setWatchdog(pid: number): void {
    const owner = readOwner(this.dir);
    if (owner) writeOwner(this.dir, { ...owner, watchdogPid: pid, watchdogStartTime: processStartTime(pid) ?? '' });
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeOwner(dir: string, owner: LockOwner): void {
  // Written whole and renamed, so a reader never sees half an owner.
  writeFileSync(join(dir, 'owner.tmp'), JSON.stringify(owner));
  renameSync(join(dir, 'owner.tmp'), join(dir, 'owner.json'));
}

function modifiedAt(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function readOwner(dir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}
