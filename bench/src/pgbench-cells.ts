/**
 * What the PostgreSQL benchmark measures and how a cell's runs are kept: shared by the driver
 * (run.ts) and the report (pgbench-report.ts).
 */
import type { PgbenchResult, Workload } from './pgbench.ts';
import type { TransactionProfile } from './syscall-profile.ts';
import type { BreakdownVariant } from './syscall-profile-report.ts';

export type TargetName = 'direct' | 'pgbouncer' | 'floor' | 'sidecar-full' | 'sidecar-bare';
export const TARGETS: readonly TargetName[] = ['direct', 'pgbouncer', 'floor', 'sidecar-full', 'sidecar-bare'];
/** The targets that are a process of ours, measured from inside (CPU, GC, RSS) and profiled. */
export const MEASURED: Record<BreakdownVariant, TargetName> = { floor: 'floor', full: 'sidecar-full', bare: 'sidecar-bare' };
/** The short run of the syscall profile; the long one is --breakdown-seconds. */
export const BREAKDOWN_SHORT_SECONDS = 1;

export interface Options {
  seconds: number;
  rounds: number;
  scale: number;
  clients: number[];
  workloads: Workload[];
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
  readonly runs: Record<TargetName, CellRun[]>;
  /** With --breakdown: syscalls and context switches per transaction of the floor and sidecars. */
  profile?: Record<BreakdownVariant, TransactionProfile>;
}

export { median } from './statistics.ts';

/** A number for a table: n/a when not finite. */
export const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a');
