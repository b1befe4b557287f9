import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BROKER_PATHS } from '@airlock/contracts/broker';
import type { TargetSpec } from '@airlock/crds';
import type { TargetConfig } from '../core/ports.ts';
import { BrokerCredentialSource, checkedCredentials } from './broker-credential-source.ts';
import { BrokerError } from './errors.ts';

const targetOf = (spec: TargetSpec, name = 'x'): TargetConfig => ({ name, namespace: 'agents', labels: {}, spec });
const ORDERS = targetOf(
  { type: 'postgres', localPort: 5432, postgres: { host: 'db.example', database: 'orders' }, credentialsSecretRef: { name: 'c' } },
  'orders-db',
);
const BUILD = targetOf(
  { type: 'ssh', localPort: 2222, ssh: { host: 'build-01.example', hostKeys: ['ssh-ed25519 AAAA'] }, credentialsSecretRef: { name: 'c' } },
  'build-host',
);
const WIKI = targetOf({ type: 'http', localPort: 8080, http: { url: 'https://wiki.example' } }, 'wiki');
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----\n';
const CERT = 'ssh-ed25519-cert-v01@openssh.com AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29t';
const SECRET_WORDS = /hunter2|b3BlbnNzaC1rZXk|AAAAIHNzaC1lZDI1NTE5LWNlcnQ/;

function refused(target: TargetConfig, response: unknown): BrokerError {
  try {
    checkedCredentials(target, response);
  } catch (error) {
    assert.ok(error instanceof BrokerError, String(error));
    assert.equal(error.code, 'BadResponse');
    assert.equal(error.retryable, false);
    assert.doesNotMatch(error.message, SECRET_WORDS);
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(response)}`);
}

test('postgres: username and password, and the CA bundle when there is one; nothing else is kept', () => {
  assert.deepEqual(checkedCredentials(ORDERS, { type: 'postgres', username: 'app', password: 'hunter2', extra: 'x' }), {
    type: 'postgres',
    username: 'app',
    password: 'hunter2',
  });
  assert.deepEqual(checkedCredentials(ORDERS, { type: 'postgres', username: 'app', password: 'hunter2', caBundle: 'PEM' }), {
    type: 'postgres',
    username: 'app',
    password: 'hunter2',
    caBundle: 'PEM',
  });
});

test('ssh: the username and exactly one of privateKey, password and certificate', () => {
  assert.deepEqual(checkedCredentials(BUILD, { type: 'ssh', username: 'deploy', certificate: CERT }), {
    type: 'ssh',
    username: 'deploy',
    certificate: CERT,
  });
  assert.deepEqual(checkedCredentials(BUILD, { type: 'ssh', username: 'deploy', privateKey: KEY }), {
    type: 'ssh',
    username: 'deploy',
    privateKey: KEY,
  });
  assert.deepEqual(checkedCredentials(BUILD, { type: 'ssh', username: 'deploy', password: 'hunter2', caBundle: 'PEM' }), {
    type: 'ssh',
    username: 'deploy',
    password: 'hunter2',
  });
});

test('an answer that is not the complete credentials of the target type is refused, naming the field and never a value', () => {
  const cases: readonly [TargetConfig, unknown, RegExp][] = [
    [ORDERS, null, /not a JSON object/],
    [ORDERS, ['postgres'], /not a JSON object/],
    [ORDERS, 'hunter2', /not a JSON object/],
    [ORDERS, { username: 'app', password: 'hunter2' }, /has no known type/],
    [ORDERS, { type: 'hunter2', username: 'app', password: 'hunter2' }, /has no known type/],
    // Another type's credentials for this target: a protocol must never get them.
    [
      ORDERS,
      { type: 'ssh', username: 'deploy', privateKey: KEY },
      /did not send postgres credentials for target orders-db: the answer is of type ssh/,
    ],
    [
      BUILD,
      { type: 'postgres', username: 'app', password: 'hunter2' },
      /did not send ssh credentials for target build-host: the answer is of type postgres/,
    ],
    [ORDERS, { type: 'postgres', username: 'app' }, /password is missing/],
    [ORDERS, { type: 'postgres', username: 7, password: 'hunter2' }, /username is not a non-empty string/],
    [ORDERS, { type: 'postgres', username: 'app', password: '' }, /password is not a non-empty string/],
    // A CA bundle that is there but not text must not quietly turn into "no CA".
    [ORDERS, { type: 'postgres', username: 'app', password: 'hunter2', caBundle: { pem: 'x' } }, /caBundle is not a non-empty string/],
    [BUILD, { type: 'ssh', privateKey: KEY }, /username is missing/],
    [BUILD, { type: 'ssh', username: 'deploy' }, /it has none of privateKey, password and certificate/],
    [
      BUILD,
      { type: 'ssh', username: 'deploy', privateKey: KEY, password: 'hunter2' },
      /it has privateKey and password, and the sidecar logs in with one/,
    ],
    [BUILD, { type: 'ssh', username: 'deploy', password: 'hunter2', certificate: CERT }, /it has password and certificate/],
    [BUILD, { type: 'ssh', username: 'deploy', certificate: { line: CERT } }, /certificate is not a non-empty string/],
    [BUILD, { type: 'ssh', username: 'deploy', privateKey: ['-----BEGIN'] }, /privateKey is not a non-empty string/],
    [BUILD, { type: 'ssh', username: 'deploy', privateKey: '', password: 'hunter2' }, /privateKey is not a non-empty string/],
    [BUILD, { type: 'ssh', username: 'deploy', password: 42 }, /password is not a non-empty string/],
    // A type this sidecar has no credentials for fails closed even if the broker sends something.
    [WIKI, { type: 'http', token: 'hunter2' }, /did not send http credentials for target wiki: this sidecar takes no http credentials/],
  ];
  for (const [target, response, expected] of cases) assert.match(refused(target, response).message, expected);
});

test('BrokerCredentialSource asks the broker for the target by name and checks the answer', async () => {
  const calls: unknown[][] = [];
  let answer: unknown = { type: 'ssh', username: 'deploy', privateKey: KEY };
  const source = new BrokerCredentialSource({
    call: async <T>(...args: unknown[]): Promise<T> => {
      calls.push(args);
      return answer as T;
    },
  });
  assert.deepEqual(await source.forTarget(BUILD), { type: 'ssh', username: 'deploy', privateKey: KEY });
  assert.deepEqual(calls, [['POST', BROKER_PATHS.credentials, { target: 'build-host' }, { idempotent: true }]]);
  // An ssh login sends its connection's public key and session; a certificate comes back for it.
  answer = { type: 'ssh', username: 'deploy', certificate: CERT };
  const login = { publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa5mW4sRyO7nQ0pXJfVZbkYx3k0pXl9Yv1n1qX2n3Yb', sessionId: 's-1' };
  assert.deepEqual(await source.forTarget(BUILD, login), { type: 'ssh', username: 'deploy', certificate: CERT });
  assert.deepEqual(calls[1], ['POST', BROKER_PATHS.credentials, { target: 'build-host', ...login }, { idempotent: true }]);
  answer = { type: 'postgres', username: 'app', password: 'hunter2' };
  await assert.rejects(source.forTarget(BUILD), (error: unknown) => error instanceof BrokerError && error.code === 'BadResponse');
});

const CLUSTER = targetOf(
  { type: 'kubernetes', localPort: 6443, kubernetes: { inCluster: true, serviceAccountName: 'agent-reader' } },
  'cluster-api',
);
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.hunter2';
const CLIENT_CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('kubernetes: an https server, the CA when there is one, exactly one login, and when a minted token expires', () => {
  assert.deepEqual(
    checkedCredentials(CLUSTER, {
      type: 'kubernetes',
      server: 'https://10.96.0.1:443',
      caBundle: 'PEM',
      token: TOKEN,
      expiresAt: '2026-11-21T12:10:00Z',
      extra: 'x',
    }),
    { type: 'kubernetes', server: 'https://10.96.0.1:443', caBundle: 'PEM', token: TOKEN, expiresAt: '2026-11-21T12:10:00Z' },
  );
  assert.deepEqual(
    checkedCredentials(CLUSTER, { type: 'kubernetes', server: 'https://k8s.example', clientCertificate: CLIENT_CERT, clientKey: KEY }),
    { type: 'kubernetes', server: 'https://k8s.example', clientCertificate: CLIENT_CERT, clientKey: KEY },
  );
});

test('kubernetes: an answer without an https server or with other than exactly one login is refused, naming the field and never a value', () => {
  const login = { token: TOKEN };
  const cases: readonly [unknown, RegExp][] = [
    [{ type: 'kubernetes', ...login }, /server is missing/],
    [{ type: 'kubernetes', server: 'http://k8s.example', ...login }, /server is not an https:\/\/ URL/],
    [{ type: 'kubernetes', server: 'k8s.example:6443', ...login }, /server is not an https:\/\/ URL/],
    [{ type: 'kubernetes', server: 6443, ...login }, /server is not a non-empty string/],
    [{ type: 'kubernetes', server: 'https://k8s.example' }, /it has neither a token nor clientCertificate and clientKey/],
    [
      { type: 'kubernetes', server: 'https://k8s.example', token: TOKEN, clientCertificate: CLIENT_CERT, clientKey: KEY },
      /it has a token and a client certificate, and the sidecar logs in with one/,
    ],
    [{ type: 'kubernetes', server: 'https://k8s.example', token: TOKEN, clientKey: KEY }, /it has a token and a client certificate/],
    [{ type: 'kubernetes', server: 'https://k8s.example', clientCertificate: CLIENT_CERT }, /clientKey is missing/],
    [{ type: 'kubernetes', server: 'https://k8s.example', clientKey: KEY }, /clientCertificate is missing/],
    [{ type: 'kubernetes', server: 'https://k8s.example', token: '' }, /token is not a non-empty string/],
    [{ type: 'kubernetes', server: 'https://k8s.example', ...login, expiresAt: 'soon' }, /expiresAt is not a date/],
    [{ type: 'kubernetes', server: 'https://k8s.example', ...login, caBundle: 42 }, /caBundle is not a non-empty string/],
    [
      { type: 'ssh', username: 'deploy', privateKey: KEY },
      /did not send kubernetes credentials for target cluster-api: the answer is of type ssh/,
    ],
  ];
  for (const [response, expected] of cases) {
    const error = refused(CLUSTER, response);
    assert.match(error.message, expected);
    assert.doesNotMatch(error.message, /MIIB|eyJhbGci/);
  }
});
