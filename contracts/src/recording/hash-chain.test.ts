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
});
