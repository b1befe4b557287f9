import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RecordingError } from './errors.ts';
import { CHAIN_START, canonicalJson, chainRecord, GENESIS_HASH, recordHash, serializeRecord } from './hash-chain.ts';

describe('canonicalJson', () => {
  test('sorts keys at every depth and writes no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}');
  });

  test('does not depend on key insertion order', () => {
    const forward = { session: 's', seq: 1, event: { type: 'statement', text: 'SELECT 1', statementIndex: 0 } };
    const backward = { event: { statementIndex: 0, text: 'SELECT 1', type: 'statement' }, seq: 1, session: 's' };
    assert.equal(canonicalJson(forward), canonicalJson(backward));
    // Integer-like keys come first in insertion order for JS objects; canonical order is by code unit.
    assert.equal(canonicalJson({ b: 1, 10: 2, 9: 3 }), '{"10":2,"9":3,"b":1}');
  });

  test('any JSON value survives a parse round trip, whatever the key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        assert.equal(canonicalJson(JSON.parse(text)), text);
        assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  test('escapes strings as JSON does, lone surrogates included', () => {
    assert.equal(canonicalJson({ s: 'a"b\\c\n\u0001\ud800é' }), '{"s":"a\\"b\\\\c\\n\\u0001\\ud800é"}');
  });

  test('omits undefined members, as JSON.stringify does', () => {
    assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  });

  for (const [what, value] of [
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['undefined in an array', { a: [1, undefined] }],
    ['a Date', { d: new Date(0) }],
    ['a Buffer', { b: Buffer.from('x') }],
    ['a bigint', { n: 1n }],
    ['a function', { f: () => 1 }],
  ] as const) {
    test(`rejects ${what}`, () => {
      assert.throws(
        () => canonicalJson(value),
        (error: unknown) => error instanceof RecordingError && error.code === 'NotCanonicalizable',
      );
    });
  }
});

describe('chainRecord', () => {
  const event = { type: 'session.close', reason: 'client-terminated', bytesIn: 1, bytesOut: 2, statements: 0 } as const;

  test('hashes the canonical form of everything but the hash', () => {
    const record = chainRecord(CHAIN_START, 'sess-1', new Date('2025-06-01T12:00:00Z'), event);
    // Written by hand, keys sorted, to keep the test independent of canonicalJson.
    const expected =
      '{"event":{"bytesIn":1,"bytesOut":2,"reason":"client-terminated","statements":0,"type":"session.close"},' +
      `"prev":"${GENESIS_HASH}","seq":0,"session":"sess-1","time":"2025-06-01T12:00:00.000Z","v":1}`;
    assert.equal(record.hash, createHash('sha256').update(expected).digest('hex'));
    assert.equal(record.prev, '0'.repeat(64));
    assert.equal(record.time, '2025-06-01T12:00:00.000Z');
  });

  test('links each record to the one before', () => {
    const first = chainRecord(CHAIN_START, 's', new Date(0), event);
    const second = chainRecord({ seq: 1, hash: first.hash }, 's', new Date(1), event);
    assert.equal(second.seq, 1);
    assert.equal(second.prev, first.hash);
    assert.notEqual(second.hash, first.hash);
    assert.equal(recordHash(second), second.hash);
  });

  test('a serialized record parses back to the same hash', () => {
    const record = chainRecord(CHAIN_START, 's', new Date(0), { ...event, reason: 'ünïcødé \u2028' });
    const parsed = JSON.parse(serializeRecord(record));
    assert.deepEqual(parsed, record);
    assert.equal(recordHash(parsed), record.hash);
  });

  test('the line and hash chainRecord composes are those of canonicalJson over the whole record', () => {
    // chainRecord serializes the event once and composes the rest; any drift from canonicalJson
    // would make the verifier reject every file the sidecar writes.
    const events: unknown[] = [
      event,
      { type: 'statement', text: 'SELECT "a\u0000" -- \u2028 é 😀', params: ['x', 1.5, -0, 1e21, null, true], nested: { z: [], a: {} } },
      { b: { d: [3, { z: null, y: true }], c: 'x' }, a: 1, 10: 'ten', 9: 'nine', '': 'empty', hash: 'not the hash', prev: 'shadow' },
      'a bare string',
      42,
      [],
    ];
    const sessions = ['s', 'sess-1', 'a.b_c-d', 'x'.repeat(128)];
    const times = [new Date(0), new Date('2025-06-01T12:00:00.123Z'), new Date(-1), new Date(8.64e15)];
    let head = CHAIN_START;
    for (const value of events) {
      for (const session of sessions) {
        for (const time of times) {
          const record = chainRecord(head, session, time, value);
          const { hash: _hash, ...unsigned } = record;
          assert.equal(record.hash, recordHash(unsigned), `hash of ${JSON.stringify(value)} at ${record.time}`);
          assert.equal(serializeRecord(record), canonicalJson(record));
          head = { seq: record.seq + 1_000_003, hash: record.hash };
        }
      }
    }
  });

  test('composed lines equal canonicalJson for any JSON event (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ maxLength: 40 }), fc.nat(), (value, session, seq) => {
        const record = chainRecord({ seq, hash: GENESIS_HASH }, session, new Date(seq), value);
        const { hash: _hash, ...unsigned } = record;
        assert.equal(record.hash, recordHash(unsigned));
        assert.equal(serializeRecord(record), canonicalJson(record));
      }),
      { numRuns: 500 },
    );
  });

  test('an event JSON cannot hold is refused with where it is, and the chain does not move', () => {
    assert.throws(
      () => chainRecord(CHAIN_START, 's', new Date(0), { type: 'x', rows: [{ ok: 1 }, { bad: Number.NaN }] }),
      (error: unknown) =>
        error instanceof RecordingError &&
        error.code === 'NotCanonicalizable' &&
        error.message.startsWith('$.rows[1].bad is the number NaN'),
    );
  });
});
