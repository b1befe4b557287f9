import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { hash, maskSpan, maskWhole, partial, REDACTED, spanStrategyName } from './strategies.ts';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const bytes = (s: string) => Buffer.from(s, 'utf8');

test('redact is fixed and does not reveal the length', () => {
  assert.equal(maskWhole({ kind: 'redact' }, bytes('a')), REDACTED);
  assert.equal(maskWhole({ kind: 'redact' }, bytes('a much longer secret value')), REDACTED);
});

test('partial keeps the ends, one * per hidden code point', () => {
  assert.equal(partial('4111111111111111', 0, 4), '************1111');
  assert.equal(partial('bob@example.com', 2, 4), 'bo*********.com');
  // Code points, not UTF-16 units: the emoji is one character and never split.
  assert.equal(partial('😀abc😀', 1, 1), '😀***😀');
  assert.equal(maskWhole({ kind: 'partial', keepFirst: 1, keepLast: 0 }, bytes('ünïcode')), 'ü******');
});

test('partial agrees with a code-point reference for any text (property)', () => {
  const reference = (text: string, first: number, last: number) => {
    const points = Array.from(text);
    const hidden = points.length - first - last;
    return hidden <= 0 ? REDACTED : points.slice(0, first).join('') + '*'.repeat(hidden) + points.slice(points.length - last).join('');
  };
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\ud800', '\udc00', '1', ' ') }),
      fc.nat(6),
      fc.nat(6),
      (text, first, last) => {
        assert.equal(partial(text, first, last), reference(text, first, last));
      },
    ),
    { numRuns: 500 },
  );
});

test('partial redacts fully when it would reveal the whole value', () => {
  assert.equal(partial('abcd', 2, 2), REDACTED);
  assert.equal(partial('abc', 5, 0), REDACTED);
  assert.equal(partial('', 0, 1), REDACTED);
});

test('hash: keyed, deterministic, h: and 16 hex digits', () => {
  const a = hash(key, 'bob@x.io');
  assert.match(a, /^h:[0-9a-f]{16}$/);
  assert.equal(hash(key, 'bob@x.io'), a);
  assert.equal(maskWhole({ kind: 'hash', key }, bytes('bob@x.io')), a, 'bytes and text hash alike');
  assert.notEqual(hash(key, 'alice@x.io'), a);
  assert.notEqual(hash(Buffer.from('another key, also 32 bytes long!'), 'bob@x.io'), a);
});

test('hash is HMAC-SHA-256 (RFC 2104) for any key length and value', () => {
  const reference = (k: Buffer, v: string | Uint8Array) => `h:${createHmac('sha256', k).update(v).digest('hex').slice(0, 16)}`;
  // RFC 4231 test case 2: key "Jefe", the full HMAC-SHA-256 begins 5bdcc146bf60754e.
  assert.equal(hash(Buffer.from('Jefe'), 'what do ya want for nothing?'), 'h:5bdcc146bf60754e');
  for (const length of [1, 31, 32, 63, 64, 65, 131]) {
    const k = Buffer.alloc(length, length);
    assert.equal(hash(k, 'bob@x.io'), reference(k, 'bob@x.io'), `key of ${length} bytes`);
    assert.equal(hash(k, ''), reference(k, ''), `empty value, key of ${length} bytes`);
  }
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 150 }), fc.string({ unit: 'grapheme', maxLength: 200 }), (keyBytes, value) => {
      const k = Buffer.from(keyBytes);
      assert.equal(hash(k, value), reference(k, value));
      assert.equal(hash(k, Buffer.from(value, 'utf8')), reference(k, value));
    }),
    { numRuns: 300 },
  );
});

test('null is SQL NULL for a whole value and redact for a span', () => {
  assert.equal(maskWhole({ kind: 'null' }, bytes('x')), null);
  assert.equal(maskSpan({ kind: 'null' }, 'bob@x.io'), REDACTED);
  assert.equal(spanStrategyName({ kind: 'null' }), 'redact');
  assert.equal(maskSpan({ kind: 'partial', keepFirst: 0, keepLast: 2 }, 'abcdef'), '****ef');
});
