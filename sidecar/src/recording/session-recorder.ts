/**
 * Records one proxied session: chains each event as it is recorded (synchronously, so the order of
 * the records is the order of the calls) and hands it to a BatchingWriter in front of the
 * session's sink.
 *
 * The proxy's loop, per message from the agent:
 *
 *   if (!recorder.writable) await recorder.whenWritable();   // Block policy: fail closed
 *   recorder.record({ type: 'statement', ... });
 */
import { type BatchingOptions, BatchingWriter, type RecordingObserver } from './batching-writer.ts';
import type { RecordedEvent } from './events.ts';
import { CHAIN_START, type ChainHead, chainRecord, type StoredRecord } from './hash-chain.ts';
import type { RecordingSink } from './sink.ts';

export interface SessionRecorderOptions extends BatchingOptions {
  readonly sessionId: string;
  /** This session's sink (RecordingStore.open(sessionId)); the recorder closes it. */
  readonly sink: RecordingSink;
  readonly clock: () => Date;
  readonly observer?: RecordingObserver;
}

export class SessionRecorder {
  readonly sessionId: string;
  readonly #clock: () => Date;
  readonly #writer: BatchingWriter;
  #head: ChainHead = CHAIN_START;

  constructor(options: SessionRecorderOptions) {
    this.sessionId = options.sessionId;
    this.#clock = options.clock;
    this.#writer = new BatchingWriter(options.sink, options, options.observer);
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

  whenWritable(): Promise<void> {
    return this.#writer.whenWritable();
  }

  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** After session.close was recorded: flush, then close the sink. */
  close(): Promise<void> {
    return this.#writer.close();
  }

  /** Give up what is not stored yet (counted lost) and close the sink. */
  abort(reason?: string): Promise<void> {
    return this.#writer.abort(reason);
  }
}
