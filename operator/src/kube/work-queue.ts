/**
 * A work queue of object keys with client-go's semantics (workqueue.TypedRateLimitingInterface):
 * - a key waiting in the queue is there once, however often it was added (dirty set);
 * - a key being processed is never handed to a second worker: adding it again marks it dirty and
 *   it goes back into the queue when the first worker calls done();
 * - addAfter holds a key until a timer fires; the earliest pending time for a key wins;
 * - addRateLimited backs a failing key off exponentially until forget() says it succeeded.
 * One difference: after shutDown() get() answers undefined at once and queued keys are dropped,
 * because a stopping controller should finish what is in flight, not start more.
 */
import { cappedDelay } from '@airlock/runtime';

export interface WorkQueueBackoff {
  /** Delay before the first retry of a failing key. */
  readonly baseMs: number;
  /** Longest delay, however often the key failed. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: WorkQueueBackoff = { baseMs: 100, maxMs: 60_000 };

export class WorkQueue {
  readonly #backoff: WorkQueueBackoff;
  /** Keys ready for a worker, oldest first; `#head` avoids shifting the array on every get. */
  #queue: string[] = [];
  #head = 0;
  /** Keys that need processing: queued, or re-added while a worker holds them. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiters: ((key: string | undefined) => void)[] = [];
  readonly #delayed = new Map<string, { readyAt: number; timer: NodeJS.Timeout }>();
  readonly #failures = new Map<string, number>();
  #shuttingDown = false;

  constructor(options: { backoff?: WorkQueueBackoff } = {}) {
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Keys ready for a worker (not counting keys being processed or waiting on a timer). */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return; // done() puts it back
    this.#queue.push(key);
    this.#handOut();
  }

  /** Adds the key once `ms` have passed; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = Date.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending) {
      if (pending.readyAt <= readyAt) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    this.#delayed.set(key, { readyAt, timer });
  }

  /** Adds the key after its backoff (base doubling per failure, capped); returns the delay used. */
  addRateLimited(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = backoffDelay(this.#backoff, failures);
    this.addAfter(key, delay);
    return delay;
  }

  /** The key succeeded: its next failure starts the backoff from the beginning. */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** How often the key was rate-limited since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** The next key to process, waiting until there is one; undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    const key = this.#take();
    if (key !== undefined) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The worker finished the key; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#shuttingDown || !this.#dirty.has(key)) return;
    this.#queue.push(key);
    this.#handOut();
  }

  /** Stops handing out keys: waiting and later get() calls answer undefined, timers are cancelled. */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    this.#queue = [];
    this.#head = 0;
    this.#dirty.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  #take(): string | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const key = this.#queue[this.#head++] as string;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    // Marked processing before anyone can add it again, so a second worker never gets it.
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #handOut(): void {
    while (this.#waiters.length > 0 && this.length > 0) {
      const waiter = this.#waiters.shift() as (key: string | undefined) => void;
      waiter(this.#take());
    }
  }
}

/**
 * The delay before retry number `failures + 1`: base · 2^failures, at most max. Exact, without
 * jitter (client-go's ItemExponentialFailureRateLimiter): runtime's cappedDelay, whose attempt
 * number is the retry's.
 */
export function backoffDelay(backoff: WorkQueueBackoff, failures: number): number {
  return cappedDelay({ initialMs: backoff.baseMs, maxMs: backoff.maxMs }, failures + 1);
}
