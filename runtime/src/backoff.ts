/** Waiting between attempts after a failure: capped exponential backoff with jitter, cut short by an abort. */

export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 200, maxMs: 10_000 };

/** The delay before attempt `attempt` (0-based: the first retry is attempt 1). Jitter spreads sidecars that failed together. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + Math.random() / 2));
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks why it woke). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
