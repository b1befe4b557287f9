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
import { hash as digest } from 'node:crypto';
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
  try {
    return write(value);
  } catch (error) {
    // The writer runs for every recorded event and builds no paths; a value it refuses is walked
    // once more, slowly, to say where the offending part is.
    if (error === NOT_CANONICAL) throw locateNotCanonical(value, '$') ?? notCanonical('$', 'a value JSON cannot round-trip');
    throw error;
  }
}

/** Thrown by write() without a message; canonicalJson turns it into the located RecordingError. */
const NOT_CANONICAL = Symbol('not canonical');

function write(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw NOT_CANONICAL;
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          // Holes and undefined would turn into null: the parsed file would not hash the same.
          if (item === undefined) throw NOT_CANONICAL;
          out += i === 0 ? write(item) : `,${write(item)}`;
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw NOT_CANONICAL;
      const record = value as Record<string, unknown>;
      let out = '{';
      for (const key of Object.keys(record).sort()) {
        const member = record[key];
        // Like JSON.stringify: an absent optional field and an undefined one are the same record.
        if (member === undefined) continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(key)}:${write(member)}`;
      }
      return `${out}}`;
    }
    default:
      throw NOT_CANONICAL;
  }
}

/** The error for the first part of `value` (depth first, keys sorted) that write() refuses; undefined if none. */
function locateNotCanonical(value: unknown, path: string): RecordingError | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : notCanonical(path, `the number ${value}`);
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (value[i] === undefined) return notCanonical(`${path}[${i}]`, 'undefined in an array');
          const inner = locateNotCanonical(value[i], `${path}[${i}]`);
          if (inner) return inner;
        }
        return undefined;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return notCanonical(path, `a ${value.constructor?.name ?? 'non-plain'} object`);
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record).sort()) {
        if (record[key] === undefined) continue;
        const inner = locateNotCanonical(record[key], `${path}.${key}`);
        if (inner) return inner;
      }
      return undefined;
    }
    default:
      return notCanonical(path, `a ${typeof value}`);
  }
}

function notCanonical(path: string, what: string): RecordingError {
  return new RecordingError('NotCanonicalizable', `${path} is ${what}, which JSON cannot round-trip; record plain data only`);
}

/** The hash a record must carry: over every field but `hash` itself. */
export function recordHash(record: Omit<StoredRecord<unknown>, 'hash'>): string {
  const { v, session, seq, time, prev, event } = record;
  return digest('sha256', canonicalJson({ v, session, seq, time, prev, event }), 'hex');
}

/**
 * The JSONL line of each record chainRecord made, so the store does not serialize it a second
 * time. Records are readonly by type and never changed after they are chained.
 */
const chainedLines = new WeakMap<StoredRecord<unknown>, string>();

/**
 * The next record of a chain. Throws RecordingError (NotCanonicalizable) for an event JSON cannot hold.
 *
 * Runs for every recorded event, so the event is serialized once: the hashed form and the stored
 * line differ only by the `hash` member, which sorts between `event` and `prev`, and the other
 * members are a string, integers and the RFC 3339 time, whose canonical forms are JSON.stringify's.
 * hash-chain.test.ts checks both against canonicalJson of the whole record.
 */
export function chainRecord<E>(head: ChainHead, session: string, time: Date, event: E): StoredRecord<E> {
  const unsigned: Omit<StoredRecord<E>, 'hash'> = {
    v: RECORD_VERSION,
    session,
    seq: head.seq,
    time: time.toISOString(),
    prev: head.hash,
    event,
  };
  if (event === undefined || !Number.isSafeInteger(unsigned.seq)) return { ...unsigned, hash: recordHash(unsigned) };
  const eventJson = canonicalJson(event);
  const rest = `"prev":${JSON.stringify(unsigned.prev)},"seq":${unsigned.seq},"session":${JSON.stringify(session)},"time":"${unsigned.time}","v":${RECORD_VERSION}}`;
  const hash = digest('sha256', `{"event":${eventJson},${rest}`, 'hex');
  const record: StoredRecord<E> = { ...unsigned, hash };
  chainedLines.set(record, `{"event":${eventJson},"hash":"${hash}",${rest}`);
  return record;
}

/** One JSONL line (without the newline): the record itself in canonical form. */
export function serializeRecord(record: StoredRecord<unknown>): string {
  return chainedLines.get(record) ?? canonicalJson(record);
}
