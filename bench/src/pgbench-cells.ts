/**
 * What the PostgreSQL benchmark measures and how a cell's runs are kept: shared by the driver
 * (run.ts) and the report (pgbench-report.ts, pgbench-goals.ts). A target left out with
 * --targets has no runs in a cell and no idle RSS, and the report shows it as MISSING.
 */
import type { PgbenchResult, Workload } from './pgbench.ts';
import type { TransactionProfile } from './syscall-profile.ts';
import type { BreakdownVariant } from './syscall-profile-report.ts';

export type TargetName = 'direct' | 'pgbouncer' | 'floor' | 'floor-synced' | 'sidecar-full' | 'sidecar-bare';
export const TARGETS: readonly TargetName[] = ['direct', 'pgbouncer', 'floor', 'floor-synced', 'sidecar-full', 'sidecar-bare'];
/** The targets that are a process of ours, measured from inside (CPU, GC, RSS). */
export const PROCESS_TARGETS: readonly TargetName[] = ['floor', 'floor-synced', 'sidecar-full', 'sidecar-bare'];
/** The targets the --breakdown profiles (the synced floor is not one of them). */
export const MEASURED: Record<BreakdownVariant, TargetName> = { floor: 'floor', full: 'sidecar-full', bare: 'sidecar-bare' };
/** The short run of the syscall profile; the long one is --breakdown-seconds. */
export const BREAKDOWN_SHORT_SECONDS = 1;

export class BenchOptionsError extends Error {
  readonly code = 'BENCH_OPTIONS';
}

/** `--targets a,b,c`: known names, each once, in TARGETS order. */
export function parseTargets(list: string): TargetName[] {
  const names = list
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const unknown = names.filter((name) => !(TARGETS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new BenchOptionsError(
      `--targets: ${unknown.length > 0 ? `unknown target(s) ${unknown.join(', ')}` : 'no target given'}; name some of ${TARGETS.join(', ')}`,
    );
  }
  return TARGETS.filter((t) => names.includes(t));
}

export interface Options {
  seconds: number;
  rounds: number;
  scale: number;
  clients: number[];
  workloads: Workload[];
  /** The targets that run, in TARGETS order (--targets; default all). */
  targets: TargetName[];
  warmup: number;
  out: string;
  /** Directory for `node --cpu-prof` profiles of the sidecars and the floor (written when they exit). */
  profile: string | undefined;
  /** Syscall and context-switch profile per cell (untimed runs under perf and strace); undefined: none. */
  breakdownSeconds: number | undefined;
}

export interface CellRun {
  readonly result?: PgbenchResult;
  readonly error?: string;
  /** Floor and sidecar targets: CPU µs (user + system) of their process per transaction. */
  readonly cpuUsPerTxn?: number;
  readonly userUsPerTxn?: number;
  readonly systemUsPerTxn?: number;
  /** Main-thread GC pause µs per transaction, and pauses per 1,000 transactions. */
  readonly gcUsPerTxn?: number;
  readonly gcPausesPerThousand?: number;
  readonly peakRss?: number;
}

export interface Cell {
  readonly workload: Workload;
  readonly clients: number;
  /** Only the targets that ran have an entry. */
  readonly runs: Partial<Record<TargetName, CellRun[]>>;
  /** With --breakdown: syscalls and context switches per transaction of the floor and sidecars. */
  profile?: Record<BreakdownVariant, TransactionProfile>;
}

/** RSS right after start, before any connection, of the process targets that ran. */
export type IdleRss = Partial<Record<TargetName, number>>;

export { median } from './statistics.ts';

/** A number for a table: n/a when not finite. */
export const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a');

/** What a table shows for a figure of a target that did not run (undefined), as opposed to n/a: it ran, no figure. */
export const MISSING = '–';
export const show = (n: number | undefined, digits = 0): string => (n === undefined ? MISSING : fmt(n, digits));
export const showMb = (bytes: number | undefined): string => (bytes === undefined ? MISSING : mb(bytes));
/** a / b, a − b; undefined when either target did not run. */
export const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a / b;
export const difference = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined ? undefined : a - b;
