/**
 * Puts one session's records into its sink in order, in batches, and applies the Target's
 * `recording.onStoreFailure`:
 *
 * - Block (the CRD default, fail closed): a failed batch stays at the head of the queue and is
 *   retried with exponential backoff (initialRetryDelayMs doubling up to maxRetryDelayMs, for as
 *   long as the session lives). Meanwhile `blocked` and `!writable`: the proxy forwards nothing
 *   until the store took the records. Records recorded while blocked (an error, session.close)
 *   queue behind the failed batch. `writable` also turns false while more than highWaterMark
 *   records wait, so a slow store slows the session instead of growing memory.
 * - Continue: a failed batch is given up and counted lost (the `lost` callback feeds a metric);
 *   the chain shows the gap to the verifier. A store slower than the session drops new records
 *   beyond maxBufferedRecords, also counted. `writable` stays true.
 *
 * Either way close() is bounded: after flushTimeoutMs whatever is still not stored is given up
 * and counted lost, so a recorder of a closed session never retries forever and shutdown ends.
 *
 * The proxy asks `writable` (a field read) before forwarding and awaits `whenWritable()` only
 * when it is false.
 */

import type { StoredRecord } from '@airlock/contracts/recording';
import { RecordingError } from '@airlock/contracts/recording';
import { type Backoff, cappedDelay } from '@airlock/runtime';
import type { RecordingSink } from './sink.ts';

export type StoreFailurePolicy = 'Block' | 'Continue';

export interface BatchingOptions {
  /** Default Block, as in the Target CRD. */
  readonly onStoreFailure?: StoreFailurePolicy;
  /** A batch goes to the sink once it holds this many records (default 64)... */
  readonly maxBatchRecords?: number;
  /** ...or this long after its first record (default 50 ms), whichever comes first. */
  readonly maxBatchDelayMs?: number;
  /** Block: not writable while more records than this wait (default 1024). */
  readonly highWaterMark?: number;
  /** Continue: records beyond this many waiting are dropped and counted lost (default 10000). */
  readonly maxBufferedRecords?: number;
  /** Block: first retry delay (default 100 ms), doubling per failure up to maxRetryDelayMs (default 5000 ms). */
  readonly initialRetryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** close() gives up what the store has not taken after this long (default 10000 ms); abort() waits at most this long for the sink. */
  readonly flushTimeoutMs?: number;
}

/** How the writer reports what the proxy's owner turns into metrics, logs and readiness. */
export interface RecordingObserver {
  /** Continue: records given up. */
  readonly lost?: (count: number, cause: unknown) => void;
  /** Block: storing failed (true) or recovered, or the session ended while blocked (false). */
  readonly blockedChange?: (blocked: boolean, cause?: unknown) => void;
  /** Every failed append, for the log. */
  readonly storeError?: (error: unknown, batchSize: number) => void;
  /** Either policy: the last append failed (true) or one succeeded, or the writer closed (false). */
  readonly failingChange?: (failing: boolean, cause?: unknown) => void;
  /** Every append that stored its batch. */
  readonly stored?: (batchSize: number) => void;
  /** The writer is closed (flushed, given up or aborted): it will not write again. */
  readonly closed?: () => void;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class BatchingWriter {
  readonly #sink: RecordingSink;
  readonly #observer: RecordingObserver;
  readonly #policy: StoreFailurePolicy;
  readonly #maxBatch: number;
  readonly #maxDelayMs: number;
  readonly #highWaterMark: number;
  readonly #maxBuffered: number;
  /** Block: the retry delays, exact (no jitter). */
  readonly #retryBackoff: Backoff;
  readonly #flushTimeoutMs: number;

  /** Records not yet stored or given up; the first #inFlight of them are in the sink's hands. */
  readonly #queue: StoredRecord[] = [];
  #inFlight = 0;
  #inFlightDone: Promise<void> | undefined;
  #batchTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  /** Block: appends that failed in a row; the next retry waits cappedDelay(#retryBackoff, #failures). */
  #failures = 0;
  #blocked = false;
  #failing = false;
  #lastError: unknown;
  /** abort() stopped waiting for an append that did not settle: its outcome no longer counts. */
  #abandoned = false;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closing: Promise<void> | undefined;
  /** Records handed to enqueue(), and those stored or given up since: flush() waits for the second to reach the first. */
  #enqueued = 0;
  #settled = 0;
  #lost = 0;
  readonly #flushWaiters: { readonly target: number; readonly waiter: Waiter }[] = [];
  #writableWaiters: Waiter[] = [];

  constructor(sink: RecordingSink, options: BatchingOptions = {}, observer: RecordingObserver = {}) {
    this.#sink = sink;
    this.#observer = observer;
    this.#policy = options.onStoreFailure ?? 'Block';
    this.#maxBatch = positive(options.maxBatchRecords, 64);
    this.#maxDelayMs = options.maxBatchDelayMs ?? 50;
    this.#highWaterMark = positive(options.highWaterMark, 1024);
    this.#maxBuffered = positive(options.maxBufferedRecords, 10_000);
    const initialMs = positive(options.initialRetryDelayMs, 100);
    this.#retryBackoff = { initialMs, maxMs: Math.max(initialMs, options.maxRetryDelayMs ?? 5000) };
    this.#flushTimeoutMs = positive(options.flushTimeoutMs, 10_000);
  }

  get policy(): StoreFailurePolicy {
    return this.#policy;
  }

  /** Every record enqueued so far is stored or given up: nothing to wait for before forwarding. */
  get settled(): boolean {
    return this.#settled >= this.#enqueued;
  }

  /** Why the last append failed, while the store is failing; undefined after one succeeded. */
  get lastError(): unknown {
    return this.#failing ? this.#lastError : undefined;
  }

  /** The proxy may forward traffic now. */
  get writable(): boolean {
    if (this.#state !== 'open') return false;
    if (this.#policy === 'Continue') return true;
    return !this.#blocked && this.#queue.length < this.#highWaterMark;
  }

  /** Block policy: the store is failing and the writer is retrying. */
  get blocked(): boolean {
    return this.#blocked;
  }

  get buffered(): number {
    return this.#queue.length;
  }

  /** Continue policy (and abort): records given up so far. */
  get lostRecords(): number {
    return this.#lost;
  }

  /** Resolves once writable; rejects (RecorderClosed) if the writer closes first. */
  whenWritable(): Promise<void> {
    if (this.writable) return Promise.resolve();
    if (this.#state !== 'open') return Promise.reject(closedError());
    const writable = new Promise<void>((resolve, reject) => this.#writableWaiters.push({ resolve, reject }));
    // Someone is waiting: do not let a batch sit out its delay.
    this.#pump();
    return writable;
  }

  enqueue(record: StoredRecord): void {
    if (this.#state !== 'open') throw closedError();
    this.#enqueued++;
    if (this.#policy === 'Continue' && this.#queue.length >= this.#maxBuffered) {
      this.#giveUp(1, new Error(`more than ${this.#maxBuffered} records waiting for the store`));
      return;
    }
    this.#queue.push(record);
    if (this.#queue.length - this.#inFlight >= this.#maxBatch || !this.writable) this.#pump();
    else this.#armBatchTimer();
  }

  /** Resolves when every record enqueued so far is stored (or, Continue, given up). Under Block it waits out a failing store. */
  flush(): Promise<void> {
    const target = this.#enqueued;
    if (this.#settled >= target) return Promise.resolve();
    if (this.#state === 'closed') return Promise.reject(closedError());
    const done = new Promise<void>((resolve, reject) => this.#flushWaiters.push({ target, waiter: { resolve, reject } }));
    this.#pump();
    return done;
  }

  /**
   * Flushes, then closes the sink. Under Block with a failing store this keeps retrying for at most
   * flushTimeoutMs; then the rest is given up (counted lost) and close() resolves. abort() ends it sooner.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      if (this.#state === 'closed') return Promise.resolve();
      this.#state = 'closing';
      this.#rejectWritableWaiters();
      this.#closing = this.#closeWithin(this.#flushTimeoutMs);
    }
    return this.#closing;
  }

  async #closeWithin(timeoutMs: number): Promise<void> {
    const started = Date.now();
    const flushed = this.flush();
    if ((await settleWithin(flushed, timeoutMs)) === 'timeout') {
      const cause = this.#lastError instanceof Error ? `: ${this.#lastError.message}` : '';
      await this.abort(`the store did not take the session's last records within ${timeoutMs} ms${cause}`);
      return;
    }
    await flushed;
    this.#finish();
    await settleWithin(this.#sink.close(), Math.max(0, timeoutMs - (Date.now() - started)));
  }

  /**
   * Gives up what is still queued (counted lost), stops retrying and closes the sink. For shutdown
   * and dead sessions. Waits at most flushTimeoutMs for an append already in the sink's hands (then
   * counts it lost too) and for the sink to close.
   */
  async abort(reason = 'recording aborted'): Promise<void> {
    if (this.#state === 'closed') return;
    const waiting = this.#queue.length - this.#inFlight;
    this.#queue.splice(this.#inFlight, waiting);
    // Waiters hear RecorderClosed, not "flushed": what they waited for was given up.
    this.#finish();
    if (waiting > 0) this.#giveUp(waiting, new Error(reason));
    const started = Date.now();
    if (this.#inFlight > 0 && (await settleWithin(this.#inFlightDone, this.#flushTimeoutMs)) === 'timeout') {
      this.#abandoned = true;
      const count = this.#inFlight;
      this.#inFlight = 0;
      this.#queue.splice(0, count);
      this.#giveUp(count, new Error(`${reason}; an append did not settle within ${this.#flushTimeoutMs} ms`));
    }
    await settleWithin(this.#sink.close(), Math.max(0, this.#flushTimeoutMs - (Date.now() - started)));
  }

  #finish(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#batchTimer);
    clearTimeout(this.#retryTimer);
    this.#batchTimer = undefined;
    this.#retryTimer = undefined;
    this.#setBlocked(false);
    this.#setFailing(false);
    this.#rejectWritableWaiters();
    for (const { waiter } of this.#flushWaiters.splice(0)) waiter.reject(closedError());
    this.#observer.closed?.();
  }

  #armBatchTimer(): void {
    if (this.#batchTimer !== undefined || this.#retryTimer !== undefined) return;
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      this.#pump();
    }, this.#maxDelayMs);
  }

  #pump(): void {
    if (this.#inFlight > 0 || this.#retryTimer !== undefined || this.#queue.length === 0) return;
    // After abort() only the in-flight batch may finish; nothing new starts.
    if (this.#state === 'closed') return;
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    const batch = this.#queue.slice(0, this.#maxBatch);
    this.#inFlight = batch.length;
    let appended: Promise<void>;
    try {
      appended = this.#sink.append(batch);
    } catch (error) {
      appended = Promise.reject(error);
    }
    this.#inFlightDone = appended.then(
      () => this.#stored(batch.length),
      (error: unknown) => this.#failed(batch.length, error),
    );
  }

  #stored(count: number): void {
    if (this.#abandoned) return;
    this.#observer.stored?.(count);
    if (this.#state !== 'closed') this.#setFailing(false);
    this.#queue.splice(0, count);
    this.#inFlight = 0;
    this.#settled += count;
    this.#failures = 0;
    this.#setBlocked(false);
    this.#afterBatch();
  }

  #failed(count: number, error: unknown): void {
    if (this.#abandoned) return;
    this.#inFlight = 0;
    this.#lastError = error;
    this.#observer.storeError?.(error, count);
    if (this.#state !== 'closed') this.#setFailing(true, error);
    if (this.#policy === 'Continue' || this.#state === 'closed') {
      this.#queue.splice(0, count);
      this.#giveUp(count, error);
      this.#afterBatch();
      return;
    }
    this.#setBlocked(true, error);
    this.#retryTimer = setTimeout(
      () => {
        this.#retryTimer = undefined;
        this.#pump();
      },
      cappedDelay(this.#retryBackoff, ++this.#failures),
    );
  }

  #giveUp(count: number, cause: unknown): void {
    this.#settled += count;
    this.#lost += count;
    this.#observer.lost?.(count, cause);
    this.#resolveFlushWaiters();
  }

  #afterBatch(): void {
    this.#resolveFlushWaiters();
    this.#resolveWritableWaiters();
    if (this.#queue.length === 0) return;
    if (this.#flushWaiters.length > 0 || this.#writableWaiters.length > 0 || this.#queue.length >= this.#maxBatch) this.#pump();
    else this.#armBatchTimer();
  }

  #setBlocked(blocked: boolean, cause?: unknown): void {
    if (this.#blocked === blocked) return;
    this.#blocked = blocked;
    this.#observer.blockedChange?.(blocked, cause);
  }

  #setFailing(failing: boolean, cause?: unknown): void {
    if (this.#failing === failing) return;
    this.#failing = failing;
    this.#observer.failingChange?.(failing, cause);
  }

  #resolveFlushWaiters(): void {
    for (let i = this.#flushWaiters.length - 1; i >= 0; i--) {
      const entry = this.#flushWaiters[i]!;
      if (this.#settled >= entry.target) {
        this.#flushWaiters.splice(i, 1);
        entry.waiter.resolve();
      }
    }
  }

  #resolveWritableWaiters(): void {
    if (!this.writable || this.#writableWaiters.length === 0) return;
    const waiters = this.#writableWaiters;
    this.#writableWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  #rejectWritableWaiters(): void {
    const waiters = this.#writableWaiters;
    this.#writableWaiters = [];
    for (const waiter of waiters) waiter.reject(closedError());
  }
}

function positive(value: number | undefined, fallback: number): number {
  return value !== undefined && value > 0 ? value : fallback;
}

/** Waits for `promise` to settle (either way) for at most `ms`; never rejects. */
async function settleWithin(promise: Promise<unknown> | undefined, ms: number): Promise<'settled' | 'timeout'> {
  if (promise === undefined) return 'settled';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise.then(settledValue, settledValue), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const settledValue = (): 'settled' => 'settled';

function closedError(): RecordingError {
  return new RecordingError('RecorderClosed', 'the session recorder is closed; record nothing after close() or abort()');
}
