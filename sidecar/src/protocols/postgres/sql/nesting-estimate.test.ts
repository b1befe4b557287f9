import assert from 'node:assert/strict';
import { test } from 'node:test';
import { estimateNesting } from './nesting-estimate.ts';

const chain = (count: number, item: string, separator: string): string => Array(count).fill(item).join(separator);

test('chains add up; commas, AND and OR end them', () => {
  assert.ok(estimateNesting(`SELECT ${chain(100, '1', ' + ')}`) >= 198, '99 operators, two units each');
  assert.ok(estimateNesting(`SELECT ${chain(100, '1', ', ')}`) < 10);
  assert.ok(estimateNesting(`SELECT 1 WHERE ${chain(100, 'a = 1', ' AND ')}`) < 20);
  assert.ok(estimateNesting(`SELECT 1 WHERE ${chain(100, '(a = 1 AND b = 2)', ' OR ')}`) < 30);
});

test('brackets and CASE open levels', () => {
  assert.ok(estimateNesting(`SELECT ${'('.repeat(100)}1${')'.repeat(100)}`) >= 400);
  assert.ok(estimateNesting(`SELECT ${'ARRAY['.repeat(100)}1${']'.repeat(100)}`) >= 400);
  assert.ok(estimateNesting(`SELECT ${'CASE WHEN a THEN '.repeat(100)}1${' END'.repeat(100)}`) >= 400);
  assert.ok(estimateNesting(`SELECT ${'(1), '.repeat(1000)}1`) < 20, 'siblings do not add up');
});

test('JOINs and set operations nest across the ANDs of their conditions', () => {
  const joins = `SELECT * FROM t0${Array.from({ length: 100 }, (_, i) => ` JOIN t${i + 1} ON a AND b`).join('')}`;
  assert.ok(estimateNesting(joins) >= 200);
  assert.ok(estimateNesting(chain(100, 'SELECT 1 WHERE a AND b', ' UNION ')) >= 200);
});

test('the AND of a BETWEEN does not end the chain', () => {
  assert.ok(estimateNesting(`SELECT ${'1 BETWEEN 1 AND '.repeat(100)}1`) >= 200);
});

test('strings, quoted identifiers and comments cannot nest, nor hide what follows them', () => {
  const deep = `${'('.repeat(50)}1${')'.repeat(50)}`;
  const hidden = [
    `'${'('.repeat(500)}'`,
    `E'\\'${'('.repeat(500)}'`,
    `'a''${'('.repeat(500)}'`,
    `$$${'('.repeat(500)}$$`,
    `$tag$ $$ ${'('.repeat(500)} $tag$`,
    `"${'('.repeat(500)}"`,
    `U&"${'('.repeat(500)}"`,
    `/* /* nested */ ${'('.repeat(500)} */`,
    `-- ${'('.repeat(500)}\n`,
    `'a'\n'${'('.repeat(500)}'`,
  ];
  for (const literal of hidden) {
    const alone = estimateNesting(`SELECT ${literal}`);
    assert.ok(alone < 20, `${JSON.stringify(literal.slice(0, 20))} counted ${alone}`);
    const after = estimateNesting(`SELECT ${literal}, ${deep}`);
    assert.ok(after >= 200, `${JSON.stringify(literal.slice(0, 20))} hid what follows: ${after}`);
  }
});

test('a standard string ends at its quote even after a backslash', () => {
  // With standard_conforming_strings, 'a\' is a whole string: the parentheses after it count.
  assert.ok(estimateNesting(`SELECT 'a\\', ${'('.repeat(100)}1${')'.repeat(100)}`) >= 400);
});

test('stray closers do not lower the estimate', () => {
  assert.ok(estimateNesting(`SELECT ${')'.repeat(50)} END ] ${'('.repeat(100)}1`) >= 400);
});
