/**
 * Waiting between attempts after a failure: capped exponential backoff, with or without jitter,
 * cut short by an abort. The one implementation every airlock process uses; callers count their
 * failed attempts and ask for the delay, instead of keeping a doubling delay of their own.
 */

export interface Backoff {
  /** The delay before the first retry. */
  readonly initialMs: number;
  /** The longest delay, however often it failed. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 200, maxMs: 10_000 };

/**
 * The delay before attempt `attempt` (0-based: the first retry is attempt 1), without jitter:
 * initialMs · 2^(attempt − 1), at most maxMs. Attempts 0 and 1 both wait initialMs. For callers
 * whose delays must be exact (the operator's work queue, tests that assert them).
 */
export function cappedDelay(backoff: Backoff, attempt: number): number {
  // 2^1023 is the largest finite power: beyond it 0 · Infinity would be NaN; Math.min caps the rest.
  const doublings = Math.min(1023, Math.max(0, attempt - 1));
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** doublings);
}

/** cappedDelay with jitter: between half and all of it. Jitter spreads sidecars that failed together. */
export function backoffDelay(backoff: Backoff, attempt: number): number {
  return Math.round(cappedDelay(backoff, attempt) * (0.5 + Math.random() / 2));
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
