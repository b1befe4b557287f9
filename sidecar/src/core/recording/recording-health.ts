/**
 * The recording store's health across every session of the sidecar: what /readyz, the metrics
 * and the logs say about it. Each session's writer reports through the observer this hands out.
 *
 * Not ready while a live session's last append failed, or while the last append anyone made
 * failed: the second keeps the sidecar unready after every failing session has closed and given
 * up, until a batch is stored again (the next session's session-open record, typically). There is
 * no probe write: with no session recording, nobody learns that the store broke or recovered.
 */
import type { Logger } from 'pino';
import type { RecordingObserver } from './batching-writer.ts';

export interface RecordingHealthMetrics {
  /** Appends that failed. */
  readonly storeFailures: { inc(value?: number): void };
  /** Records given up, under either policy. */
  readonly lostRecords: { inc(value?: number): void };
  /** Sessions whose traffic is held (Block, store failing). */
  readonly blockedSessions: { inc(value?: number): void; dec(value?: number): void };
  /** Sessions whose last append failed. */
  readonly failingSessions: { inc(value?: number): void; dec(value?: number): void };
}

export class RecordingHealth {
  readonly #metrics: RecordingHealthMetrics;
  #failing = 0;
  #blocked = 0;
  #live = 0;
  /** The last append anyone made failed with this; cleared by the next stored batch. */
  #lastFailure: string | undefined;
  #drained: (() => void)[] = [];

  constructor(metrics: RecordingHealthMetrics) {
    this.#metrics = metrics;
  }

  /** Reasons the store makes the sidecar unready; empty when it is healthy as far as anyone knows. */
  readinessReasons(): string[] {
    const reasons: string[] = [];
    if (this.#failing > 0) reasons.push(`recording store failing for ${this.#failing} session(s): ${this.#lastFailure ?? 'unknown error'}`);
    else if (this.#lastFailure !== undefined) reasons.push(`recording store failed and has not stored a batch since: ${this.#lastFailure}`);
    if (this.#blocked > 0) reasons.push(`recording blocked for ${this.#blocked} session(s): their statements are held`);
    return reasons;
  }

  /** Session recorders not closed yet. */
  get liveRecorders(): number {
    return this.#live;
  }

  /** Resolves when every recorder handed an observer has closed, or after `timeoutMs`, whichever comes first. For shutdown. */
  drain(timeoutMs: number): Promise<void> {
    if (this.#live === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#drained.push(done);
    });
  }

  /** One per session recorder; `logger` is the session's. */
  observer(logger: Logger): RecordingObserver {
    this.#live++;
    let failing = false;
    let blocked = false;
    let closed = false;
    return {
      stored: () => {
        this.#lastFailure = undefined;
      },
      storeError: (error, batchSize) => {
        this.#metrics.storeFailures.inc();
        this.#lastFailure = describe(error);
        logger.error({ err: { message: describe(error) }, records: batchSize }, 'recording store failed');
      },
      failingChange: (now) => {
        if (now === failing) return;
        failing = now;
        this.#failing += now ? 1 : -1;
        if (now) this.#metrics.failingSessions.inc();
        else this.#metrics.failingSessions.dec();
      },
      blockedChange: (now) => {
        if (now === blocked) return;
        blocked = now;
        this.#blocked += now ? 1 : -1;
        if (now) this.#metrics.blockedSessions.inc();
        else this.#metrics.blockedSessions.dec();
      },
      lost: (count, cause) => {
        this.#metrics.lostRecords.inc(count);
        logger.error({ lostRecords: count, err: { message: describe(cause) } }, 'session records given up: they are not in the recording');
      },
      closed: () => {
        if (closed) return;
        closed = true;
        this.#live--;
        if (this.#live === 0) for (const done of this.#drained.splice(0)) done();
      },
    };
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
