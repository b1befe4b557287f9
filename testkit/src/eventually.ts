/**
 * Waits for something a test cannot be told about (a controller's write, a process's file) by
 * asking again until it answers. Generous by default and never a timed assertion: the timeout
 * only turns a hang into a failure that says what was awaited. A probe that throws counts as
 * "not yet"; its last error is quoted if time runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** More to say on timeout, for example a process's log tail. */
  readonly detail?: () => string;
}

export async function eventually<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: EventuallyOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${(lastError as Error)?.message ?? String(lastError)})`;
      const detail = options.detail ? `\n${options.detail()}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${cause}${detail}`);
    }
    await sleep(options.intervalMs ?? 250);
  }
}
