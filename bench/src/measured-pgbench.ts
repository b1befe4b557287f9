/**
 * One pgbench run with processes of ours measured around it, for both pgbench benchmarks (run.ts,
 * broker-bench.ts): each process's stats (CPU, GC, RSS) just before and just after, and its RSS
 * sampled every second in between for the peak. A failed run is an error message, not a throw, so
 * one bad cell does not end the benchmark.
 */
import { type PgbenchEndpoint, type PgbenchResult, type PgbenchRun, runPgbench } from './pgbench.ts';
import type { SidecarProcess } from './sidecar-process-handle.ts';
import type { SidecarStats } from './sidecar-process-protocol.ts';

export interface ProcessWindow {
  readonly before: SidecarStats;
  readonly after: SidecarStats;
  /** The highest RSS seen: before, every second during the run, after. */
  readonly peakRss: number;
}

export type MeasuredRun =
  | { readonly result: PgbenchResult; readonly error?: undefined; readonly windows: readonly (ProcessWindow | undefined)[] }
  | { readonly result?: undefined; readonly error: string };

/** `processes[i]` undefined: nothing measured for it (windows[i] undefined). */
export async function measuredPgbench(
  pgbench: string,
  endpoint: PgbenchEndpoint,
  run: PgbenchRun,
  processes: readonly (SidecarProcess | undefined)[],
): Promise<MeasuredRun> {
  const before = await Promise.all(processes.map((p) => p?.stats()));
  const peaks = before.map((stats) => stats?.rss ?? 0);
  let sampling = true;
  const sampler = (async () => {
    while (sampling && processes.some(Boolean)) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!sampling) break;
      const now = await Promise.all(processes.map((p) => p?.stats()));
      now.forEach((stats, i) => {
        if (stats) peaks[i] = Math.max(peaks[i] ?? 0, stats.rss);
      });
    }
  })();
  try {
    const result = await runPgbench(pgbench, endpoint, run);
    sampling = false;
    await sampler;
    const after = await Promise.all(processes.map((p) => p?.stats()));
    const windows = processes.map((_, i) => {
      const b = before[i];
      const a = after[i];
      return b && a ? { before: b, after: a, peakRss: Math.max(peaks[i] ?? 0, a.rss) } : undefined;
    });
    return { result, windows };
  } catch (error) {
    sampling = false;
    await sampler.catch(() => {});
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** User + system CPU µs a process used between two readings of its stats. */
export const cpuUsBetween = (before: SidecarStats, after: SidecarStats): number =>
  after.userUs - before.userUs + (after.systemUs - before.systemUs);
