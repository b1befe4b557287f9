import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flattenObject, formatPath, formatValue } from './flatten-object.ts';

test('leaves get kubectl-style paths: dots, list indexes, quoted keys that are not plain words', () => {
  const fields = flattenObject({
    metadata: { labels: { tier: 'gold', 'app.kubernetes.io/name': 'orders' } },
    spec: { replicas: 3, template: { spec: { containers: [{ image: 'a:1' }, { image: 'b:1' }] } } },
  });
  assert.deepEqual(
    [...fields].map(([path, field]) => [path, field.value]),
    [
      ['metadata.labels.tier', 'gold'],
      ['metadata.labels["app.kubernetes.io/name"]', 'orders'],
      ['spec.replicas', 3],
      ['spec.template.spec.containers[0].image', 'a:1'],
      ['spec.template.spec.containers[1].image', 'b:1'],
    ],
  );
});

test('empty maps and lists, null and false are leaves of their own', () => {
  const fields = flattenObject({ a: {}, b: [], c: null, d: false });
  assert.deepEqual(
    [...fields].map(([path, field]) => [path, field.value]),
    [
      ['a', {}],
      ['b', []],
      ['c', null],
      ['d', false],
    ],
  );
});

test('a path keeps its segments, so a caller can tell data.password from a key named "data.password"', () => {
  const fields = flattenObject({ data: { password: 'x' }, metadata: { annotations: { 'data.password': 'y' } } });
  assert.deepEqual(fields.get('data.password')?.segments, ['data', 'password']);
  assert.deepEqual(fields.get('metadata.annotations["data.password"]')?.segments, ['metadata', 'annotations', 'data.password']);
  assert.equal(formatPath(['a', 0, 'b-c', 'd e']), 'a[0].b-c["d e"]');
});

test('values are JSON, cut at 200 characters', () => {
  assert.equal(formatValue('a:2'), '"a:2"');
  assert.equal(formatValue(5), '5');
  const long = formatValue('x'.repeat(1000));
  assert.equal(long.length, 200);
  assert.ok(long.endsWith('…'));
});
