/**
 * Records one proxied session: chains each event as it is recorded (synchronously, so the order of
 * the records is the order of the calls) and hands it to a BatchingWriter in front of the
 * session's sink.
 *
 * The proxy's side of the contract (see docs/adr/0012-recording-block-means-block.md):
 *
 *   await recorder.opened();                  // before the first byte goes upstream
 *   if (!recorder.writable) await recorder.whenWritable();
 *   recorder.record({ type: 'decision', ... });
 *   await recorder.beforeForward();           // Block: the decision is stored before its bytes go
 *
 * Each wait is bounded by blockTimeoutMs and then rejects with RecordingError StoreUnavailable,
 * so the agent hears an error instead of silence.
 */

import type { RecordedEvent } from '@airlock/contracts/recording';
import { CHAIN_START, type ChainHead, chainRecord, RecordingError, type StoredRecord } from '@airlock/contracts/recording';
import { type BatchingOptions, BatchingWriter, type RecordingObserver, type StoreFailurePolicy } from './batching-writer.ts';
import type { RecordingSink } from './sink.ts';

export interface SessionRecorderOptions extends BatchingOptions {
  readonly sessionId: string;
  /** This session's sink (RecordingStore.open(sessionId)); the recorder closes it. */
  readonly sink: RecordingSink;
  readonly clock: () => Date;
  readonly observer?: RecordingObserver;
  /** How long opened(), whenWritable() and beforeForward() wait before StoreUnavailable (default 5000 ms). */
  readonly blockTimeoutMs?: number;
}

export class SessionRecorder {
  readonly sessionId: string;
  readonly #clock: () => Date;
  readonly #writer: BatchingWriter;
  readonly #blockTimeoutMs: number;
  #head: ChainHead = CHAIN_START;

  constructor(options: SessionRecorderOptions) {
    this.sessionId = options.sessionId;
    this.#clock = options.clock;
    this.#writer = new BatchingWriter(options.sink, options, options.observer);
    this.#blockTimeoutMs = options.blockTimeoutMs !== undefined && options.blockTimeoutMs > 0 ? options.blockTimeoutMs : 5000;
  }

  get policy(): StoreFailurePolicy {
    return this.#writer.policy;
  }

  /**
   * Chains the event and queues it for the sink. Throws RecordingError: NotCanonicalizable for an
   * event JSON cannot hold (the chain does not advance), RecorderClosed after close() or abort().
   */
  record(event: RecordedEvent): StoredRecord {
    const record = chainRecord(this.#head, this.sessionId, this.#clock(), event);
    this.#writer.enqueue(record);
    this.#head = { seq: record.seq + 1, hash: record.hash };
    return record;
  }

  /** The next record's seq and prev: after the last record, its seq + 1 and its hash. */
  get head(): ChainHead {
    return this.#head;
  }

  /** Whether the proxy may forward traffic now (Block policy: the store keeps up). A field read. */
  get writable(): boolean {
    return this.#writer.writable;
  }

  /** Block policy: storing fails and the recorder is retrying; report the sidecar unhealthy. */
  get blocked(): boolean {
    return this.#writer.blocked;
  }

  get lostRecords(): number {
    return this.#writer.lostRecords;
  }

  /** Resolves once writable; rejects with StoreUnavailable after blockTimeoutMs, RecorderClosed if closed first. */
  whenWritable(): Promise<void> {
    if (this.#writer.writable) return Promise.resolve();
    return this.#within(this.#writer.whenWritable(), 'for the recording store to catch up');
  }

  /**
   * Before the session's first byte goes upstream: the records so far (session.open) are stored.
   * Block: rejects with StoreUnavailable after blockTimeoutMs. Continue: a failed store gave the
   * records up (counted lost) and this resolves; a store that does not answer is not waited for
   * longer than blockTimeoutMs either.
   */
  async opened(): Promise<void> {
    if (this.#writer.policy === 'Block') return this.#within(this.#writer.flush(), 'to store the session-open record');
    await this.#within(this.#writer.flush(), 'to store the session-open record').catch(() => undefined);
  }

  /**
   * Block: undefined when every record so far is stored, else a promise that resolves once they
   * are (one batch, one sync, for everything decided since the last forward) or rejects with
   * StoreUnavailable after blockTimeoutMs. Continue: always undefined; nothing waits.
   */
  beforeForward(): Promise<void> | undefined {
    if (this.#writer.policy !== 'Block' || this.#writer.settled) return undefined;
    return this.#within(this.#writer.flush(), "to store the statement's records");
  }

  /** Why the store is failing now, if it is. */
  get storeError(): unknown {
    return this.#writer.lastError;
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** After session.close was recorded: flush, then close the sink; gives up (counted lost) after flushTimeoutMs. */
  close(): Promise<void> {
    return this.#writer.close();
  }

  /** Give up what is not stored yet (counted lost) and close the sink. */
  abort(reason?: string): Promise<void> {
    return this.#writer.abort(reason);
  }

  #within(waiting: Promise<void>, what: string): Promise<void> {
    const timeoutMs = this.#blockTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const cause = this.#writer.lastError;
        const why = cause instanceof Error ? cause.message : `the store did not answer within ${timeoutMs} ms`;
        reject(
          new RecordingError(
            'StoreUnavailable',
            `session records cannot be stored (${why}); waited ${timeoutMs} ms ${what}. Free space in or repair the recording store, then reconnect`,
            { cause },
          ),
        );
      }, timeoutMs);
      waiting.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
