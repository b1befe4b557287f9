import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApprovalGrants } from './grants.ts';

test('a single grant covers the digest once, and only before it expires', () => {
  let now = 1_000;
  const grants = new ApprovalGrants(() => now);
  grants.grantOnce('sha256:a', 2_000);
  assert.equal(grants.covers('sha256:b'), false);
  assert.equal(grants.covers('sha256:a'), true);
  assert.equal(grants.covers('sha256:a'), false, 'used up');
  grants.grantOnce('sha256:c', 2_000);
  now = 2_000;
  assert.equal(grants.covers('sha256:c'), false, 'expired');
});

test('a window grant covers the digest until it closes', () => {
  let now = 0;
  const grants = new ApprovalGrants(() => now);
  grants.grant('sha256:a', 100);
  assert.equal(grants.covers('sha256:a'), true);
  assert.equal(grants.covers('sha256:a'), true);
  now = 100;
  assert.equal(grants.covers('sha256:a'), false);
});
