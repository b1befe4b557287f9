/**
 * The child side of a benchmark sidecar's line protocol (the parent side is
 * sidecar-process-handle.ts): prints {"port", "pid"} once the sidecar listens, then answers each
 * "stats" line on stdin with {"stats": SidecarStats} ("gc" runs a GC first when --expose-gc was
 * given), and stops the sidecar on "exit", the end of stdin, SIGTERM or SIGINT.
 *
 * GC time comes from a PerformanceObserver on 'gc' entries started here, so it counts from the
 * moment the process serves the protocol; the driver takes the difference over a cell. An entry's
 * duration is the main thread's pause; work V8 does on its helper threads (concurrent marking,
 * parallel scavenging) is only in the process's CPU time.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

export interface SidecarStats {
  readonly userUs: number;
  readonly systemUs: number;
  readonly rss: number;
  /** Main-thread GC pauses since the protocol started: total milliseconds and how many. */
  readonly gcMs: number;
  readonly gcCount: number;
}

interface GcTotals {
  ms: number;
  count: number;
}

function observeGc(): GcTotals {
  const totals: GcTotals = { ms: 0, count: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      totals.ms += entry.duration;
      totals.count += 1;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return totals;
}

function stats(gc: GcTotals): SidecarStats {
  const cpu = process.cpuUsage();
  return { userUs: cpu.user, systemUs: cpu.system, rss: process.memoryUsage().rss, gcMs: gc.ms, gcCount: gc.count };
}

/** `stop` closes the sidecar and removes what it wrote; the process exits after it. */
export function serveSidecarProcess(port: number, stop: () => Promise<void>): void {
  const gc = observeGc();
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      await stop();
      process.exit(0);
    })();
    return closing;
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'stats') process.stdout.write(`${JSON.stringify({ stats: stats(gc) })}\n`);
    else if (command === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.stdout.write(`${JSON.stringify({ stats: stats(gc) })}\n`);
    } else if (command === 'exit') void shutdown();
  });
  lines.on('close', () => void shutdown());
}
