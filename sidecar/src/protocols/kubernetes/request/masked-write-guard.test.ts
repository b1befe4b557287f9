import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import { maskedSecretWrite } from './masked-write-guard.ts';

const request = (method: string, target: string, body: string) => ({
  info: parseKubernetesRequest({ method, ...splitRequestTarget(target) }),
  body: Buffer.from(body),
});

test('a Secret written back with the masked value is refused, in JSON, YAML or a patch', () => {
  const masked = Buffer.from('****').toString('base64');
  const replace = request(
    'PUT',
    '/api/v1/namespaces/dev/secrets/db',
    `{"kind":"Secret","data":{"password":"${masked}","user":"YWRtaW4="}}`,
  );
  assert.match(maskedSecretWrite(replace) ?? '', /would store the masked value \*\*\*\* in Secret db/);
  const apply = request('PATCH', '/api/v1/namespaces/dev/secrets/db?fieldManager=kubectl', `kind: Secret\ndata:\n  password: ${masked}\n`);
  assert.ok(maskedSecretWrite(apply));
  const stringData = request('POST', '/api/v1/namespaces/dev/secrets', '{"stringData":{"token":"****"}}');
  assert.match(maskedSecretWrite(stringData) ?? '', /in the Secret:/);
});

test('other writes, reads and other resources pass', () => {
  assert.equal(maskedSecretWrite(request('PATCH', '/api/v1/namespaces/dev/secrets/db', '{"stringData":{"password":"new"}}')), undefined);
  assert.equal(maskedSecretWrite(request('GET', '/api/v1/namespaces/dev/secrets/db', '')), undefined);
  assert.equal(maskedSecretWrite(request('PUT', '/api/v1/namespaces/dev/configmaps/c', '{"data":{"a":"KioqKg=="}}')), undefined);
});
