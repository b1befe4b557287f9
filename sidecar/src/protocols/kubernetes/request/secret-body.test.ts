import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import { parseRequest } from './parsed-request.ts';
import { shownSecretBody } from './secret-body.ts';

const VALUE = 'hunter2-the-real-password';
const B64 = Buffer.from(VALUE).toString('base64');

test('a Secret written as JSON or YAML is shown with its values masked', () => {
  const json = shownSecretBody(
    Buffer.from(JSON.stringify({ kind: 'Secret', metadata: { name: 'db' }, data: { password: B64 }, stringData: { token: VALUE } })),
    'application/json',
  );
  assert.doesNotMatch(json, new RegExp(`${VALUE}|${B64}`));
  assert.match(json, /"name": "db"/);
  const yaml = shownSecretBody(
    Buffer.from(`kind: Secret\nmetadata:\n  name: db\nstringData:\n  token: ${VALUE}\n`),
    'application/apply-patch+yaml',
  );
  assert.doesNotMatch(yaml, new RegExp(VALUE));
  const patch = shownSecretBody(Buffer.from(JSON.stringify({ stringData: { token: VALUE } })), 'application/strategic-merge-patch+json');
  assert.doesNotMatch(patch, new RegExp(VALUE));
  assert.match(shownSecretBody(Buffer.from([0x6b, 0x38, 0x73, 0x00]), 'application/vnd.kubernetes.protobuf'), /not shown/);
});

test("the operation text of a Secret create binds the body's digest but never shows its values", async () => {
  const body = Buffer.from(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'db' }, data: { password: B64 } }));
  const target = '/api/v1/namespaces/prod/secrets';
  const request = { method: 'POST', url: target, headers: { 'content-type': 'application/json' } };
  const scopes = { lookup: () => undefined, learn: async () => undefined };
  // biome-ignore lint/suspicious/noExplicitAny: the parts of IncomingMessage and ResourceScopes parseRequest reads
  const parsed = await parseRequest(request as any, body, scopes as any);
  assert.doesNotMatch(parsed.text, new RegExp(`${VALUE}|${B64}`));
  assert.match(parsed.text, /body: sha256:[0-9a-f]{64} \(\d+ bytes\)/);
  const other = await parseRequest(
    request as never,
    Buffer.from(body.toString().replace(B64, Buffer.from('other').toString('base64'))),
    scopes as never,
  );
  assert.notEqual(parsed.text, other.text, 'two bodies, two texts: the digest line differs even where the shown bodies are the same');
  assert.equal(parseKubernetesRequest({ method: 'POST', ...splitRequestTarget(target) }).kind, 'resource');
});
