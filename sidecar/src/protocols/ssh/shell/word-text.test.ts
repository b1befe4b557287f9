import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAnsiC } from './word-text.ts';

test("$'...' escapes decode as bash decodes them", () => {
  assert.equal(decodeAnsiC('\\x72m'), 'rm');
  assert.equal(decodeAnsiC('\\162\\155'), 'rm');
  assert.equal(decodeAnsiC('\\u0072\\U0000006d'), 'rm');
  assert.equal(decodeAnsiC('a\\tb\\nc\\\\d\\\'e\\"f\\?'), 'a\tb\nc\\d\'e"f?');
  assert.equal(decodeAnsiC('\\e[0m\\E'), '\x1b[0m\x1b');
  assert.equal(decodeAnsiC('\\cA\\c?'), '\x01\x7f');
  assert.equal(decodeAnsiC('\\q\\x'), '\\q\\x', 'unknown escapes and \\x without digits stay as written');
  assert.equal(decodeAnsiC('\\x7'), '\x07', 'one hex digit is enough');
  assert.equal(decodeAnsiC('\\x726'), 'r6', 'at most two hex digits');
});

test('a NUL or a character outside ASCII is not guessed at', () => {
  assert.equal(decodeAnsiC('r\\x00m'), undefined);
  assert.equal(decodeAnsiC('\\0'), undefined);
  assert.equal(decodeAnsiC('\\xc3\\xa9'), undefined);
  assert.equal(decodeAnsiC('\\u00e9'), undefined);
});
