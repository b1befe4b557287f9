import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LruCache } from './lru-cache.ts';

test('evicts the least recently used entry, counting reads as use', () => {
  const cache = new LruCache<string, number>(2);
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
  assert.equal(cache.size, 2);
});

test('a capacity of zero caches nothing; a bad capacity is refused', () => {
  const cache = new LruCache<string, number>(0);
  cache.set('a', 1);
  assert.equal(cache.get('a'), undefined);
  assert.throws(() => new LruCache(-1), RangeError);
  assert.throws(() => new LruCache(1.5), RangeError);
});
