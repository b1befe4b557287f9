/**
 * Generated protocol input for the fuzzer. A `session` case is well-framed and ends in a Query or
 * a Sync, so a working sidecar answers it with exactly one ReadyForQuery, whatever it decided; a
 * `terminal` case is garbage, truncated or mutated, and is the last thing sent on a connection
 * (the sidecar may close it, or wait for bytes that never come until the fuzzer hangs up).
 */
import { serialize } from 'pg-protocol';
import { invalidUtf8, sqlText } from './fuzz-sql.ts';
import type { SeededRandom } from './seeded-random.ts';

export interface FuzzCase {
  readonly kind: 'session' | 'terminal';
  /** For a failure message: what was generated. */
  readonly label: string;
  readonly bytes: Buffer;
}

function frame(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([header, body]);
}

const cstring = (bytes: Buffer): Buffer => Buffer.concat([bytes, Buffer.from([0])]);
const utf8 = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Parse (with raw text bytes), so the text need not be valid UTF-8. */
function parse(name: string, text: Buffer): Buffer {
  return frame('P', Buffer.concat([cstring(utf8(name)), cstring(text), Buffer.from([0, 0])]));
}

function simple(random: SeededRandom): FuzzCase {
  const text = sqlText(random);
  if (random.chance(0.08))
    return { kind: 'session', label: `Query (not UTF-8) ${JSON.stringify(text)}`, bytes: frame('Q', cstring(invalidUtf8(random, text))) };
  return { kind: 'session', label: `Query ${JSON.stringify(text)}`, bytes: serialize.query(text) };
}

function extended(random: SeededRandom): FuzzCase {
  const text = sqlText(random);
  const name = random.pick(['', '', 's1', 's2']);
  const portal = random.pick(['', 'p1']);
  const body = random.chance(0.05) ? invalidUtf8(random, text) : utf8(text);
  const messages: Buffer[] = [parse(name, body)];
  const step = random.int(6);
  if (step > 0) messages.push(serialize.bind({ portal, statement: random.chance(0.9) ? name : 'never-parsed', values: [] }));
  if (step > 1) messages.push(serialize.describe({ type: 'P', name: portal }));
  if (step > 2) messages.push(serialize.execute({ portal, rows: random.pick([0, 0, 1]) }));
  if (step > 3 && random.chance(0.3)) messages.push(serialize.close({ type: 'S', name }));
  if (step > 4) messages.push(serialize.flush());
  messages.push(serialize.sync());
  return { kind: 'session', label: `extended (${messages.length} messages) ${JSON.stringify(text)}`, bytes: Buffer.concat(messages) };
}

/** Messages that are well-framed but odd: a FunctionCall, CopyData outside COPY, an Execute of nothing. */
function odd(random: SeededRandom): FuzzCase {
  switch (random.int(4)) {
    case 0:
      return { kind: 'session', label: 'FunctionCall', bytes: frame('F', Buffer.from([0, 0, 0x04, 0xd2, 0, 0, 0, 0, 0, 0])) };
    case 1:
      return {
        kind: 'session',
        label: 'CopyData outside COPY, then a Query',
        bytes: Buffer.concat([frame('d', random.bytes(8)), serialize.query('SELECT 1')]),
      };
    case 2:
      return {
        kind: 'session',
        label: 'Execute of an unbound portal',
        bytes: Buffer.concat([serialize.execute({ portal: 'nothing' }), serialize.sync()]),
      };
    default:
      return { kind: 'session', label: 'Sync alone', bytes: serialize.sync() };
  }
}

function garbage(random: SeededRandom): FuzzCase {
  const valid = random.chance(0.5) ? simple(random).bytes : extended(random).bytes;
  switch (random.int(8)) {
    case 0:
      return { kind: 'terminal', label: 'random bytes', bytes: random.bytes(1 + random.int(64)) };
    case 1: {
      const bytes = Buffer.from(valid);
      bytes.writeInt32BE(random.pick([-1, 0, 1, 3, -2147483648]), 1);
      return { kind: 'terminal', label: 'a length under 4', bytes };
    }
    case 2: {
      const bytes = Buffer.from(valid);
      bytes.writeInt32BE(random.pick([0x7fffffff, 0x10000000, 0x01000001]), 1);
      return { kind: 'terminal', label: 'a length over the frame limit', bytes };
    }
    case 3:
      return { kind: 'terminal', label: 'a truncated frame', bytes: valid.subarray(0, random.int(valid.length)) };
    case 4: {
      const bytes = Buffer.from(valid);
      for (let i = 0, n = 1 + random.int(4); i < n; i++) bytes[random.int(bytes.length)] = random.int(256);
      return { kind: 'terminal', label: 'bytes flipped in a valid frame', bytes };
    }
    case 5:
      return {
        kind: 'terminal',
        label: 'an unknown message type',
        bytes: frame(random.pick(['A', 'z', '\u0000', '\u00ff', 'V']), random.bytes(random.int(16))),
      };
    case 6:
      return { kind: 'terminal', label: 'a Query without its NUL', bytes: frame('Q', utf8(sqlText(random) || 'x')) };
    default:
      return {
        kind: 'terminal',
        label: 'a Query with bytes after its NUL',
        bytes: frame('Q', Buffer.concat([cstring(utf8(sqlText(random))), random.bytes(1 + random.int(8))])),
      };
  }
}

/** The next case: mostly well-framed statements, some odd messages, a few terminal ones. */
export function nextCase(random: SeededRandom): FuzzCase {
  // Garbage ends a connection, so its share sets how many connections (and startups) a run costs.
  const roll = random.int(100);
  if (roll < 57) return simple(random);
  if (roll < 90) return extended(random);
  if (roll < 96) return odd(random);
  return garbage(random);
}
