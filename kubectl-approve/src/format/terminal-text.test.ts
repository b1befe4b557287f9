import assert from 'node:assert/strict';
import { test } from 'node:test';
import { COLOR, countUnsafe, oneLine, safeText, truncate, visibleWidth } from './terminal-text.ts';

test('escape sequences, carriage returns and invisible characters are shown, not obeyed', () => {
  // A statement that would clear the line and print a harmless one in its place.
  const attack = 'DROP TABLE orders;\r\u001b[2K\u001b[1ASELECT 1';
  assert.equal(safeText(attack, { multiline: true }), 'DROP TABLE orders;\\u{000D}\\u{001B}[2K\\u{001B}[1ASELECT 1');
  assert.equal(countUnsafe(attack, { multiline: true }), 3);
  // Trojan Source: a right-to-left override and an isolate reorder what a terminal shows.
  assert.equal(safeText("WHERE user = 'admin\u202e\u2066' -- ok"), "WHERE user = 'admin\\u{202E}\\u{2066}' -- ok");
  assert.equal(safeText('zero\u200bwidth\ufeff'), 'zero\\u{200B}width\\u{FEFF}');
  // Newlines and tabs stay in multi-line text, and are escaped in one-line text.
  assert.equal(safeText('a\n\tb', { multiline: true }), 'a\n\tb');
  assert.equal(safeText('a\nb'), 'a\\u{000A}b');
  assert.equal(countUnsafe('plain text, ümlauts, 日本語'), 0);
});

test('escapes are highlighted on a terminal', () => {
  assert.equal(safeText('a\u0007', { style: COLOR }), 'a\u001b[7m\\u{0007}\u001b[27m');
});

test('one line: whitespace runs collapse, then the rest is escaped', () => {
  assert.equal(oneLine('  SELECT 1\n  FROM t\r\n'), 'SELECT 1 FROM t');
  assert.equal(oneLine('x\u001by'), 'x\\u{001B}y');
});

test('truncate keeps whole code points and marks the cut', () => {
  assert.equal(truncate('short', 10), 'short');
  assert.equal(truncate('abcdefghij', 5), 'abcd…');
  assert.equal(truncate('😀😀😀', 2), '😀…');
});

test('visible width ignores colors', () => {
  assert.equal(visibleWidth(COLOR.keyword('SELECT')), 6);
});
