/**
 * What the broker benchmark measures per cell and path, shared by its driver (broker-bench.ts) and
 * its report (broker-bench-report.ts). Three paths: pgbench straight to PostgreSQL, through the
 * static sidecar (sidecar-process.ts 'full': config in process, recordings to a local JSONL file)
 * and through the broker sidecar (broker-sidecar-process.ts: config and recordings through the
 * operator's broker, which runs in a process of its own).
 */
import type { PgbenchResult, Workload } from './pgbench.ts';

export const BROKER_BENCH_PATHS = ['direct', 'static', 'broker'] as const;
export type BrokerBenchPath = (typeof BROKER_BENCH_PATHS)[number];

export interface PathRun {
  readonly result?: PgbenchResult;
  readonly error?: string;
  /** Sidecar paths: CPU µs (user + system) of the sidecar process per transaction. */
  readonly sidecarCpuUsPerTxn?: number;
  /** Broker path: CPU µs of the operator process (the broker's side) per transaction. */
  readonly operatorCpuUsPerTxn?: number;
  /** Sidecar paths: highest RSS sampled during the run. */
  readonly peakRss?: number;
}

export interface BrokerCell {
  readonly workload: Workload;
  readonly clients: number;
  readonly runs: Record<BrokerBenchPath, PathRun[]>;
}

export interface BrokerBenchOptions {
  readonly seconds: number;
  readonly rounds: number;
  readonly clients: readonly number[];
  readonly workloads: readonly Workload[];
  readonly scale: number;
  readonly warmup: number;
  readonly out: string;
}

/** Memory and background cost measured before the cells, with no connection open. */
export interface IdleFigures {
  readonly staticSidecarRss: number;
  readonly brokerSidecarRss: number;
  readonly operatorRss: number;
  /** CPU µs per second the operator spends with no traffic (informers, lease renewals, streams' heartbeats). */
  readonly operatorCpuUsPerSecond: number;
  readonly idleSeconds: number;
}
