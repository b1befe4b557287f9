import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentIdentity, Target } from '@airlock/crds';
import { resolveIdentityTargets } from './identity-status.ts';
import { endpointText, targetReadiness } from './target-status.ts';

const pg = (name = 'db', port = 5432, ready?: boolean): Target => ({
  apiVersion: 'airlock.dev/v1alpha1',
  kind: 'Target',
  metadata: { name, namespace: 'agents' },
  spec: {
    type: 'postgres',
    localPort: port,
    postgres: { host: 'db.example', database: 'orders' },
    credentialsSecretRef: { name: 'db-creds' },
  },
  ...(ready === undefined
    ? {}
    : { status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: 'x', message: '', lastTransitionTime: '' }] } }),
});

test('a postgres target is Ready only with username and password in its Secret', () => {
  assert.equal(targetReadiness(pg(), { found: true, keys: ['username', 'password'] }).ready, true);
  const missing = targetReadiness(pg(), { found: true, keys: ['username'] });
  assert.equal(missing.reason, 'KeysMissing');
  assert.match(missing.message, /lacks key password/);
  const absent = targetReadiness(pg(), { found: false });
  assert.equal(absent.reason, 'SecretNotFound');
  assert.match(absent.message, /Secret db-creds not found in namespace agents: create it with keys username, password/);
  assert.equal(endpointText(pg()), 'postgres://db.example:5432/orders');
});

test('ssh accepts a key, a password or a certificate authority, only one; http without auth needs no Secret', () => {
  const ssh: Target = {
    ...pg(),
    spec: { type: 'ssh', localPort: 2222, ssh: { host: 'h', hostKeys: ['ssh-ed25519 AAAA'] }, credentialsSecretRef: { name: 's' } },
  };
  const password = targetReadiness(ssh, { found: true, keys: ['username', 'password'] });
  assert.deepEqual(password, {
    ready: true,
    reason: 'CredentialsPresent',
    message: 'Secret s has the keys an ssh target needs (username, password).',
  });
  assert.equal(
    targetReadiness(ssh, { found: true, keys: ['username', 'privateKey'] }).message,
    'Secret s has the keys an ssh target needs (username, privateKey).',
  );
  assert.deepEqual(targetReadiness(ssh, { found: true, keys: ['username', 'certificateAuthorityKey'] }), {
    ready: true,
    reason: 'CredentialsPresent',
    message:
      'Secret s has the keys an ssh target needs (username, certificateAuthorityKey: the operator signs a short-lived login certificate for each connection).',
  });
  assert.match(targetReadiness(ssh, { found: true, keys: ['password'] }).message, /lacks key username/);
  const neither = targetReadiness(ssh, { found: true, keys: ['username'] });
  assert.equal(neither.reason, 'KeysMissing');
  assert.match(
    neither.message,
    /^Secret s lacks key privateKey \(or one of: username\+privateKey, username\+password, username\+certificateAuthorityKey\)$/,
  );
  const absent = targetReadiness(ssh, { found: false });
  assert.equal(absent.reason, 'SecretNotFound');
  assert.match(absent.message, /create it with keys username, privateKey or username, password or username, certificateAuthorityKey$/);
  const both = targetReadiness(ssh, { found: true, keys: ['username', 'privateKey', 'password'] });
  assert.deepEqual(both, {
    ready: false,
    reason: 'KeysConflict',
    message: 'Secret s has keys privateKey and password, and an ssh target logs in with exactly one of them: remove the other',
  });
  const all = targetReadiness(ssh, { found: true, keys: ['username', 'privateKey', 'password', 'certificateAuthorityKey'] });
  assert.equal(
    all.message,
    'Secret s has keys privateKey, password and certificateAuthorityKey, and an ssh target logs in with exactly one of them: remove the others',
  );
  assert.equal(targetReadiness(ssh, { found: true, keys: ['username', 'certificateAuthorityKey', 'password'] }).reason, 'KeysConflict');
  // Only ssh has exclusive keys: a postgres Secret may hold whatever else it likes.
  assert.equal(targetReadiness(pg(), { found: true, keys: ['username', 'password', 'privateKey'] }).ready, true);
  const http: Target = { ...pg(), spec: { type: 'http', localPort: 8080, http: { url: 'http://svc' } } };
  assert.equal(targetReadiness(http, undefined).reason, 'NoCredentialsNeeded');
});

test('an identity resolves its targets and reports missing, unready and clashing ones', () => {
  const identity: AgentIdentity = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name: 'ci', namespace: 'agents' },
    spec: { serviceAccountName: 'ci', targets: ['a', 'b'] },
  };
  assert.equal(resolveIdentityTargets(identity, [pg('a', 5432, true)]).reason, 'TargetsMissing');
  assert.equal(resolveIdentityTargets(identity, [pg('a', 5432, true), pg('b', 5432, true)]).reason, 'PortClash');
  assert.equal(resolveIdentityTargets(identity, [pg('a', 5432, true), pg('b', 5433, false)]).reason, 'TargetsNotReady');
  const ok = resolveIdentityTargets(identity, [pg('a', 5432, true), pg('b', 5433, true)]);
  assert.equal(ok.ready, true);
  assert.deepEqual(ok.targets, [
    { name: 'a', type: 'postgres', localPort: 5432, ready: true },
    { name: 'b', type: 'postgres', localPort: 5433, ready: true },
  ]);
});

test('kubernetes: serviceAccountName needs no Secret; otherwise a token or a client certificate, not both', () => {
  const minted: Target = {
    ...pg('cluster-api'),
    spec: { type: 'kubernetes', localPort: 6443, kubernetes: { inCluster: true, serviceAccountName: 'agent-reader', tokenTTL: '15m' } },
  };
  assert.deepEqual(targetReadiness(minted, undefined), {
    ready: true,
    reason: 'TokenRequest',
    message: 'Tokens are minted per pod for ServiceAccount agent-reader (TokenRequest, valid 15m); no Secret is needed.',
  });
  assert.equal(endpointText(minted), 'in-cluster');
  const withSecret: Target = {
    ...pg('remote-api'),
    spec: { type: 'kubernetes', localPort: 6443, kubernetes: { server: 'https://k8s.example:6443' }, credentialsSecretRef: { name: 'k' } },
  };
  assert.deepEqual(targetReadiness(withSecret, { found: true, keys: ['token'] }), {
    ready: true,
    reason: 'CredentialsPresent',
    message: 'Secret k has the keys a kubernetes target needs (token).',
  });
  assert.equal(
    targetReadiness(withSecret, { found: true, keys: ['tls.crt', 'tls.key'] }).message,
    'Secret k has the keys a kubernetes target needs (tls.crt, tls.key).',
  );
  assert.deepEqual(targetReadiness(withSecret, { found: true, keys: ['token', 'tls.crt', 'tls.key'] }), {
    ready: false,
    reason: 'KeysConflict',
    message: 'Secret k has keys token and tls.crt, and a kubernetes target logs in with exactly one of them: remove the other',
  });
  const half = targetReadiness(withSecret, { found: true, keys: ['tls.crt'] });
  assert.equal(half.reason, 'KeysMissing');
  assert.equal(half.message, 'Secret k lacks key tls.key (or one of: token, tls.crt+tls.key)');
  assert.match(targetReadiness(withSecret, { found: false }).message, /create it with keys token or tls\.crt, tls\.key$/);
  assert.equal(endpointText(withSecret), 'https://k8s.example:6443');
});
