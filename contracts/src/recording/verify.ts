/**
 * Checks a session's records: each record's hash, the links between them, and that the seqs run
 * 0, 1, 2, ... without gaps, repeats or swaps. The first problem in file order is reported with
 * where it is.
 *
 * What a chain cannot show: records missing at the end. A file cut after record N is a valid chain
 * of N + 1 records. The result says where the chain ends (`lastSeq`, `lastHash`) and whether its
 * last event is session.close, so a caller that knows the session ended can demand it
 * (`requireClose`), and one that anchored the last hash elsewhere can compare it.
 */
import type { RecordedEventType } from './events.ts';
import { GENESIS_HASH, RECORD_VERSION, recordHash, type StoredRecord } from './hash-chain.ts';

export type VerifyProblem =
  /** Nothing to verify: every session records at least session.open. */
  | 'empty'
  /** A line that is not JSON (a torn write, an edit). */
  | 'bad-json'
  /** JSON, but not a record: a field missing or of the wrong shape. */
  | 'bad-record'
  | 'unsupported-version'
  /** A record of another session. */
  | 'wrong-session'
  /** The first record is not seq 0: the head was cut off. */
  | 'truncated-head'
  /** A record's hash does not match its content, or it does not link to the record before it. */
  | 'modified'
  /** A seq is missing. */
  | 'removed'
  /** A record stands before one that precedes it. */
  | 'reordered'
  /** A seq appears a second time. */
  | 'duplicated'
  /** Records follow session.close. */
  | 'after-close'
  /** requireClose: the last record is not session.close. */
  | 'truncated-tail';

export interface VerifySuccess {
  readonly ok: true;
  readonly count: number;
  readonly session: string;
  readonly lastSeq: number;
  /** Compare with an anchored copy to detect a cut or rewritten tail. */
  readonly lastHash: string;
  /** False for a session still open, or a file whose tail was cut off. */
  readonly endsWithClose: boolean;
}

export interface VerifyFailure {
  readonly ok: false;
  readonly problem: VerifyProblem;
  /** The seq the chain breaks at: the one the record at `index` should have had. */
  readonly seq: number;
  /** 0-based position of the offending record in the input (the line number is index + 1). */
  readonly index: number;
  /** The seq the offending record carries, when it carries one. */
  readonly found?: number;
  /** Records before it that verified. */
  readonly verified: number;
  readonly message: string;
}

export type VerifyResult = VerifySuccess | VerifyFailure;

export interface VerifyOptions {
  /** The session the records must belong to; by default the first record's. */
  readonly session?: string;
  /** Fail (truncated-tail) unless the last record is session.close. */
  readonly requireClose?: boolean;
}

type Entry = { readonly record: unknown } | { readonly badJson: string };

export function verifyRecords(records: readonly unknown[], options: VerifyOptions = {}): VerifyResult {
  return verifyEntries(
    records.map((record) => ({ record })),
    options,
  );
}

/** Verifies a JSONL file's text: one record per line, a final newline optional. */
export function verifyJsonl(text: string, options: VerifyOptions = {}): VerifyResult {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const entries = lines.map((line): Entry => {
    try {
      return { record: JSON.parse(line) };
    } catch (error) {
      return { badJson: line.trim() === '' ? 'an empty line' : (error as Error).message };
    }
  });
  return verifyEntries(entries, options);
}

const HASH = /^[0-9a-f]{64}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CLOSE: RecordedEventType = 'session.close';

function verifyEntries(entries: readonly Entry[], options: VerifyOptions): VerifyResult {
  if (entries.length === 0) {
    return { ok: false, problem: 'empty', seq: 0, index: 0, verified: 0, message: 'no records: not even session.open' };
  }
  // Which seqs occur anywhere, to tell a record that comes later (reordered) from one that is gone (removed).
  const present = new Set<number>();
  for (const entry of entries) {
    if ('record' in entry && isRecordShaped(entry.record)) present.add(entry.record.seq);
  }

  let session = options.session;
  let prev = GENESIS_HASH;
  let closedAt: number | undefined;
  let last: StoredRecord<{ type: string }> | undefined;
  for (let index = 0; index < entries.length; index++) {
    const entry = entries[index]!;
    const seq = index;
    const fail = (problem: VerifyProblem, message: string, found?: number): VerifyFailure => ({
      ok: false,
      problem,
      seq,
      index,
      ...(found === undefined ? {} : { found }),
      verified: index,
      message: `seq ${seq} (line ${index + 1}): ${message}`,
    });

    if ('badJson' in entry) return fail('bad-json', `not JSON: ${entry.badJson}`);
    const record = entry.record;
    if (!isRecordShaped(record)) return fail('bad-record', describeShape(record) ?? 'not a record');
    const found = record.seq;
    if (record.v !== RECORD_VERSION)
      return fail('unsupported-version', `record version ${String(record.v)}; this verifier knows ${RECORD_VERSION}`, found);
    let hash: string;
    try {
      hash = recordHash(record);
    } catch (error) {
      // JSON.parse turns 1e400 into Infinity, which has no canonical form.
      return fail('bad-record', (error as Error).message, found);
    }
    if (hash !== record.hash) {
      return fail('modified', `the record's content does not match its hash (it claims seq ${found})`, found);
    }
    session ??= record.session;
    if (record.session !== session) {
      return fail(
        'wrong-session',
        `the record belongs to session ${JSON.stringify(record.session)}, not ${JSON.stringify(session)}`,
        found,
      );
    }
    if (found !== seq) {
      if (index === 0) return fail('truncated-head', `the first record is seq ${found}: records 0..${found - 1} are missing`, found);
      if (found < seq) return fail('duplicated', `seq ${found} appears again after seq ${seq - 1}`, found);
      if (present.has(seq)) return fail('reordered', `seq ${found} stands where seq ${seq} should; seq ${seq} comes later`, found);
      return fail('removed', `seq ${seq} is missing (the next record is seq ${found})`, found);
    }
    if (record.prev !== prev) {
      return fail(
        'modified',
        seq === 0
          ? 'the first record does not start the chain (prev is not the genesis value)'
          : `the record does not link to seq ${seq - 1} (prev is not its hash): a record was replaced or rehashed`,
        found,
      );
    }
    if (closedAt !== undefined) return fail('after-close', `the record follows session.close (seq ${closedAt})`, found);
    if (record.event.type === CLOSE) closedAt = seq;
    prev = record.hash;
    last = record;
  }

  // Every entry verified, so there is a last record and a session.
  const endsWithClose = last!.event.type === CLOSE;
  if (options.requireClose && !endsWithClose) {
    const seq = entries.length;
    return {
      ok: false,
      problem: 'truncated-tail',
      seq,
      index: seq,
      verified: seq,
      message: `seq ${seq}: the records end at seq ${seq - 1} without session.close; the tail may have been cut off`,
    };
  }
  return { ok: true, count: entries.length, session: session!, lastSeq: last!.seq, lastHash: last!.hash, endsWithClose };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRecordShaped(value: unknown): value is StoredRecord<{ type: string }> {
  return describeShape(value) === undefined;
}

/** Why `value` is not a stored record, or undefined when it is one. */
function describeShape(value: unknown): string | undefined {
  if (!isObject(value)) return 'not a JSON object';
  if (typeof value.v !== 'number') return 'v is not a number';
  if (typeof value.session !== 'string' || value.session === '') return 'session is not a non-empty string';
  if (typeof value.seq !== 'number' || !Number.isSafeInteger(value.seq) || value.seq < 0) return 'seq is not a non-negative integer';
  if (typeof value.time !== 'string' || !TIME.test(value.time) || Number.isNaN(Date.parse(value.time))) {
    return 'time is not an RFC 3339 UTC timestamp with milliseconds';
  }
  if (typeof value.prev !== 'string' || !HASH.test(value.prev)) return 'prev is not a SHA-256 hex digest';
  if (typeof value.hash !== 'string' || !HASH.test(value.hash)) return 'hash is not a SHA-256 hex digest';
  if (!isObject(value.event) || typeof value.event.type !== 'string') return 'event is not an object with a string type';
  return undefined;
}
