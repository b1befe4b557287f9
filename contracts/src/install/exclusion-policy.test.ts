import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admissionObjects } from './admission.ts';
import { exclusionPolicy, exclusionPolicyBinding } from './exclusion-policy.ts';

interface Policy {
  metadata: { name: string };
  spec: {
    failurePolicy: string;
    matchConstraints: { resourceRules: unknown[]; namespaceSelector: unknown; objectSelector: unknown };
    variables: { name: string; expression: string }[];
    validations: { expression: string; message: string; messageExpression: string; reason: string }[];
  };
}

test('the exclusion policy looks only at pods created with inject=false in namespaces labeled all, and fails closed', () => {
  const policy = exclusionPolicy() as unknown as Policy;
  assert.equal(policy.spec.failurePolicy, 'Fail');
  assert.deepEqual(policy.spec.matchConstraints, {
    resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
    namespaceSelector: { matchLabels: { 'airlock.dev/injection': 'all' } },
    objectSelector: { matchLabels: { 'airlock.dev/inject': 'false' } },
  });
  assert.match(
    policy.spec.variables[0]!.expression,
    /namespaceObject\.\?metadata\.\?annotations\[\?'airlock\.dev\/excludable-service-accounts'\]/,
  );
});

test('its refusal leads with a stable code and says what to do, also when the message expression fails', () => {
  const [validation] = (exclusionPolicy() as unknown as Policy).spec.validations;
  assert.equal(validation?.reason, 'Forbidden');
  for (const message of [validation!.message, validation!.messageExpression.replace(/^'/, '')]) {
    assert.match(message, /^ExclusionNotAllowed: /);
    assert.match(message, /airlock\.dev\/excludable-service-accounts/);
    assert.match(message, /remove the label/);
  }
});

test('the binding denies, and the install applies policy and binding after the segregation-of-duties objects', () => {
  const binding = exclusionPolicyBinding() as { spec: { policyName: string; validationActions: string[] } };
  assert.deepEqual(binding.spec, { policyName: 'airlock-inject-exclusion', validationActions: ['Deny'] });
  const names = admissionObjects({ namespace: 'airlock-system', serviceAccount: 'airlock-operator' }).map(
    (o) => `${o.kind}/${(o.metadata as { name: string }).name}`,
  );
  assert.deepEqual(names.slice(-2), [
    'ValidatingAdmissionPolicy/airlock-inject-exclusion',
    'ValidatingAdmissionPolicyBinding/airlock-inject-exclusion',
  ]);
});
