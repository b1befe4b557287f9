import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1LabelSelector } from '@kubernetes/client-node';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from './webhook-configurations.ts';
import { WEBHOOK_PATHS } from './webhook-paths.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('the mutating configuration: pods CREATE, re-invoked if needed, fail closed, scoped by selectors, one entry per namespace mode', () => {
  const config = mutatingWebhookConfiguration({
    endpoint: { service: { namespace: 'airlock-system', name: 'airlock-webhook', port: 9443 } },
    operatorNamespace: 'airlock-system',
    caBundle: CA,
  });
  assert.equal(config.metadata?.name, 'airlock');
  assert.deepEqual(
    config.webhooks?.map((w) => w.name),
    ['inject.pods.airlock.dev', 'inject-namespace.pods.airlock.dev'],
  );
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
    matchExpressions: [
      { key: 'airlock.dev/injection', operator: 'In', values: ['enabled'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'airlock-system'] },
    ],
  });
  assert.deepEqual(webhook.objectSelector, { matchLabels: { 'airlock.dev/inject': 'true' } });

  const ciMode = config.webhooks![1]!;
  assert.deepEqual(ciMode.clientConfig, {
    service: { namespace: 'airlock-system', name: 'airlock-webhook', port: 9443, path: '/mutate-namespace-pods' },
    caBundle: Buffer.from(CA).toString('base64'),
  });
  assert.deepEqual(ciMode.rules, webhook.rules);
  for (const key of [
    'failurePolicy',
    'sideEffects',
    'matchPolicy',
    'timeoutSeconds',
    'admissionReviewVersions',
    'reinvocationPolicy',
  ] as const) {
    assert.deepEqual(ciMode[key], webhook[key], key);
  }
  assert.deepEqual(ciMode.namespaceSelector, {
    matchExpressions: [
      { key: 'airlock.dev/injection', operator: 'In', values: ['all'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'airlock-system'] },
    ],
  });
  assert.deepEqual(ciMode.objectSelector, { matchExpressions: [{ key: 'airlock.dev/inject', operator: 'NotIn', values: ['false'] }] });
});

test('the validating configuration: pods CREATE and UPDATE, ephemeral containers UPDATE, labeled pods of both namespace modes', () => {
  const config = validatingWebhookConfiguration({ endpoint: { url: 'https://127.0.0.1:9443/' }, operatorNamespace: 'airlock' });
  assert.deepEqual(
    config.webhooks?.map((w) => w.name),
    ['validate.pods.airlock.dev', 'validate-connect.pods.airlock.dev'],
  );
  const webhook = config.webhooks![0]!;
  assert.deepEqual(webhook.clientConfig, { url: 'https://127.0.0.1:9443/validate-pods' });
  assert.deepEqual(webhook.rules, [
    { operations: ['CREATE', 'UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' },
    { operations: ['UPDATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/ephemeralcontainers'], scope: 'Namespaced' },
  ]);
  assert.equal(webhook.failurePolicy, 'Fail');
  assert.equal(webhook.sideEffects, 'None');
  assert.deepEqual(webhook.namespaceSelector, {
    matchExpressions: [
      { key: 'airlock.dev/injection', operator: 'In', values: ['enabled', 'all'] },
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'airlock'] },
    ],
  });
  assert.deepEqual(webhook.objectSelector, { matchLabels: { 'airlock.dev/inject': 'true' } });
  assert.equal('reinvocationPolicy' in webhook, false);
});

test('the connect entry: CONNECT on pods/exec and pods/attach, both namespace modes, no objectSelector, fail closed', () => {
  const config = validatingWebhookConfiguration({ endpoint: { url: 'https://127.0.0.1:9443/' }, operatorNamespace: 'airlock' });
  const [pods, connect] = config.webhooks!;
  assert.equal(connect?.name, 'validate-connect.pods.airlock.dev');
  assert.deepEqual(connect.clientConfig, { url: 'https://127.0.0.1:9443/validate-pods-connect' });
  assert.deepEqual(connect.rules, [
    { operations: ['CONNECT'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods/exec', 'pods/attach'], scope: 'Namespaced' },
  ]);
  // The options of a CONNECT have no labels: any objectSelector would make the entry match nothing.
  assert.equal('objectSelector' in connect, false);
  assert.deepEqual(connect.namespaceSelector, pods?.namespaceSelector);
  for (const key of ['failurePolicy', 'sideEffects', 'matchPolicy', 'timeoutSeconds', 'admissionReviewVersions'] as const) {
    assert.deepEqual(connect[key], pods?.[key], key);
  }
  assert.equal(connect.failurePolicy, 'Fail');
  assert.equal(connect.sideEffects, 'None');
  // The pod entry never sees a CONNECT, so nothing else could catch an exec.
  assert.ok(pods?.rules?.every((rule) => !rule.operations?.includes('CONNECT')));
});

/** Label selector semantics as the API server applies them (matchLabels and In / NotIn / Exists / DoesNotExist). */
function selects(selector: V1LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  const labelsMatch = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    labelsMatch &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key]!);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key]!);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          throw new Error(`operator ${operator}`);
      }
    })
  );
}

describe('which webhooks a pod meets, for every namespace mode and pod label', () => {
  const options = { endpoint: { url: 'https://127.0.0.1:9443' }, operatorNamespace: 'airlock-system' };
  const mutating = mutatingWebhookConfiguration(options).webhooks ?? [];
  const validating = validatingWebhookConfiguration(options).webhooks ?? [];
  const path = (url: string | undefined) => (url ? new URL(url).pathname : undefined);
  /** The paths called for `operation` on `resource` (`pods`, `pods/exec`) of an object with these labels. */
  const met = <
    W extends {
      namespaceSelector?: V1LabelSelector;
      objectSelector?: V1LabelSelector;
      clientConfig: { url?: string };
      rules?: { operations?: string[]; resources?: string[] }[];
    },
  >(
    webhooks: readonly W[],
    namespace: Record<string, string>,
    labels: Record<string, string>,
    request: { operation: string; resource: string } = { operation: 'CREATE', resource: 'pods' },
  ) =>
    webhooks
      .filter((w) => w.rules?.some((r) => r.operations?.includes(request.operation) && r.resources?.includes(request.resource)))
      .filter((w) => selects(w.namespaceSelector, namespace) && selects(w.objectSelector, labels))
      .map((w) => path(w.clientConfig.url));

  const namespaceModes: [string, Record<string, string>][] = [
    ['no label', {}],
    ['enabled', { 'airlock.dev/injection': 'enabled' }],
    ['all', { 'airlock.dev/injection': 'all' }],
    ['something else', { 'airlock.dev/injection': 'yes' }],
  ];
  const podLabels: [string, Record<string, string>][] = [
    ['no label', { app: 'x' }],
    ['inject=true', { 'airlock.dev/inject': 'true' }],
    ['inject=false', { 'airlock.dev/inject': 'false' }],
    ['inject=yes', { 'airlock.dev/inject': 'yes' }],
  ];
  /** [namespace mode, pod label] → the mutating path called; anything not listed: none. */
  const expectedMutation: Record<string, string> = {
    'enabled/inject=true': WEBHOOK_PATHS.mutate,
    'all/no label': WEBHOOK_PATHS.mutateNamespace,
    'all/inject=true': WEBHOOK_PATHS.mutateNamespace,
    // Refused there with InjectLabelInvalid rather than let through untouched.
    'all/inject=yes': WEBHOOK_PATHS.mutateNamespace,
  };

  for (const [mode, nsLabels] of namespaceModes) {
    for (const [label, labels] of podLabels) {
      test(`namespace ${mode}, pod ${label}`, () => {
        for (const name of ['ci', 'kube-system', 'airlock-system']) {
          const namespace = { ...nsLabels, 'kubernetes.io/metadata.name': name };
          const expected = name === 'ci' ? expectedMutation[`${mode}/${label}`] : undefined;
          // Disjoint: never more than one mutating entry, so no pod is injected twice.
          assert.deepEqual(met(mutating, namespace, labels), expected ? [expected] : [], name);
          const validated = name === 'ci' && (mode === 'enabled' || mode === 'all') && label === 'inject=true';
          assert.deepEqual(met(validating, namespace, labels), validated ? [WEBHOOK_PATHS.validate] : [], name);
        }
      });
    }

    test(`namespace ${mode}: kubectl exec and attach`, () => {
      for (const name of ['ci', 'kube-system', 'airlock-system']) {
        const namespace = { ...nsLabels, 'kubernetes.io/metadata.name': name };
        const checked = name === 'ci' && (mode === 'enabled' || mode === 'all');
        for (const resource of ['pods/exec', 'pods/attach']) {
          // The API server matches an objectSelector against the PodExecOptions, which has no labels.
          assert.deepEqual(
            met(validating, namespace, {}, { operation: 'CONNECT', resource }),
            checked ? [WEBHOOK_PATHS.validateConnect] : [],
            `${name} ${resource}`,
          );
        }
        assert.deepEqual(met(validating, namespace, {}, { operation: 'CONNECT', resource: 'pods/portforward' }), [], name);
      }
    });
  }
});
