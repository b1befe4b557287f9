/**
 * The stored form of a recorded event and the hash chain that links them.
 *
 * `hash = sha256(canonicalJson({ v, session, seq, time, prev, event }))` in lowercase hex, and `prev`
 * is the previous record's hash (GENESIS_HASH for seq 0). Changing, dropping, duplicating or moving
 * a record breaks the chain. On its own the chain is tamper-evident only up to recomputation:
 * whoever can rewrite the file can rehash everything after the change. Anchoring the last hash
 * somewhere the writer cannot change (the broker's ingest) closes that; the verifier returns
 * `lastHash` for that comparison.
 */
import { createHash } from 'node:crypto';
import { RecordingError } from './errors.ts';
import type { RecordedEvent } from './events.ts';

export const RECORD_VERSION = 1;
export const GENESIS_HASH = '0'.repeat(64);

export interface StoredRecord<E = RecordedEvent> {
  readonly v: typeof RECORD_VERSION;
  /** The session id; every record of a file carries the same one. */
  readonly session: string;
  /** 0, 1, 2, ... in the order the proxy recorded the events. */
  readonly seq: number;
  /** RFC 3339, UTC, milliseconds: 2025-01-31T12:00:00.000Z. */
  readonly time: string;
  readonly prev: string;
  readonly hash: string;
  readonly event: E;
}

/** Where the chain stands: the next record's seq and prev. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

export const CHAIN_START: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * JSON with object keys sorted (by UTF-16 code unit, as Array.prototype.sort compares) and no
 * whitespace, so the same value always gives the same bytes whatever the key insertion order.
 * Only values that survive JSON.parse unchanged are accepted; anything else throws, because the
 * verifier recomputes the hash from the parsed file and must get the same bytes.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw notCanonical(path, `the number ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        const items: string[] = [];
        for (let i = 0; i < value.length; i++) {
          // Holes and undefined would turn into null: the parsed file would not hash the same.
          if (value[i] === undefined) throw notCanonical(`${path}[${i}]`, 'undefined in an array');
          items.push(write(value[i], `${path}[${i}]`));
        }
        return `[${items.join(',')}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw notCanonical(path, `a ${value.constructor?.name ?? 'non-plain'} object`);
      const record = value as Record<string, unknown>;
      const members: string[] = [];
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        // Like JSON.stringify: an absent optional field and an undefined one are the same record.
        if (member === undefined) continue;
        members.push(`${JSON.stringify(key)}:${write(member, `${path}.${key}`)}`);
      }
      return `{${members.join(',')}}`;
    }
    default:
      throw notCanonical(path, `a ${typeof value}`);
  }
}

function notCanonical(path: string, what: string): RecordingError {
  return new RecordingError('NotCanonicalizable', `${path} is ${what}, which JSON cannot round-trip; record plain data only`);
}

/** The hash a record must carry: over every field but `hash` itself. */
export function recordHash(record: Omit<StoredRecord<unknown>, 'hash'>): string {
  const { v, session, seq, time, prev, event } = record;
  return createHash('sha256').update(canonicalJson({ v, session, seq, time, prev, event }), 'utf8').digest('hex');
}

/** The next record of a chain. Throws RecordingError (NotCanonicalizable) for an event JSON cannot hold. */
export function chainRecord<E>(head: ChainHead, session: string, time: Date, event: E): StoredRecord<E> {
  const unsigned: Omit<StoredRecord<E>, 'hash'> = {
    v: RECORD_VERSION,
    session,
    seq: head.seq,
    time: time.toISOString(),
    prev: head.hash,
    event,
  };
  return { ...unsigned, hash: recordHash(unsigned) };
}

/** One JSONL line (without the newline): the record itself in canonical form. */
export function serializeRecord(record: StoredRecord<unknown>): string {
  return canonicalJson(record);
}
