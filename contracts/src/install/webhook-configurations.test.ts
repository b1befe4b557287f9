import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from './webhook-configurations.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('the mutating configuration: pods CREATE, re-invoked if needed, fail closed, scoped by selectors', () => {
  const config = mutatingWebhookConfiguration({
    endpoint: { service: { namespace: 'airlock-system', name: 'airlock-webhook', port: 9443 } },
    operatorNamespace: 'airlock-system',
    caBundle: CA,
  });
  assert.equal(config.metadata?.name, 'airlock');
  assert.equal(config.webhooks?.length, 1);
  const webhook = config.webhooks![0]!;
  assert.deepEqual(webhook.clientConfig, {
    service: { namespace: 'airlock-system', name: 'airlock-webhook', port: 9443, path: '/mutate-pods' },
    caBundle: Buffer.from(CA).toString('base64'),
  });
  assert.deepEqual(webhook.rules, [
    { operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
  ]);
  assert.equal(webhook.reinvocationPolicy, 'IfNeeded');
  assert.equal(webhook.failurePolicy, 'Fail');
  assert.equal(webhook.sideEffects, 'None');
  assert.equal(webhook.matchPolicy, 'Equivalent');
  assert.equal(webhook.timeoutSeconds, 10);
  assert.deepEqual(webhook.admissionReviewVersions, ['v1']);
  assert.deepEqual(webhook.namespaceSelector, {
    matchLabels: { 'airlock.dev/injection': 'enabled' },
    matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'airlock-system'] }],
  });
  assert.deepEqual(webhook.objectSelector, { matchLabels: { 'airlock.dev/inject': 'true' } });
});

test('the validating configuration: pods CREATE and UPDATE, ephemeral containers UPDATE, same scope', () => {
  const config = validatingWebhookConfiguration({ endpoint: { url: 'https://127.0.0.1:9443/' }, operatorNamespace: 'airlock' });
  const webhook = config.webhooks![0]!;
  assert.deepEqual(webhook.clientConfig, { url: 'https://127.0.0.1:9443/validate-pods' });
  assert.deepEqual(webhook.rules, [
    { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
    { operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' },
  ]);
  assert.equal(webhook.failurePolicy, 'Fail');
  assert.equal(webhook.sideEffects, 'None');
  assert.equal(webhook.namespaceSelector?.matchExpressions?.[0]?.values?.includes('airlock'), true);
  assert.deepEqual(webhook.objectSelector, { matchLabels: { 'airlock.dev/inject': 'true' } });
  assert.equal('reinvocationPolicy' in webhook, false);
});
