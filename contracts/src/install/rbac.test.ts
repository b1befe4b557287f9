/**
 * Least privilege, as properties of the rendered objects: what the operator must never be able
 * to do, and that every grant goes to the one service account it is meant for. The e2e test
 * (e2e/tests/segregation-of-duties.test.ts) checks the same roles on a real API server.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1PolicyRule } from '@kubernetes/client-node';
import { installObjects, operatorRbac, policyAuthorRole, REVIEWER_ROLE, reviewerRoles } from './index.ts';

const identity = { namespace: 'airlock-ops', serviceAccount: 'the-operator' };
const grants = (rules: V1PolicyRule[] | undefined, resource: string, verb: string) =>
  (rules ?? []).filter((r) => r.resources?.includes(resource) && r.verbs.includes(verb));

test('the operator role never lists or watches Secrets, nor edits its parameters or the admission policy', () => {
  const [clusterRole, , role] = operatorRbac(identity);
  for (const rules of [clusterRole.rules, role.rules]) {
    for (const r of rules ?? []) {
      assert.ok(!r.verbs.includes('*') && !r.resources?.includes('*') && !r.apiGroups?.includes('*'), JSON.stringify(r));
    }
    for (const verb of ['list', 'watch']) assert.deepEqual(grants(rules, 'secrets', verb), [], `secrets ${verb}`);
    for (const verb of ['create', 'update', 'patch', 'delete']) {
      assert.deepEqual(grants(rules, 'configmaps', verb), [], `configmaps ${verb}`);
      assert.deepEqual(grants(rules, 'validatingadmissionpolicies', verb), []);
      assert.deepEqual(grants(rules, 'validatingadmissionpolicybindings', verb), []);
    }
  }
  // Webhook configurations: its own, by name.
  for (const r of grants(clusterRole.rules, 'validatingwebhookconfigurations', 'patch')) assert.deepEqual(r.resourceNames, ['airlock']);
  // The webhook TLS Secret: updated by name only.
  for (const r of grants(role.rules, 'secrets', 'update')) assert.deepEqual(r.resourceNames, ['airlock-webhook-tls']);
});

test('operator bindings name only the operator service account, in its namespace', () => {
  const [, clusterBinding, role, binding] = operatorRbac(identity);
  const subject = [{ kind: 'ServiceAccount', name: 'the-operator', namespace: 'airlock-ops' }];
  assert.deepEqual(clusterBinding.subjects, subject);
  assert.deepEqual(binding.subjects, subject);
  assert.equal(role.metadata?.namespace, 'airlock-ops');
  assert.equal(binding.metadata?.namespace, 'airlock-ops');
});

test('reviewers read requests and write their status, aggregated into airlock-reviewer', () => {
  const [aggregate, base] = reviewerRoles();
  assert.equal(aggregate?.metadata?.name, REVIEWER_ROLE);
  const selector = aggregate?.aggregationRule?.clusterRoleSelectors?.[0]?.matchLabels ?? {};
  for (const [key, value] of Object.entries(selector)) assert.equal(base?.metadata?.labels?.[key], value);
  assert.deepEqual(
    base?.rules?.map((r) => [r.resources, r.verbs]),
    [
      [['approvalrequests'], ['get', 'list', 'watch']],
      [['approvalrequests/status'], ['get', 'patch', 'update']],
    ],
  );
});

test('policy authors write configuration, never status or Secrets', () => {
  const rules = policyAuthorRole().rules ?? [];
  for (const r of rules) {
    assert.ok(!r.resources?.some((res) => res.endsWith('/status') || res === 'secrets'), JSON.stringify(r));
  }
  assert.deepEqual(grants(rules, 'approvalrequests', 'create'), []);
});

test('the install names the operator in the admission parameters and binds them from its namespace', () => {
  const objects = installObjects(identity) as { kind: string; metadata: { namespace?: string }; data?: object; spec?: object }[];
  const params = objects.find((o) => o.kind === 'ConfigMap');
  assert.equal(params?.metadata.namespace, 'airlock-ops');
  assert.deepEqual(params?.data, { operatorServiceAccount: 'system:serviceaccount:airlock-ops:the-operator' });
  const binding = objects.find((o) => o.kind === 'ValidatingAdmissionPolicyBinding');
  assert.ok(params && binding);
  assert.deepEqual((binding.spec as { paramRef: unknown }).paramRef, {
    name: 'airlock-admission',
    namespace: 'airlock-ops',
    parameterNotFoundAction: 'Deny',
  });
  // Parameters before the binding: applying in order never denies for lack of them.
  assert.ok(objects.indexOf(params) < objects.indexOf(binding));
  for (const o of objects) if (o.metadata.namespace) assert.equal(o.metadata.namespace, 'airlock-ops', o.kind);
});

test('the operator mints ServiceAccount tokens for kubernetes Targets, and may only read ServiceAccounts besides', () => {
  const [clusterRole, , role] = operatorRbac(identity);
  const rules = clusterRole.rules ?? [];
  // TokenRequest: create on the token subresource of the core group, nothing else on it.
  const minting = rules.filter((r) => r.resources?.includes('serviceaccounts/token'));
  assert.deepEqual(
    minting.map((r) => [r.apiGroups, r.verbs]),
    [[[''], ['create']]],
  );
  const accounts = rules.filter((r) => r.resources?.includes('serviceaccounts'));
  assert.deepEqual(
    accounts.map((r) => [r.apiGroups, r.verbs]),
    [[[''], ['get']]],
  );
  // Never impersonation, and no writes to ServiceAccounts themselves.
  for (const verb of ['create', 'update', 'patch', 'delete']) assert.deepEqual(grants(rules, 'serviceaccounts', verb), [], verb);
  for (const r of [...rules, ...(role.rules ?? [])]) assert.ok(!r.verbs.includes('impersonate'), JSON.stringify(r));
});

test('the operator creates Secrets anywhere (token binding Secrets) and reads them by name, but changes none but its own TLS Secret', () => {
  const [clusterRole, , role] = operatorRbac(identity);
  const secrets = (clusterRole.rules ?? []).filter((r) => r.resources?.includes('secrets'));
  assert.deepEqual(
    secrets.map((r) => [r.apiGroups, r.verbs, r.resourceNames]),
    [
      [[''], ['get'], undefined],
      [[''], ['create'], undefined],
    ],
  );
  for (const verb of ['update', 'patch', 'delete', 'deletecollection']) {
    assert.deepEqual(grants(clusterRole.rules, 'secrets', verb), [], `secrets ${verb} cluster-wide`);
    for (const r of grants(role.rules, 'secrets', verb)) assert.deepEqual(r.resourceNames, ['airlock-webhook-tls'], verb);
  }
});
