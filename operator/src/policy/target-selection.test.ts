import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentPrincipal } from '@airlock/contracts/broker';
import { policiesFor } from '@airlock/contracts/policy';
import type { ApprovalPolicy, Target, TargetSelector } from '@airlock/crds';
import fc from 'fast-check';
import { policyTargets, selectsTarget } from './target-selection.ts';

const target = (name: string, type: Target['spec']['type'], labels: Record<string, string> = {}, namespace = 'agents'): Target => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'Target',
  metadata: { name, namespace, labels },
  spec: { type, localPort: 5432 } as Target['spec'],
});

const policy = (targets: TargetSelector | undefined, namespace = 'agents'): ApprovalPolicy => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'ApprovalPolicy',
  metadata: { name: 'p', namespace },
  spec: targets ? { targets } : {},
});

test('a selector selects a Target by any of its fields; an absent one selects the whole namespace', () => {
  const targets = [target('orders-db', 'postgres', { env: 'prod' }), target('bastion', 'ssh'), target('other-ns', 'postgres', {}, 'x')];
  const names = (selector: TargetSelector | undefined) => policyTargets(policy(selector), targets).map((t) => t.metadata.name);
  assert.deepEqual(names(undefined), ['orders-db', 'bastion']);
  assert.deepEqual(names({ types: ['ssh'] }), ['bastion']);
  assert.deepEqual(names({ matchLabels: { env: 'prod' } }), ['orders-db']);
  assert.deepEqual(names({ matchLabels: { env: 'prod', tier: 'db' } }), [], 'every label must match');
  assert.deepEqual(names({ names: ['bastion'], types: ['postgres'] }), ['orders-db', 'bastion']);
  assert.deepEqual(names({}), [], 'a selector without fields selects nothing, as in the sidecar');
});

const principal: AgentPrincipal = { identity: 'i', namespace: 'agents', serviceAccount: 'sa', pod: { name: 'p', uid: 'u' }, groups: [] };

test('selectsTarget agrees with the sidecar, which decides which policies apply', () => {
  const labels = fc.dictionary(fc.constantFrom('env', 'tier'), fc.constantFrom('prod', 'dev'), { maxKeys: 2 });
  const type = fc.constantFrom('postgres', 'ssh', 'http', 'kubernetes') as fc.Arbitrary<Target['spec']['type']>;
  const selector = fc.option(
    fc
      .record(
        { names: fc.subarray(['a', 'b']), matchLabels: labels, types: fc.subarray(['postgres', 'ssh', 'http', 'kubernetes'] as const) },
        { requiredKeys: [] },
      )
      .map((s) => s as TargetSelector),
    { nil: undefined },
  );
  fc.assert(
    fc.property(selector, fc.constantFrom('a', 'b', 'c'), type, labels, (sel, name, kind, targetLabels) => {
      const t = target(name, kind, targetLabels);
      const sidecar = policiesFor([{ name: 'p', namespace: 'agents', spec: sel ? { targets: sel } : {} }], principal, {
        name,
        namespace: 'agents',
        labels: targetLabels,
        spec: t.spec,
      });
      assert.equal(selectsTarget(sel, t), sidecar.length === 1);
    }),
    { numRuns: 2000 },
  );
});
