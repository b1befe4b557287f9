/**
 * One cell's runs of one target reduced to the figures the report shows: medians over the rounds
 * that produced a result, the peak RSS over all of them, and what failed. A target that did not
 * run in a cell has no summary, so the tables can tell "not run" from "ran, no figure".
 */
import { type Cell, type CellRun, median, TARGETS, type TargetName } from './pgbench-cells.ts';
import type { CpuPerTransaction } from './syscall-profile-report.ts';

export interface Summary {
  readonly tps: number;
  readonly p50: number;
  readonly p99: number;
  readonly latAvgMs: number;
  /** CPU µs (user + system) per transaction; NaN for targets that are not a process of ours. */
  readonly cpu: number;
  readonly cpuPerTxn: CpuPerTransaction;
  readonly peakRss: number;
  readonly errors: readonly string[];
  readonly failedTxns: number;
}

export interface CellSummary {
  readonly cell: Cell;
  /** Only the targets that ran in the cell. */
  readonly s: Partial<Record<TargetName, Summary>>;
}

export function summarize(runs: readonly CellRun[]): Summary {
  const ok = runs.flatMap((r) => (r.result ? [r] : []));
  return {
    tps: median(ok.map((r) => r.result?.tps ?? Number.NaN)),
    p50: median(ok.map((r) => r.result?.p50Us ?? Number.NaN)),
    p99: median(ok.map((r) => r.result?.p99Us ?? Number.NaN)),
    latAvgMs: median(ok.map((r) => r.result?.latencyAvgMs ?? Number.NaN)),
    cpu: median(ok.map((r) => r.cpuUsPerTxn ?? Number.NaN)),
    cpuPerTxn: {
      userUs: median(ok.map((r) => r.userUsPerTxn ?? Number.NaN)),
      systemUs: median(ok.map((r) => r.systemUsPerTxn ?? Number.NaN)),
      gcUs: median(ok.map((r) => r.gcUsPerTxn ?? Number.NaN)),
      gcPausesPerThousand: median(ok.map((r) => r.gcPausesPerThousand ?? Number.NaN)),
    },
    peakRss: Math.max(0, ...runs.map((r) => r.peakRss ?? 0)),
    errors: runs.flatMap((r) => (r.error ? [r.error] : [])),
    failedTxns: ok.reduce((n, r) => n + (r.result?.failed ?? 0), 0),
  };
}

export function summarizeCells(cells: readonly Cell[]): CellSummary[] {
  return cells.map((cell) => ({
    cell,
    s: Object.fromEntries(
      TARGETS.flatMap((t) => {
        const runs = cell.runs[t];
        return runs === undefined ? [] : [[t, summarize(runs)]];
      }),
    ),
  }));
}
