import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import type { AgentPrincipal, PolicyConfig, TargetConfig } from '../broker/served-config.ts';
import { policiesFor } from './applicable.ts';

const TARGET: TargetConfig = {
  name: 'orders-db',
  namespace: 'ci',
  labels: { env: 'prod' },
  spec: { type: 'postgres', localPort: 5432, postgres: { host: 'db', port: 5432, database: 'orders' } } as TargetConfig['spec'],
};

const principal = (depth?: number, overrides: Partial<AgentPrincipal> = {}): AgentPrincipal => ({
  identity: 'deployer',
  namespace: 'ci',
  serviceAccount: 'system:serviceaccount:ci:runner',
  pod: { name: 'job', uid: 'u' },
  groups: ['ci'],
  ...(depth === undefined ? {} : { delegation: { depth, chain: Array.from({ length: depth }, (_, i) => `sub-${i + 1}`) } }),
  ...overrides,
});

const policy = (name: string, spec: Partial<ApprovalPolicySpec>): PolicyConfig => ({
  name,
  namespace: 'ci',
  spec: { rules: [], defaultAction: 'deny', ...spec } as ApprovalPolicySpec,
});

const names = (policies: readonly PolicyConfig[]) => policies.map((p) => p.name);

describe('policiesFor: delegation depth', () => {
  const policies = [
    policy('everyone', {}),
    policy('sub-agents', { delegationDepth: { min: 1 } }),
    policy('deep', { delegationDepth: { min: 2 } }),
    policy('agent-itself', { delegationDepth: { max: 0 } }),
    policy('first-hop-only', { delegationDepth: { min: 1, max: 1 } }),
  ];

  test('the agent itself is depth 0', () => {
    assert.deepEqual(names(policiesFor(policies, principal(), TARGET)), ['agent-itself', 'everyone']);
  });

  test('a sub-agent is its chain’s length', () => {
    assert.deepEqual(names(policiesFor(policies, principal(1), TARGET)), ['everyone', 'first-hop-only', 'sub-agents']);
    assert.deepEqual(names(policiesFor(policies, principal(2), TARGET)), ['deep', 'everyone', 'sub-agents']);
    assert.deepEqual(names(policiesFor(policies, principal(5), TARGET)), ['deep', 'everyone', 'sub-agents']);
  });

  test('depth narrows the identity selector, it never widens it', () => {
    const scoped = [policy('others-deep', { identities: { names: ['someone-else'] }, delegationDepth: { min: 1 } })];
    assert.deepEqual(names(policiesFor(scoped, principal(3), TARGET)), []);
  });
});
