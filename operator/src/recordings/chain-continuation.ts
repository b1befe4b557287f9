/**
 * Decides what of a batch to store, given where the stored chain stands: pure, so the file store
 * and any later store apply the same rules. Each record must be well-formed, of this session, and
 * carry the hash of its content; the batch must be one unbroken run of seqs and links. Records the
 * store already holds are dropped (a retry); the rest must continue the chain exactly, or, after a
 * loss the sidecar declared, start past it.
 */
import { type ChainHead, RECORD_VERSION, recordHash, type StoredRecord } from '@airlock/contracts/recording';
import { IngestError } from './ingest-store.ts';

export interface Continuation {
  /** What to append, in order (possibly nothing: all duplicates). */
  readonly toStore: readonly StoredRecord[];
  /** Where the chain stands after appending them. */
  readonly head: ChainHead;
  /** A gap was accepted before the first stored record. */
  readonly gap?: { readonly from: number; readonly to: number };
}

export function continueChain(head: ChainHead, sessionId: string, batch: readonly unknown[], afterLoss = false): Continuation {
  const records = batch.map((record, index) => checkRecord(record, index, sessionId));
  for (let i = 1; i < records.length; i++) {
    const before = records[i - 1]!;
    const record = records[i]!;
    if (record.seq !== before.seq + 1 || record.prev !== before.hash) {
      throw new IngestError(
        'ChainBroken',
        `record ${i} of the batch (seq ${record.seq}) does not follow seq ${before.seq}: a batch must be one unbroken run of the chain`,
      );
    }
  }
  // The newest record the store holds can be compared; older duplicates are dropped on their seq.
  const last = records.find((record) => record.seq === head.seq - 1);
  if (last && last.hash !== head.hash) {
    throw new IngestError('ChainBroken', `seq ${last.seq} differs from the stored record of the same seq: the session's chain forked`);
  }
  const toStore = records.filter((record) => record.seq >= head.seq);
  const first = toStore[0];
  if (first === undefined) return { toStore, head };
  let gap: Continuation['gap'];
  if (first.seq === head.seq) {
    if (first.prev !== head.hash) {
      throw new IngestError(
        'ChainBroken',
        `seq ${first.seq} does not link to the stored seq ${head.seq - 1}: a stored record was replaced`,
      );
    }
  } else if (afterLoss) {
    gap = { from: head.seq, to: first.seq - 1 };
  } else {
    throw new IngestError(
      'ChainBroken',
      `the batch starts at seq ${first.seq} but the store holds through seq ${head.seq - 1}: send seq ${head.seq} first, or mark the batch afterLoss if those records were given up`,
    );
  }
  const end = toStore[toStore.length - 1]!;
  return { toStore, head: { seq: end.seq + 1, hash: end.hash }, ...(gap ? { gap } : {}) };
}

function checkRecord(record: unknown, index: number, sessionId: string): StoredRecord {
  const problem = shapeProblem(record);
  if (problem) throw new IngestError('InvalidRecord', `record ${index} of the batch: ${problem}`);
  const stored = record as StoredRecord;
  if (stored.session !== sessionId) {
    throw new IngestError(
      'WrongSession',
      `record ${index} of the batch belongs to session ${JSON.stringify(stored.session)}, not ${sessionId}`,
    );
  }
  let hash: string;
  try {
    hash = recordHash(stored);
  } catch (error) {
    throw new IngestError('InvalidRecord', `record ${index} of the batch (seq ${stored.seq}): ${(error as Error).message}`);
  }
  if (hash !== stored.hash)
    throw new IngestError('InvalidRecord', `record ${index} of the batch (seq ${stored.seq}): its hash does not match its content`);
  return stored;
}

const HASH = /^[0-9a-f]{64}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const record = value as Record<string, unknown>;
  if (record.v !== RECORD_VERSION) return `record version ${String(record.v)}; this broker stores version ${RECORD_VERSION}`;
  if (typeof record.session !== 'string' || record.session === '') return 'session is not a non-empty string';
  if (typeof record.seq !== 'number' || !Number.isSafeInteger(record.seq) || record.seq < 0) return 'seq is not a non-negative integer';
  if (typeof record.time !== 'string' || !TIME.test(record.time)) return 'time is not an RFC 3339 UTC timestamp with milliseconds';
  if (typeof record.prev !== 'string' || !HASH.test(record.prev)) return 'prev is not a SHA-256 hex digest';
  if (typeof record.hash !== 'string' || !HASH.test(record.hash)) return 'hash is not a SHA-256 hex digest';
  const event = record.event;
  if (typeof event !== 'object' || event === null || Array.isArray(event) || typeof (event as { type?: unknown }).type !== 'string') {
    return 'event is not an object with a string type';
  }
  return undefined;
}
