/**
 * Starts and stops the processes of one harness, with logs in files, and tells a watchdog about
 * each of them so they are stopped even if this process dies without cleaning up.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.ts';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export class Supervisor {
  readonly #logDir: string;
  readonly #watchdog: ChildProcess;
  readonly #processes = new Map<string, ManagedProcess>();

  constructor(logDir: string) {
    this.#logDir = logDir;
    mkdirSync(logDir, { recursive: true });
    this.#watchdog = spawn(process.execPath, [join(import.meta.dirname, 'watchdog.ts')], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    this.#watchdog.unref();
    (this.#watchdog.stdin as unknown as { unref(): void }).unref();
  }

  /** Removes `dir` when the harness dies without cleaning up. */
  ownDir(dir: string): void {
    this.#tell(`dir ${dir}`);
  }

  /** Puts the machine back as saved in `file` (node/machine-restore.ts) when the harness dies without cleaning up. */
  restoreMachineOnDeath(file: string): void {
    this.#tell(`restore ${file}`);
  }

  /** Also stops the processes below `pid` when the harness dies (sshd's sessions leave its process group). */
  stopDescendantsOnDeath(pid: number): void {
    this.#tell(`tree ${pid}`);
  }

  /** Ends the processes of login user `name` and removes it (login-users.ts) when the harness dies. */
  removeUserOnDeath(name: string): void {
    this.#tell(`user ${name}`);
  }

  /** Removes sshd's privilege separation dir if a harness made it (sshd-privsep-dir.ts) when the harness dies. */
  releasePrivsepDirOnDeath(dir: string): void {
    this.#tell(`privsep ${dir}`);
  }

  /** The watchdog's PID: it outlives this process until it has cleaned up. */
  get watchdogPid(): number | undefined {
    return this.#watchdog.pid;
  }

  start(name: string, command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ManagedProcess {
    const logFile = join(this.#logDir, `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    // A process group of its own: we decide the stop order, and a Ctrl-C does not race us.
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.env ? { env: options.env } : {}),
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.unref();
    if (child.pid === undefined) throw new HarnessError('ProcessStartFailed', `could not start ${name} (${command})`);
    this.#tell(`pid ${child.pid}`);
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(-1));
    });
    const managed: ManagedProcess = { name, child, logFile, exited };
    this.#processes.set(name, managed);
    return managed;
  }

  /** The last lines of a process's log, for error messages. */
  logTail(name: string, lines = 30): string {
    const managed = this.#processes.get(name);
    if (!managed) return '';
    try {
      return readFileSync(managed.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  async stop(name: string, graceMs = 10_000): Promise<void> {
    const managed = this.#processes.get(name);
    if (!managed) return;
    this.#processes.delete(name);
    const { child } = managed;
    if (child.exitCode === null && child.signalCode === null) {
      // Waiting for the exit must keep the event loop alive (start() unref'd the child), and the
      // grace timer must not once the process is gone: it would hold the caller for graceMs.
      child.ref();
      signal(child, 'SIGTERM');
      const grace = new AbortController();
      const timedOut = await Promise.race([managed.exited.then(() => false), sleep(graceMs, true, { signal: grace.signal })]);
      grace.abort();
      if (timedOut) {
        signal(child, 'SIGKILL');
        await managed.exited;
      }
    }
    if (child.pid !== undefined) this.#tell(`forget ${child.pid}`);
  }

  /** Stops processes in the order given, then any others; tells the watchdog it is released. */
  async stopAll(order: string[] = []): Promise<void> {
    for (const name of order) await this.stop(name);
    for (const name of [...this.#processes.keys()].reverse()) await this.stop(name);
  }

  release(dirsToRemove: string[]): void {
    for (const dir of dirsToRemove) rmSync(dir, { recursive: true, force: true });
    this.#tell('done');
    this.#watchdog.stdin?.end();
  }

  #tell(line: string): void {
    (this.#watchdog.stdin as Writable | null)?.write(`${line}\n`);
  }
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, sig);
  } catch {
    child.kill(sig);
  }
}
