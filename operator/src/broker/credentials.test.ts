import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postgresCredentials } from './credentials.ts';
import { BrokerHttpError } from './http-io.ts';
import { target } from './testing/objects.ts';

const SECRET = { username: 'app', password: 'hunter2-very-secret' };

const refusal = (fn: () => unknown): BrokerHttpError => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof BrokerHttpError);
    return error;
  }
  assert.fail('expected a refusal');
};

test('username and password from the Secret, the CA from tls.caSecretRef', () => {
  assert.deepEqual(postgresCredentials(target(), SECRET, undefined), { type: 'postgres', ...SECRET });
  assert.deepEqual(postgresCredentials(target(), SECRET, { data: { 'ca.crt': 'PEM' }, name: 'ca', key: 'ca.crt' }), {
    type: 'postgres',
    ...SECRET,
    caBundle: 'PEM',
  });
});

test('a missing Secret or key is 503 CredentialsUnavailable naming what is missing, never a value', () => {
  const noSecret = refusal(() => postgresCredentials(target(), undefined, undefined));
  assert.equal(noSecret.code, 'CredentialsUnavailable');
  assert.equal(noSecret.status, 503);
  assert.match(noSecret.message, /Secret orders-db-creds .* not found/);
  const noPassword = refusal(() => postgresCredentials(target(), { username: 'app' }, undefined));
  assert.match(noPassword.message, /lacks password/);
  const noCa = refusal(() => postgresCredentials(target(), SECRET, { data: { other: 'x' }, name: 'ca', key: 'ca.crt' }));
  assert.match(noCa.message, /has no key ca\.crt/);
  for (const error of [noSecret, noPassword, noCa]) assert.doesNotMatch(error.message, /hunter2/);
  const { credentialsSecretRef: _, ...spec } = target().spec;
  assert.match(refusal(() => postgresCredentials({ ...target(), spec }, SECRET, undefined)).message, /no spec\.credentialsSecretRef/);
});
