import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAgentPrincipal } from './principal-shape.ts';

const BASE = {
  identity: 'planner',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:planner',
  pod: { name: 'planner-1', uid: 'u-1' },
  groups: [],
};

test('a principal from the broker: pod identity, token identity, sub-agent', () => {
  assert.equal(isAgentPrincipal(BASE), true);
  assert.equal(
    isAgentPrincipal({ ...BASE, targets: ['orders-db'], onBehalfOf: 'alice', issuer: 'https://i', expiresAt: '2026-12-03T10:00:00Z' }),
    true,
  );
  assert.equal(isAgentPrincipal({ ...BASE, delegation: { depth: 2, chain: ['researcher', 'sql-writer'] } }), true);
});

test('a half-written answer is refused before a session runs under it', () => {
  for (const broken of [
    { ...BASE, groups: 'ci' },
    { ...BASE, pod: { name: 'x' } },
    { ...BASE, targets: [1] },
    { ...BASE, expiresAt: 'tomorrow' },
    { ...BASE, delegation: { depth: 2, chain: ['only-one'] } },
    { ...BASE, delegation: { depth: 0, chain: [] } },
    { ...BASE, delegation: { depth: 1.5, chain: ['a'] } },
    { ...BASE, delegation: ['a'] },
  ]) {
    assert.equal(isAgentPrincipal(broken), false, JSON.stringify(broken));
  }
});
