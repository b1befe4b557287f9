import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy, compileSshMatch } from '@airlock/contracts/policy';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { decideForwarding, FORWARD_APPROVAL_REFUSAL, forwardingFacts } from './forward-decision.ts';

const SPEC: ApprovalPolicySpec = {
  rules: [
    { name: 'no-ssh', match: { ssh: { requestTypes: ['port-forward'], destinations: ['*:22'] } }, action: 'deny', message: 'No tunnels.' },
    {
      name: 'admin-ui',
      match: { ssh: { requestTypes: ['port-forward'], destinations: ['127.0.0.1:8443'] } },
      action: 'requireApproval',
      approval: { approvers: { groups: ['ops'] } },
    },
    { name: 'replica', match: { ssh: { requestTypes: ['port-forward'], destinations: ['db.internal:5432'] } }, action: 'allow' },
    { name: 'everything-else', match: { ssh: { programs: ['*'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
};
const policies = [compilePolicy({ name: 'p', namespace: 'agents', spec: SPEC }, compileSshMatch)];

test('a forwarded connection is one port-forward operation named by its destination', () => {
  assert.deepEqual(forwardingFacts('DB.internal', 5432), {
    text: 'port-forward db.internal:5432',
    requestType: 'port-forward',
    kinds: ['port-forward'],
    destination: 'db.internal:5432',
    writes: [],
  });
});

test('a listed destination is allowed; one no rule lists is denied, whatever the exec rules allow', () => {
  const allowed = decideForwarding('db.internal', 5432, policies);
  assert.deepEqual(
    [allowed.requestType, allowed.text, allowed.decision.action],
    ['port-forward', 'port-forward db.internal:5432', 'allow'],
  );
  const other = decideForwarding('db.internal', 6379, policies);
  assert.deepEqual([other.decision.action, other.decision.verdict?.rule], ['deny', undefined]);
});

test('a deny rule denies with its message', () => {
  const { decision } = decideForwarding('build.internal', 22, policies);
  assert.equal(decision.action, 'deny');
  assert.match(decision.reason, /rule no-ssh.*No tunnels\./);
});

test('a forwarding that needs approval is refused, and the verdict still says what the policy said', () => {
  const { decision } = decideForwarding('127.0.0.1', 8443, policies);
  assert.equal(decision.action, 'deny');
  assert.equal(decision.verdict?.action, 'requireApproval');
  assert.equal(decision.verdict?.rule, 'admin-ui');
  assert.ok(decision.reason.endsWith(FORWARD_APPROVAL_REFUSAL), decision.reason);
});
