import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApprovalPolicy, ApprovalPolicySpec } from '@airlock/crds';
import { checkPolicy } from './check-policy.ts';

const policy = (spec: ApprovalPolicySpec): ApprovalPolicy => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'ApprovalPolicy',
  metadata: { name: 'p', namespace: 'agents' },
  spec,
});

test('a policy whose rules compile has no errors', () => {
  const spec: ApprovalPolicySpec = {
    rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }],
    masking: { rules: [{ name: 'emails', columns: ['*email*'] }] },
  };
  assert.deepEqual(checkPolicy(policy(spec), undefined), []);
});

test('a masking pattern RE2 cannot run is reported with its rule and field', () => {
  const errors = checkPolicy(policy({ masking: { rules: [{ name: 'backref', patterns: ['(a)\\1'] }] } }), undefined);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.rule, 'backref');
  assert.match(errors[0]?.field ?? '', /^masking\.rules\[backref\]\.patterns/);
});

test('a missing hash key is one error naming the Secret, not one per rule', () => {
  const spec: ApprovalPolicySpec = {
    masking: {
      hashKeySecretRef: { name: 'mask-key', key: 'key' },
      rules: [
        { name: 'a', columns: ['email'], strategy: 'hash' },
        { name: 'b', columns: ['phone'], strategy: 'hash' },
      ],
    },
  };
  const errors = checkPolicy(policy(spec), { missing: 'Secret mask-key not found in namespace agents' });
  assert.deepEqual(
    errors.map((e) => e.field),
    ['masking.hashKeySecretRef'],
  );
  assert.deepEqual(checkPolicy(policy(spec), { value: 'a-long-enough-hash-key-0123456789' }), []);
});

test('a hash key that is too short is reported', () => {
  const spec: ApprovalPolicySpec = {
    masking: { hashKeySecretRef: { name: 'k', key: 'key' }, rules: [{ name: 'a', columns: ['email'], strategy: 'hash' }] },
  };
  const errors = checkPolicy(policy(spec), { value: 'short' });
  assert.equal(errors.length, 1);
  assert.match(errors[0]?.message ?? '', /key/i);
});
