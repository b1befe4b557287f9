import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalRequest } from '../schema/approval-request.ts';
import { approvalReviewsPolicy, approvalReviewsPolicyBinding, OPERATOR_STATUS_FIELDS } from './approval-reviews-policy.ts';

test('every status field but reviews is the operator’s, including fields added later', () => {
  const fields = Object.keys(approvalRequest.status.properties ?? {});
  assert.deepEqual([...OPERATOR_STATUS_FIELDS, 'reviews'].sort(), fields.sort());
  const policy = approvalReviewsPolicy() as { spec: { variables: { name: string; expression: string }[] } };
  const changed = policy.spec.variables.find((v) => v.name === 'operatorFieldsChanged')?.expression ?? '';
  for (const f of OPERATOR_STATUS_FIELDS) assert.ok(changed.includes(`object.?status.?${f} != oldObject.?status.?${f}`), f);
});

test('every validation says what happened, also when its message expression fails', () => {
  const policy = approvalReviewsPolicy() as { spec: { validations: { message?: string; reason?: string }[] } };
  for (const v of policy.spec.validations) {
    assert.ok(v.message && v.message.length > 20, JSON.stringify(v));
    assert.equal(v.reason, 'Forbidden');
  }
});

test('the binding denies when the parameters are missing', () => {
  const binding = approvalReviewsPolicyBinding('elsewhere') as { spec: { paramRef: Record<string, string>; validationActions: string[] } };
  assert.deepEqual(binding.spec.paramRef, { name: 'airlock-admission', namespace: 'elsewhere', parameterNotFoundAction: 'Deny' });
  assert.deepEqual(binding.spec.validationActions, ['Deny']);
});
