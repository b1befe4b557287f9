/**
 * Session records to the broker's ingest. Each append posts the records (split so no post nears
 * the broker's body limit) and resolves once the broker acknowledged them as stored; a failed post
 * rejects, and the session's BatchingWriter applies the Target's onStoreFailure: Block retries the
 * same records (the broker drops what it already holds, by seq), Continue gives them up, and the
 * next batch tells the broker it comes after a loss.
 */

import { BROKER_PATHS, RECORDING_BATCH_TARGET_BYTES, type RecordingAck, type RecordingBatch } from '@airlock/contracts/broker';
import { type StoredRecord, serializeRecord } from '@airlock/contracts/recording';
import type { RecordingSink, RecordingStore } from '../core/recording/sink.ts';
import { type BrokerClient, JsonText } from './broker-client.ts';
import { BrokerError } from './errors.ts';

export class BrokerRecordingStore implements RecordingStore {
  readonly #client: BrokerClient;
  readonly #batchBytes: number;

  constructor(client: BrokerClient, options: { readonly batchBytes?: number } = {}) {
    this.#client = client;
    this.#batchBytes = options.batchBytes ?? RECORDING_BATCH_TARGET_BYTES;
  }

  open(sessionId: string): RecordingSink {
    return new BrokerRecordingSink(this.#client, sessionId, this.#batchBytes);
  }
}

class BrokerRecordingSink implements RecordingSink {
  readonly #client: BrokerClient;
  readonly #sessionId: string;
  readonly #batchBytes: number;
  /** The seq the broker expects next, as far as this sink knows. */
  #next = 0;
  #closed = false;

  constructor(client: BrokerClient, sessionId: string, batchBytes: number) {
    this.#client = client;
    this.#sessionId = sessionId;
    this.#batchBytes = batchBytes;
  }

  async append(records: readonly StoredRecord[]): Promise<void> {
    if (this.#closed) throw new BrokerError('Invalid', `append to session ${this.#sessionId} after close()`);
    for (const chunk of splitBySize(records, this.#batchBytes)) {
      const first = chunk[0];
      if (first === undefined) continue;
      const batch = recordingBatchJson(chunk, first.seq > this.#next);
      // One quick retry covers a kept-alive connection the broker closed; longer outages are the writer's to wait out.
      const ack = await this.#client.call<RecordingAck>('POST', BROKER_PATHS.recordings(this.#sessionId), batch, {
        idempotent: true,
        attempts: 2,
      });
      if (typeof ack?.storedThrough !== 'number') throw new BrokerError('BadResponse', 'the broker did not acknowledge the records');
      this.#next = ack.storedThrough + 1;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.call('POST', BROKER_PATHS.recordingClose(this.#sessionId), {}, { idempotent: true, attempts: 3 });
  }
}

/**
 * The RecordingBatch of `records` as JSON, composed from each record's stored line (canonical
 * JSON, which chainRecord already made): no record is serialized again for the post.
 */
export function recordingBatchJson(records: readonly StoredRecord[], afterLoss: boolean): JsonText {
  const afterLossKey: keyof RecordingBatch = 'afterLoss';
  const rest = afterLoss ? `,"${afterLossKey}":true` : '';
  return new JsonText(`{"records":[${records.map(serializeRecord).join(',')}]${rest}}`);
}

/** Consecutive runs of records whose JSON stays under `limit` bytes; a record larger than that goes alone. */
export function splitBySize(records: readonly StoredRecord[], limit: number): StoredRecord[][] {
  const chunks: StoredRecord[][] = [];
  let current: StoredRecord[] = [];
  let size = 0;
  for (const record of records) {
    const bytes = Buffer.byteLength(serializeRecord(record), 'utf8') + 1;
    if (current.length > 0 && size + bytes > limit) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
