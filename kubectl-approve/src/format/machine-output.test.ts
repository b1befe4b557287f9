import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { approvalRequest } from '../testing/requests.ts';
import { formatList, formatObject } from './machine-output.ts';

const a = approvalRequest({ name: 'a', expiresAt: '2026-11-21T14:00:00Z' });
const b = approvalRequest({ name: 'b' });
const withManagedFields = { ...b, metadata: { ...b.metadata, managedFields: [{ manager: 'kubectl' }] } };

test('-o json is stable: kubectl layout, table order, no managedFields, whatever the server order', () => {
  const json = formatList([a, withManagedFields], 'json');
  assert.equal(json, formatList([withManagedFields, a], 'json'));
  const parsed = JSON.parse(json);
  assert.deepEqual(Object.keys(parsed), ['apiVersion', 'items', 'kind', 'metadata']);
  assert.equal(parsed.kind, 'List');
  assert.deepEqual(
    parsed.items.map((i: { metadata: { name: string } }) => i.metadata.name),
    ['b', 'a'],
  );
  assert.ok(!json.includes('managedFields'));
  assert.ok(json.startsWith('{\n    "apiVersion": "v1",\n    "items": [\n        {\n            "apiVersion": "airlock.dev/v1alpha1",'));
  assert.ok(json.endsWith('}\n'));
  assert.deepEqual(parsed.items[1], a);
});

test('-o yaml and -o name', () => {
  assert.deepEqual(parse(formatObject(a, 'yaml')), a);
  assert.equal(formatObject(a, 'name'), 'approvalrequest.airlock.dev/a\n');
  assert.equal(formatList([a, b], 'name'), 'approvalrequest.airlock.dev/b\napprovalrequest.airlock.dev/a\n');
  assert.equal(JSON.parse(formatList([], 'json')).items.length, 0);
});
