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
  ];

  test('the agent itself is depth 0; a sub-agent its chain’s length, and gets every policy a shallower one gets', () => {
    assert.deepEqual(names(policiesFor(policies, principal(), TARGET)), ['everyone']);
    assert.deepEqual(names(policiesFor(policies, principal(1), TARGET)), ['everyone', 'sub-agents']);
    assert.deepEqual(names(policiesFor(policies, principal(2), TARGET)), ['deep', 'everyone', 'sub-agents']);
    assert.deepEqual(names(policiesFor(policies, principal(5), TARGET)), ['deep', 'everyone', 'sub-agents']);
  });

  test('depth narrows the identity selector, it never widens it', () => {
    const scoped = [policy('others-deep', { identities: { names: ['someone-else'] }, delegationDepth: { min: 1 } })];
    assert.deepEqual(names(policiesFor(scoped, principal(3), TARGET)), []);
  });

  test('a sub-agent whose parent no policy applies to gets none either, even where depth policies would apply', () => {
    const onlyDeep = [policy('sub-agents-may-read', { delegationDepth: { min: 1 } })];
    assert.deepEqual(names(policiesFor(onlyDeep, principal(), TARGET)), []);
    assert.deepEqual(names(policiesFor(onlyDeep, principal(1), TARGET)), []);
  });

  test('property: at every depth, a deeper principal’s policies include a shallower one’s, so the strictest decision can only grow', () => {
    const candidates = [
      policy('p0', {}),
      policy('p1', { delegationDepth: { min: 1 } }),
      policy('p2', { delegationDepth: { min: 2 } }),
      policy('p3', { delegationDepth: { min: 3 } }),
      policy('other-identity', { identities: { names: ['x'] } }),
      policy('other-target', { targets: { names: ['x'] } }),
    ];
    // Every subset of the candidate policies, at every pair of depths.
    for (let mask = 0; mask < 1 << candidates.length; mask++) {
      const chosen = candidates.filter((_, index) => mask & (1 << index));
      for (let shallow = 0; shallow <= 4; shallow++) {
        const parent = names(policiesFor(chosen, principal(shallow === 0 ? undefined : shallow), TARGET));
        const child = names(policiesFor(chosen, principal(shallow + 1), TARGET));
        for (const name of parent) assert.ok(child.includes(name), `${name} applies at depth ${shallow} but not ${shallow + 1}`);
        if (parent.length === 0) assert.deepEqual(child, [], `depth ${shallow + 1} got ${child} where its parent got nothing`);
      }
    }
  });
});
