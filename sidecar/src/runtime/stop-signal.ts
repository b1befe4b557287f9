/**
 * How main.ts stops: the first SIGTERM or SIGINT starts a graceful close; a watchdog makes sure
 * the process is gone before the kubelet's SIGKILL would cut a flush in the middle of a write.
 */
import type { Logger } from 'pino';

/** Resolves with the first SIGTERM or SIGINT. */
export function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(signal);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/**
 * After the grace period the sessions are closed and the recordings flush, each bounded on its
 * own; this bounds the whole, in case something else holds the event loop open. Unref'd: a clean
 * close exits sooner.
 */
export function exitIfStillRunning(afterMs: number, logger: Logger): void {
  const timer = setTimeout(() => {
    logger.error({ afterMs }, 'shutdown did not complete in time: exiting now');
    process.exit(1);
  }, afterMs);
  timer.unref();
}

/** What the watchdog allows beyond the grace period: the recordings' flush (10 s by default) and a margin. */
export const FLUSH_ALLOWANCE_MS = 15_000;
