import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refreshTime } from './kubernetes-upstream.ts';

test('a minted token is replaced when a fifth of its life, at least a minute, is left', () => {
  const fetchedAt = Date.parse('2026-12-03T10:00:00Z');
  assert.equal(refreshTime({ expiresAt: '2026-12-03T11:00:00Z' }, fetchedAt), Date.parse('2026-12-03T10:48:00Z'));
  assert.equal(refreshTime({ expiresAt: '2026-12-03T10:10:00Z' }, fetchedAt), Date.parse('2026-12-03T10:08:00Z'));
  assert.equal(refreshTime({ expiresAt: '2026-12-03T10:01:30Z' }, fetchedAt), Date.parse('2026-12-03T10:00:30Z'));
});

test('an expired or unreadable expiry fetches again at once; no expiry means a minute', () => {
  const fetchedAt = 1_000_000;
  assert.equal(refreshTime({ expiresAt: new Date(fetchedAt - 1).toISOString() }, fetchedAt), fetchedAt);
  assert.equal(refreshTime({ expiresAt: 'soon' }, fetchedAt), fetchedAt);
  assert.equal(refreshTime({}, fetchedAt), fetchedAt + 60_000);
});
