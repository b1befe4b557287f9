import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TargetSpec } from '@airlock/crds';
import type { TargetConfig } from '../core/ports.ts';
import { StaticCredentialSource, typedCredentials } from './static-credentials.ts';

const targetOf = (name: string, spec: TargetSpec): TargetConfig => ({ name, namespace: 'agents', labels: {}, spec });
const ORDERS = targetOf('orders-db', { type: 'postgres', localPort: 5432, postgres: { host: 'db', database: 'orders' } });
const BUILD = targetOf('build-host', { type: 'ssh', localPort: 2222, ssh: { host: 'build-01', hostKeys: ['ssh-ed25519 AAAA'] } });
const WIKI = targetOf('wiki', { type: 'http', localPort: 8080, http: { url: 'https://wiki.example' } });

test('each entry is typed by its target, or says what keeps it from fitting', () => {
  assert.deepEqual(typedCredentials('postgres', { username: 'u', password: 'p', caBundle: 'PEM' }), {
    type: 'postgres',
    username: 'u',
    password: 'p',
    caBundle: 'PEM',
  });
  assert.deepEqual(typedCredentials('ssh', { username: 'deploy', privateKey: 'KEY' }), {
    type: 'ssh',
    username: 'deploy',
    privateKey: 'KEY',
  });
  assert.deepEqual(typedCredentials('ssh', { username: 'deploy', password: 'pw' }), { type: 'ssh', username: 'deploy', password: 'pw' });
  assert.deepEqual(typedCredentials('postgres', { username: 'u' }), { problem: 'a postgres target needs password' });
  assert.deepEqual(typedCredentials('postgres', { username: 'u', password: 'p', privateKey: 'KEY' }), {
    problem: 'privateKey is for ssh targets; a postgres target logs in with password',
  });
  assert.deepEqual(typedCredentials('ssh', { username: 'deploy', privateKey: 'KEY', password: 'pw' }), {
    problem: 'set privateKey or password, not both',
  });
  assert.deepEqual(typedCredentials('ssh', { username: 'deploy' }), { problem: 'an ssh target needs privateKey or password' });
  assert.deepEqual(typedCredentials('ssh', { username: 'deploy', password: 'pw', caBundle: 'PEM' }), {
    problem: 'caBundle is for postgres targets; an ssh target checks spec.ssh.hostKeys',
  });
  assert.deepEqual(typedCredentials('http', { username: 'u', password: 'p' }), {
    problem: 'static credentials are for postgres, ssh and kubernetes targets, not http',
  });
});

test('the source hands each target the credentials of its own type, and fails closed otherwise', async () => {
  const source = new StaticCredentialSource({
    'orders-db': { username: 'u', password: 'p' },
    'build-host': { username: 'deploy', privateKey: 'KEY' },
    wiki: { username: 'u', password: 'p' },
  });
  assert.deepEqual(await source.forTarget(ORDERS), { type: 'postgres', username: 'u', password: 'p' });
  assert.deepEqual(await source.forTarget(BUILD), { type: 'ssh', username: 'deploy', privateKey: 'KEY' });
  await assert.rejects(
    source.forTarget(WIKI),
    /no http credentials for target wiki: static credentials are for postgres, ssh and kubernetes targets/,
  );
  await assert.rejects(source.forTarget({ ...ORDERS, name: 'other' }), /no credentials for target other/);
});

test('kubernetes: the https server and a token, with the CA when there is one; nothing of the other types', async () => {
  assert.deepEqual(typedCredentials('kubernetes', { server: 'https://127.0.0.1:6443/', token: 'TOKEN', caBundle: 'PEM' }), {
    type: 'kubernetes',
    server: 'https://127.0.0.1:6443',
    caBundle: 'PEM',
    token: 'TOKEN',
  });
  assert.deepEqual(typedCredentials('kubernetes', { token: 'TOKEN' }), {
    problem: 'a kubernetes target needs server, the https:// URL of its API server',
  });
  assert.deepEqual(typedCredentials('kubernetes', { server: 'http://127.0.0.1:8080', token: 'TOKEN' }), {
    problem: 'server must be an https:// URL',
  });
  assert.deepEqual(typedCredentials('kubernetes', { server: 'https://127.0.0.1:6443' }), { problem: 'a kubernetes target needs token' });
  assert.deepEqual(typedCredentials('kubernetes', { username: 'u', password: 'p', server: 'https://k8s', token: 'T' }), {
    problem: 'username is for postgres and ssh targets; a kubernetes target logs in with token',
  });
  assert.deepEqual(typedCredentials('postgres', { username: 'u', password: 'p', token: 'T' }), {
    problem: 'token is for kubernetes targets; a postgres target logs in with password',
  });
  assert.deepEqual(typedCredentials('ssh', { username: 'deploy', password: 'pw', server: 'https://k8s' }), {
    problem: 'server is for kubernetes targets; an ssh target logs in with privateKey or password',
  });
  assert.deepEqual(typedCredentials('postgres', { password: 'p' }), { problem: 'a postgres target needs username' });
  assert.deepEqual(typedCredentials('ssh', { password: 'p' }), { problem: 'an ssh target needs username' });
  const cluster = targetOf('cluster-api', { type: 'kubernetes', localPort: 6443, kubernetes: { server: 'https://127.0.0.1:6443' } });
  const source = new StaticCredentialSource({ 'cluster-api': { server: 'https://127.0.0.1:6443', token: 'TOKEN' } });
  assert.deepEqual(await source.forTarget(cluster), { type: 'kubernetes', server: 'https://127.0.0.1:6443', token: 'TOKEN' });
});
