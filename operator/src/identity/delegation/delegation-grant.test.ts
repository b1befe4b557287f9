import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AgentPrincipal } from '@airlock/contracts/broker';
import type { AgentIdentity } from '@airlock/crds';
import { type DelegationAsk, delegationGrant } from './delegation-grant.ts';

const NOW = 1_800_000_000;

function identity(delegation?: { maxDepth: number; maxTTL?: string }): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name: 'planner', namespace: 'agents' },
    spec: { serviceAccountName: 'planner', targets: ['orders-db', 'build-host', 'cluster-api'], ...(delegation ? { delegation } : {}) },
  };
}

const parent = (overrides: Partial<AgentPrincipal> = {}): AgentPrincipal => ({
  identity: 'planner',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:planner',
  pod: { name: 'planner-1', uid: 'uid-1' },
  groups: [],
  targets: ['orders-db', 'build-host'],
  ...overrides,
});

function refused(result: ReturnType<typeof delegationGrant>): { reason: string; message: string } {
  assert.equal(result.ok, false, JSON.stringify(result));
  if (result.ok) throw new Error('unreachable');
  return result;
}

const ask = (overrides: Partial<DelegationAsk> = {}): DelegationAsk => ({ name: 'sql-writer', ...overrides });

describe('delegationGrant', () => {
  test('an identity without spec.delegation cannot delegate', () => {
    const result = refused(delegationGrant(parent(), identity(), ask(), NOW));
    assert.equal(result.reason, 'DelegationNotAllowed');
    assert.match(result.message, /spec\.delegation\.maxDepth/);
  });

  test('a grant is a subset of the parent’s targets, depth one more, the chain extended', () => {
    const result = delegationGrant(parent(), identity({ maxDepth: 2 }), ask({ targets: ['orders-db'], ttlSeconds: 300 }), NOW);
    assert.ok(result.ok);
    assert.deepEqual(result.value, { targets: ['orders-db'], depth: 1, chain: ['sql-writer'], expiresAt: NOW + 300 });
  });

  test('without targets the sub-agent gets the parent’s, never the identity’s wider list', () => {
    const result = delegationGrant(parent(), identity({ maxDepth: 1 }), ask(), NOW);
    assert.ok(result.ok);
    assert.deepEqual(result.value.targets, ['orders-db', 'build-host']);
  });

  test('a target the parent lacks is refused, even when the identity has it', () => {
    const result = refused(delegationGrant(parent(), identity({ maxDepth: 1 }), ask({ targets: ['orders-db', 'cluster-api'] }), NOW));
    assert.equal(result.reason, 'DelegationTooBroad');
    assert.match(result.message, /cluster-api/);
  });

  test('a chain deeper than maxDepth is refused, naming the chain', () => {
    const deep = parent({ delegation: { depth: 2, chain: ['planner-helper', 'researcher'] } });
    const result = refused(delegationGrant(deep, identity({ maxDepth: 2 }), ask(), NOW));
    assert.equal(result.reason, 'DelegationTooDeep');
    assert.match(result.message, /planner-helper → researcher → sql-writer/);
    const allowed = delegationGrant(deep, identity({ maxDepth: 3 }), ask(), NOW);
    assert.ok(allowed.ok);
    assert.equal(allowed.value.depth, 3);
    assert.deepEqual(allowed.value.chain, ['planner-helper', 'researcher', 'sql-writer']);
  });

  test('lifetime: at most maxTTL, never past the parent’s own expiry', () => {
    const tooLong = refused(delegationGrant(parent(), identity({ maxDepth: 1, maxTTL: '5m' }), ask({ ttlSeconds: 600 }), NOW));
    assert.equal(tooLong.reason, 'DelegationTooBroad');
    const capped = delegationGrant(
      parent({ expiresAt: new Date((NOW + 120) * 1000).toISOString() }),
      identity({ maxDepth: 1, maxTTL: '15m' }),
      ask({ ttlSeconds: 900 }),
      NOW,
    );
    assert.ok(capped.ok);
    assert.equal(capped.value.expiresAt, NOW + 120);
    const dying = refused(
      delegationGrant(parent({ expiresAt: new Date((NOW + 3) * 1000).toISOString() }), identity({ maxDepth: 1 }), ask(), NOW),
    );
    assert.equal(dying.reason, 'DelegationTooBroad');
  });

  test('names and lifetimes that are not well formed are Invalid', () => {
    for (const name of ['', 'Writer', 'a b', '-x', 'x'.repeat(64), '../etc']) {
      assert.equal(refused(delegationGrant(parent(), identity({ maxDepth: 1 }), ask({ name }), NOW)).reason, 'Invalid', name);
    }
    for (const ttlSeconds of [0, 5, 1.5, -10]) {
      assert.equal(
        refused(delegationGrant(parent(), identity({ maxDepth: 1 }), ask({ ttlSeconds }), NOW)).reason,
        'Invalid',
        String(ttlSeconds),
      );
    }
    assert.equal(refused(delegationGrant(parent(), identity({ maxDepth: 1 }), ask({ targets: [] }), NOW)).reason, 'Invalid');
  });
});
