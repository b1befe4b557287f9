/**
 * Counts what a benchmark's measured process (floor relay or sidecar) asks of the kernel while a
 * piece of work runs: `strace -C -f -yy` attached to its pid for syscalls by name and reads and
 * writes by descriptor, and `perf stat` for context switches and an undisturbed syscall count.
 * Both are attached only to short runs of their own: strace stops the process at every syscall,
 * which slows it many times over, so it must never overlap a timed run.
 *
 * Per transaction is taken as a difference of two runs, one short and one long, so what does not
 * grow with the run (attaching, the clients' connection setup, closing) cancels out:
 * (long − short) / (transactions long − transactions short). See `perTransaction`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  countIoByDescriptor,
  type DescriptorKind,
  type IoByDescriptor,
  parsePerfStat,
  parseStraceSummary,
  READ_SYSCALLS,
  type RelayPorts,
  WRITE_SYSCALLS,
} from './syscall-profile-parse.ts';

/** Counts over one run (or per transaction, after `perTransaction`). */
export interface SyscallCounts {
  readonly total: number;
  readonly writes: number;
  readonly reads: number;
  readonly bySyscall: Readonly<Record<string, number>>;
  readonly writesByDescriptor: Readonly<Record<DescriptorKind, number>>;
  readonly readsByDescriptor: Readonly<Record<DescriptorKind, number>>;
}

export interface PerfCounts {
  readonly contextSwitches: number;
  readonly syscalls: number;
}

export class SyscallProfileError extends Error {
  readonly code = 'SYSCALL_PROFILE';
}

const ATTACH_TIMEOUT_MS = 10_000;
const PERF_EVENTS = ['context-switches', 'raw_syscalls:sys_enter'] as const;

/** Why strace cannot be used here, or undefined when it can. */
export function straceUnavailable(): string | undefined {
  const probe = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return 'strace is not installed (Debian package strace)';
  // Yama: 1 and 2 let only root (CAP_SYS_PTRACE) attach to a process that is not its child; 3 lets nobody.
  const scope = existsSync(PTRACE_SCOPE) ? Number(readFileSync(PTRACE_SCOPE, 'utf8').trim()) : 0;
  if (scope >= 3) return 'ptrace is disabled on this machine (kernel.yama.ptrace_scope = 3)';
  if (scope >= 1 && process.getuid?.() !== 0)
    return `strace cannot attach to a process it did not start as non-root (kernel.yama.ptrace_scope = ${scope}); run as root or set it to 0`;
  return undefined;
}

const PTRACE_SCOPE = '/proc/sys/kernel/yama/ptrace_scope';

/** Why `perf stat -p` with the syscall tracepoint cannot be used here, or undefined when it can. */
export function perfUnavailable(): string | undefined {
  const probe = spawnSync('perf', ['stat', '-x,', '-e', PERF_EVENTS.join(','), '--', 'true'], { encoding: 'utf8' });
  if (probe.error) return 'perf is not installed (Debian package linux-perf)';
  const counted = parsePerfStat(probe.stderr);
  const missing = PERF_EVENTS.filter((e) => !counted.has(e));
  return missing.length > 0 ? `perf stat cannot count ${missing.join(', ')} here (kernel.perf_event_paranoid, tracefs)` : undefined;
}

interface Attached {
  readonly child: ChildProcess;
  stderr: string;
}

// strace and perf end on SIGINT by the signal, so exitCode stays null then.
const hasExited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

function attach(program: string, args: readonly string[]): Attached {
  const child = spawn(program, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const attached: Attached = { child, stderr: '' };
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    attached.stderr = (attached.stderr + d).slice(-8000);
  });
  return attached;
}

function waitFor(attached: Attached, ready: (stderr: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      if (ready(attached.stderr)) resolve();
      else if (hasExited(attached.child)) reject(new SyscallProfileError(`${what} exited before attaching:\n${attached.stderr}`));
      else if (Date.now() - started > ATTACH_TIMEOUT_MS)
        reject(new SyscallProfileError(`${what} did not attach in ${ATTACH_TIMEOUT_MS / 1000} s:\n${attached.stderr}`));
      else setTimeout(poll, 20);
    };
    poll();
  });
}

/** SIGINT makes strace and perf detach and write their summaries; waits for them to exit. */
async function detach(attached: Attached): Promise<void> {
  if (hasExited(attached.child)) return;
  const exited = new Promise<void>((resolve) => attached.child.once('exit', () => resolve()));
  attached.child.kill('SIGINT');
  await exited;
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function during<T>(
  program: string,
  args: (outFile: string) => string[],
  ready: (stderr: string) => boolean,
  work: () => Promise<T>,
): Promise<{ result: T; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-syscall-profile-'));
  const outFile = join(dir, 'out.txt');
  const attached = attach(program, args(outFile));
  try {
    await waitFor(attached, ready, program);
    const result = await work();
    // The work's last replies may still be on their way through the measured process.
    await settle(100);
    await detach(attached);
    return { result, output: readFileSync(outFile, 'utf8') };
  } finally {
    await detach(attached).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `work` with strace attached to every thread of `pid`. */
export async function straceDuring<T>(
  pid: number,
  ports: RelayPorts,
  work: () => Promise<T>,
): Promise<{ result: T; counts: SyscallCounts }> {
  const { result, output } = await during(
    'strace',
    // -s 0: no buffer contents, only which call on which descriptor; keeps the trace small.
    (outFile) => ['-C', '-f', '-yy', '-s', '0', '-o', outFile, '-p', String(pid)],
    (stderr) => /Process \d+ attached/.test(stderr),
    work,
  );
  const summary = parseStraceSummary(output);
  const io = countIoByDescriptor(output, ports);
  const bySyscall = Object.fromEntries([...summary.bySyscall].map(([name, c]) => [name, c.calls]));
  const sumOf = (names: ReadonlySet<string>): number =>
    [...summary.bySyscall].reduce((n, [name, c]) => n + (names.has(name) ? c.calls : 0), 0);
  return {
    result,
    counts: { total: summary.total, writes: sumOf(WRITE_SYSCALLS), reads: sumOf(READ_SYSCALLS), bySyscall, ...byDescriptor(io) },
  };
}

const byDescriptor = (io: IoByDescriptor) => ({ writesByDescriptor: io.writes, readsByDescriptor: io.reads });

/** Runs `work` with `perf stat` counting context switches and syscalls of every thread of `pid`. */
export async function perfStatDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; counts: PerfCounts }> {
  const { result, output } = await during(
    'perf',
    (outFile) => ['stat', '-x,', '-e', PERF_EVENTS.join(','), '-o', outFile, '-p', String(pid)],
    // perf stat has no "attached" message; it counts from the moment it opened its events, which
    // it does before anything else. A short pause covers its start-up.
    (() => {
      const started = Date.now();
      return () => Date.now() - started > 300;
    })(),
    work,
  );
  const counted = parsePerfStat(output);
  const contextSwitches = counted.get('context-switches');
  const syscalls = counted.get('raw_syscalls:sys_enter');
  if (contextSwitches === undefined || syscalls === undefined)
    throw new SyscallProfileError(`perf stat counted nothing usable:\n${output}`);
  return { result, counts: { contextSwitches, syscalls } };
}

/** (long − short) / (transactions of long − transactions of short), for every count. */
export function perTransaction<C extends SyscallCounts | PerfCounts>(
  short: C,
  long: C,
  shortTransactions: number,
  longTransactions: number,
): C {
  const transactions = longTransactions - shortTransactions;
  if (!(transactions > 0))
    throw new SyscallProfileError(
      `the long run completed ${longTransactions} transactions, the short one ${shortTransactions}: no difference to divide by; make the long run longer`,
    );
  return divideDifference(short, long, transactions) as C;
}

function divideDifference(short: unknown, long: unknown, by: number): unknown {
  if (typeof long === 'number') return (long - (typeof short === 'number' ? short : 0)) / by;
  if (typeof long === 'object' && long !== null) {
    const shortRecord = (typeof short === 'object' && short !== null ? short : {}) as Record<string, unknown>;
    const keys = new Set([...Object.keys(shortRecord), ...Object.keys(long)]);
    return Object.fromEntries([...keys].map((k) => [k, divideDifference(shortRecord[k], (long as Record<string, unknown>)[k] ?? 0, by)]));
  }
  return long;
}

/** A workload the profile can run for a number of seconds; it returns how many transactions completed. */
export type TimedWork = (seconds: number) => Promise<{ readonly transactions: number }>;

export interface TransactionProfile {
  /** Per transaction; undefined when strace was unavailable or failed (see `errors`). */
  readonly strace: SyscallCounts | undefined;
  readonly perf: PerfCounts | undefined;
  readonly errors: readonly string[];
}

export interface ProfileOptions {
  readonly shortSeconds: number;
  readonly longSeconds: number;
  /** Why a tool cannot be used (from straceUnavailable / perfUnavailable): it is then skipped. */
  readonly straceUnavailable?: string | undefined;
  readonly perfUnavailable?: string | undefined;
}

/**
 * Per-transaction syscalls (strace) and context switches (perf) of the process `pid` while `work`
 * runs, each from a short and a long run of its own (perTransaction). perf runs first, without
 * strace, so its counts are not disturbed by ptrace stops.
 */
export async function profileTransactions(
  pid: number,
  ports: RelayPorts,
  work: TimedWork,
  options: ProfileOptions,
): Promise<TransactionProfile> {
  const errors: string[] = [];
  const pair = async <C extends SyscallCounts | PerfCounts>(
    tool: string,
    unavailable: string | undefined,
    measure: (w: () => Promise<{ readonly transactions: number }>) => Promise<{ result: { readonly transactions: number }; counts: C }>,
  ): Promise<C | undefined> => {
    if (unavailable) {
      errors.push(`${tool}: ${unavailable}`);
      return undefined;
    }
    try {
      const short = await measure(() => work(options.shortSeconds));
      const long = await measure(() => work(options.longSeconds));
      return perTransaction(short.counts, long.counts, short.result.transactions, long.result.transactions);
    } catch (error) {
      errors.push(`${tool}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  const perf = await pair('perf', options.perfUnavailable, (w) => perfStatDuring(pid, w));
  const strace = await pair('strace', options.straceUnavailable, (w) => straceDuring(pid, ports, w));
  return { strace, perf, errors };
}
