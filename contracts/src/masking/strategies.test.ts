import assert from 'node:assert/strict';
import { test } from 'node:test';
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

test('null is SQL NULL for a whole value and redact for a span', () => {
  assert.equal(maskWhole({ kind: 'null' }, bytes('x')), null);
  assert.equal(maskSpan({ kind: 'null' }, 'bob@x.io'), REDACTED);
  assert.equal(spanStrategyName({ kind: 'null' }), 'redact');
  assert.equal(maskSpan({ kind: 'partial', keepFirst: 0, keepLast: 2 }, 'abcdef'), '****ef');
});
