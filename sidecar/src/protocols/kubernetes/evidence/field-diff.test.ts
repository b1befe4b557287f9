import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffFields, isBookkeeping, isSecret, isSecretValuePath, renderFieldChange, type ShownValues } from './field-diff.ts';
import { flattenObject } from './flatten-object.ts';

const deployment = (replicas: number, image: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'orders',
    resourceVersion: String(replicas),
    generation: replicas,
    uid: 'u',
    managedFields: [{ manager: String(replicas) }],
  },
  spec: { replicas, template: { spec: { containers: [{ name: 'app', image }] } }, ...extra },
});

function render(
  before: unknown,
  after: unknown,
  mask: (o: unknown) => unknown = (o) => o,
  hidden = (_: readonly (string | number)[]) => false,
) {
  const shown: ShownValues = { maskedBefore: flattenObject(mask(before)), maskedAfter: flattenObject(mask(after)), hidden };
  return diffFields(before, after, isBookkeeping).map((change) => renderFieldChange(change, shown));
}

test('changed, added and removed fields; bookkeeping is left out', () => {
  const before = deployment(3, 'a:1', { paused: true });
  const after = { ...deployment(5, 'a:2'), metadata: { ...deployment(5, 'a:2').metadata, labels: { tier: 'gold' } } };
  assert.deepEqual(render(before, after), [
    '+ metadata.labels.tier: "gold"',
    'spec.replicas: 3 → 5',
    'spec.template.spec.containers[0].image: "a:1" → "a:2"',
    '- spec.paused',
  ]);
});

test('no change is no line', () => {
  assert.deepEqual(render(deployment(3, 'a:1'), deployment(3, 'a:1')), []);
});

test('an empty map that gains entries shows the entries only; a map replaced by a value shows both', () => {
  assert.deepEqual(render({ status: {} }, { status: { replicas: 2 } }), ['+ status.replicas: 2']);
  assert.deepEqual(render({ metadata: { labels: { a: 'b' } } }, { metadata: { labels: {} } }), ['- metadata.labels.a']);
  assert.deepEqual(render({ data: { a: 'b' } }, { data: 'flat' }), ['+ data: "flat"', '- data.a']);
});

test('a value the masker hides shows only that it changed', () => {
  const maskAll = (o: unknown) => JSON.parse(JSON.stringify(o, (key, value) => (key === 'token' ? '***' : value)));
  assert.deepEqual(render({ spec: { token: 'old' } }, { spec: { token: 'new' } }, maskAll), ['spec.token: changed (value not shown)']);
  const dropAll = () => ({});
  assert.deepEqual(render({ spec: { token: 'old' } }, { spec: { token: 'new', extra: 'x' } }, dropAll), [
    'spec.token: changed (value not shown)',
    '+ spec.extra (value not shown)',
  ]);
});

test('a masker that shows changed values differently lets the difference show', () => {
  const lastTwo = (o: unknown) => JSON.parse(JSON.stringify(o, (key, value) => (key === 'token' ? `…${String(value).slice(-2)}` : value)));
  assert.deepEqual(render({ spec: { token: 'abc12' } }, { spec: { token: 'abc34' } }, lastTwo), ['spec.token: "…12" → "…34"']);
});

test("a Secret's data, stringData and last-applied copy are never shown, whatever the masker leaves", () => {
  const secret = (password: string) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"password":"${password}"}}` } },
    data: { password, user: 'dXNlcg==' },
  });
  assert.equal(isSecret(secret('a')), true);
  assert.equal(isSecret({ apiVersion: 'example.com/v1', kind: 'Secret' }), false);
  const lines = render(secret('b2xk'), { ...secret('bmV3'), stringData: { extra: 'plain' } }, undefined, isSecretValuePath);
  assert.deepEqual(lines, [
    'metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]: changed (value not shown)',
    'data.password: changed (value not shown)',
    '+ stringData.extra (value not shown)',
  ]);
  for (const line of lines) assert.doesNotMatch(line, /b2xk|bmV3|plain/);
});
