import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memoryBytes } from './memory-quantity.ts';

test('binary and decimal suffixes, plain bytes', () => {
  assert.equal(memoryBytes('256Mi'), 256 * 1024 ** 2);
  assert.equal(memoryBytes('1Gi'), 1024 ** 3);
  assert.equal(memoryBytes('1.5Gi'), 1.5 * 1024 ** 3);
  assert.equal(memoryBytes('500M'), 500e6);
  assert.equal(memoryBytes('64k'), 64e3);
  assert.equal(memoryBytes('268435456'), 268435456);
});

test('anything else is not a memory quantity', () => {
  for (const text of ['', 'Mi', '256MB', '256mi', '-1Mi', '0', '1e3', 'lots']) assert.equal(memoryBytes(text), undefined, text);
});
