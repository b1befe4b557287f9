/**
 * The child side of a benchmark sidecar's line protocol (the parent side is
 * sidecar-process-handle.ts): prints {"port", "pid"} once the sidecar listens, then answers each
 * "stats" line on stdin with {"stats": SidecarStats} ("gc" runs a GC first when --expose-gc was
 * given), and stops the sidecar on "exit", the end of stdin, SIGTERM or SIGINT.
 */
import { createInterface } from 'node:readline';

export interface SidecarStats {
  readonly userUs: number;
  readonly systemUs: number;
  readonly rss: number;
}

function stats(): SidecarStats {
  const cpu = process.cpuUsage();
  return { userUs: cpu.user, systemUs: cpu.system, rss: process.memoryUsage().rss };
}

/** `stop` closes the sidecar and removes what it wrote; the process exits after it. */
export function serveSidecarProcess(port: number, stop: () => Promise<void>): void {
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
    if (command === 'stats') process.stdout.write(`${JSON.stringify({ stats: stats() })}\n`);
    else if (command === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.stdout.write(`${JSON.stringify({ stats: stats() })}\n`);
    } else if (command === 'exit') void shutdown();
  });
  lines.on('close', () => void shutdown());
}
