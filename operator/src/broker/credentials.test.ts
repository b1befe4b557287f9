import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loginCertificateProblem, sshPublicKeyBlob, sshPublicKeyLine } from '@airlock/contracts/ssh-certificates';
import type { Target } from '@airlock/crds';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient } from '../kube/client.ts';
import { credentialsFor, kubernetesSecretCredentials, postgresCredentials, sshCredentials } from './credentials.ts';
import { BrokerHttpError } from './http-io.ts';
import { type CaSecret, operatorCluster, tokenRequest, tokenTtlSeconds } from './kubernetes-credentials.ts';
import { sshTarget, target } from './testing/objects.ts';
import { keyLines, opensshKey } from './testing/private-keys.ts';

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

const KEY = opensshKey();

test('ssh: the username and the private key, or the username and the password', () => {
  assert.deepEqual(sshCredentials(sshTarget(), { username: 'deploy', privateKey: KEY }), {
    type: 'ssh',
    username: 'deploy',
    privateKey: KEY,
  });
  assert.deepEqual(sshCredentials(sshTarget(), { username: 'deploy', password: 'hunter2-very-secret' }), {
    type: 'ssh',
    username: 'deploy',
    password: 'hunter2-very-secret',
  });
  // An empty value is as good as missing, so it does not make the other one a second login.
  assert.deepEqual(sshCredentials(sshTarget(), { username: 'deploy', privateKey: KEY, password: '' }), {
    type: 'ssh',
    username: 'deploy',
    privateKey: KEY,
  });
  // Other keys of the Secret are not handed out.
  assert.deepEqual(Object.keys(sshCredentials(sshTarget(), { username: 'deploy', password: 'pw', note: 'x' })).sort(), [
    'password',
    'type',
    'username',
  ]);
});

test('ssh: what is missing is named, 503 CredentialsUnavailable, never a value', () => {
  const cases: readonly [Record<string, string> | undefined, RegExp][] = [
    [
      undefined,
      /Secret build-host-creds \(credentials of Target build-host\) not found: create it with keys username, privateKey or username, password or username, certificateAuthorityKey/,
    ],
    [{ privateKey: KEY }, /lacks username: add it/],
    [
      { username: 'deploy' },
      /lacks privateKey, password or certificateAuthorityKey: add it \(the sidecar logs in with the key, the password or certificates\)/,
    ],
    [{ username: '', password: '' }, /lacks username, and privateKey, password or certificateAuthorityKey: add them/],
    [
      { username: 'deploy', password: 'hunter2-very-secret', privateKey: KEY },
      /has both privateKey and password: remove password to log in with the key, or privateKey to log in with the password/,
    ],
    [
      { username: 'deploy', privateKey: 'hunter2-very-secret' },
      /key privateKey of Secret build-host-creds .* is not a usable private key: it is not an unencrypted private key/,
    ],
    [{ username: 'deploy', privateKey: opensshKey('aes256-ctr') }, /is not a usable private key: it is encrypted with a passphrase/],
  ];
  for (const [secret, expected] of cases) {
    const error = refusal(() => sshCredentials(sshTarget(), secret));
    assert.equal(error.code, 'CredentialsUnavailable');
    assert.equal(error.status, 503);
    assert.match(error.message, expected);
    assert.doesNotMatch(error.message, /hunter2/);
    for (const line of [...keyLines(KEY), ...keyLines(opensshKey('aes256-ctr'))]) assert.ok(!error.message.includes(line), error.message);
  }
  const { credentialsSecretRef: _, ...spec } = sshTarget().spec;
  assert.match(
    refusal(() => sshCredentials({ ...sshTarget(), spec }, { username: 'deploy', password: 'pw' })).message,
    /Target build-host has no spec\.credentialsSecretRef: name a Secret with keys username, privateKey or username, password or username, certificateAuthorityKey/,
  );
});

/** A KubeClient that answers GETs of Secrets from memory, base64 as the API server sends them. */
function secrets(data: Readonly<Record<string, Record<string, string>>>): { client: KubeClient; reads: string[] } {
  const reads: string[] = [];
  const client = {
    get: async (path: string) => {
      reads.push(path);
      const name = path.slice(path.lastIndexOf('/') + 1);
      const found = data[name];
      if (found === undefined) throw new Error(`this fake has no Secret ${name}`);
      return { data: Object.fromEntries(Object.entries(found).map(([key, value]) => [key, Buffer.from(value).toString('base64')])) };
    },
  };
  return { client: client as unknown as KubeClient, reads };
}

test("credentialsFor reads the Target's Secret and builds the credentials of its type", async () => {
  const { client } = secrets({ 'orders-db-creds': SECRET, 'build-host-creds': { username: 'deploy', privateKey: KEY } });
  assert.deepEqual(await credentialsFor(client, 'agents', target()), { type: 'postgres', ...SECRET });
  assert.deepEqual(await credentialsFor(client, 'agents', sshTarget()), { type: 'ssh', username: 'deploy', privateKey: KEY });
});

test('credentialsFor hands an ssh login request to the certificate authority of the Secret, and answers with a certificate only', async () => {
  const authority = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const { client } = secrets({ 'build-host-creds': { username: 'deploy', certificateAuthorityKey: authority } });
  const publicKey = sshPublicKeyLine(sshPublicKeyBlob(generateKeyPairSync('ed25519').publicKey));
  const login = { publicKey, sessionId: 's-1', namespace: 'agents', identity: 'build-bot', pod: 'build-1', now: Date.now() };
  const answer = await credentialsFor(client, 'agents', sshTarget(), login);
  assert.deepEqual(Object.keys(answer).sort(), ['certificate', 'type', 'username']);
  assert.equal(answer.type === 'ssh' && loginCertificateProblem(answer.certificate ?? '', { publicKey, username: 'deploy' }), undefined);
  assert.ok(!JSON.stringify(answer).includes(authority.split('\n')[1] ?? 'x'));
  // Without a key to certify there is nothing to answer with.
  await assert.rejects(credentialsFor(client, 'agents', sshTarget()), {
    code: 'Invalid',
    message: /logs in with certificates: send publicKey/,
  });
});

test('credentialsFor: a type this version does not serve gets 400 Invalid and no Secret is read', async () => {
  const { client, reads } = secrets({ 'wiki-creds': { token: 't0ken-value' } });
  const wiki: Target = {
    ...target('wiki'),
    spec: {
      type: 'http',
      localPort: 8080,
      http: { url: 'https://wiki.example', auth: { type: 'bearer' } },
      credentialsSecretRef: { name: 'wiki-creds' },
    },
  };
  await assert.rejects(credentialsFor(client, 'agents', wiki), (error: unknown) => {
    assert.ok(error instanceof BrokerHttpError);
    assert.equal(error.code, 'Invalid');
    assert.match(error.message, /Target wiki is of type http; this broker serves postgres, ssh, kubernetes credentials only/);
    return true;
  });
  assert.deepEqual(reads, []);
});

/** A kubernetes Target: another API server by URL, or this cluster's with `inCluster`. */
function kubernetesTarget(kubernetes: NonNullable<Target['spec']['kubernetes']>, name = 'cluster-api'): Target {
  return {
    ...target(name),
    spec: {
      type: 'kubernetes',
      localPort: 6443,
      kubernetes,
      ...(kubernetes.serviceAccountName ? {} : { credentialsSecretRef: { name: `${name}-creds` } }),
    },
  };
}

const REMOTE = kubernetesTarget({ server: 'https://k8s.example:6443/' });
const IN_CLUSTER = kubernetesTarget({ inCluster: true });
const CLUSTER = { server: 'https://10.0.0.1:443', caBundle: 'CLUSTER-CA' };
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.hunter2-token';
const CERT_PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY_PEM = '-----BEGIN EC PRIVATE KEY-----\nhunter2-key\n-----END EC PRIVATE KEY-----\n';

test('kubernetes: a token or a client certificate from the Secret, with the server and CA of the Target', () => {
  assert.deepEqual(kubernetesSecretCredentials(REMOTE, { token: TOKEN }, undefined, undefined), {
    type: 'kubernetes',
    server: 'https://k8s.example:6443',
    token: TOKEN,
  });
  assert.deepEqual(
    kubernetesSecretCredentials(
      REMOTE,
      { 'tls.crt': CERT_PEM, 'tls.key': KEY_PEM, note: 'x' },
      { data: { 'ca.crt': 'CA' }, name: 'ca', key: 'ca.crt' },
      undefined,
    ),
    { type: 'kubernetes', server: 'https://k8s.example:6443', caBundle: 'CA', clientCertificate: CERT_PEM, clientKey: KEY_PEM },
  );
  // An inline tls.caBundle is part of the answer too: the answer says all the sidecar trusts.
  assert.equal(
    kubernetesSecretCredentials(
      kubernetesTarget({ server: 'https://k8s.example', tls: { caBundle: 'INLINE' } }),
      { token: TOKEN },
      undefined,
      undefined,
    ).caBundle,
    'INLINE',
  );
  // inCluster: the operator's own API server and CA, whatever tls says.
  assert.deepEqual(kubernetesSecretCredentials(IN_CLUSTER, { token: TOKEN }, undefined, CLUSTER), {
    type: 'kubernetes',
    server: 'https://10.0.0.1:443',
    caBundle: 'CLUSTER-CA',
    token: TOKEN,
  });
  // An empty token is as good as missing, so it does not conflict with a certificate.
  assert.equal(
    kubernetesSecretCredentials(REMOTE, { token: '', 'tls.crt': CERT_PEM, 'tls.key': KEY_PEM }, undefined, undefined).clientKey,
    KEY_PEM,
  );
});

test('kubernetes: what is missing or ambiguous is named, 503 CredentialsUnavailable, never a value', () => {
  const cases: readonly [Record<string, string> | undefined, CaSecret | undefined, RegExp][] = [
    [
      undefined,
      undefined,
      /Secret cluster-api-creds \(credentials of Target cluster-api\) not found: create it with keys token or tls\.crt, tls\.key/,
    ],
    [{}, undefined, /lacks token, or tls\.crt and tls\.key: add one of them \(the sidecar logs in with a token or a client certificate\)/],
    [{ 'tls.crt': CERT_PEM }, undefined, /lacks tls\.key: add it/],
    [{ 'tls.key': KEY_PEM }, undefined, /lacks tls\.crt: add it/],
    [
      { token: TOKEN, 'tls.crt': CERT_PEM, 'tls.key': KEY_PEM },
      undefined,
      /has both token and tls\.crt: remove tls\.crt and tls\.key to log in with the token, or token to log in with the client certificate/,
    ],
    [
      { token: TOKEN },
      { data: undefined, name: 'api-ca', key: 'ca.crt' },
      /Secret api-ca \(tls\.caSecretRef of Target cluster-api\) not found/,
    ],
    [{ token: TOKEN }, { data: { other: 'x' }, name: 'api-ca', key: 'ca.crt' }, /has no key ca\.crt: add the PEM CA bundle/],
  ];
  for (const [secret, ca, expected] of cases) {
    const error = refusal(() => kubernetesSecretCredentials(REMOTE, secret, ca, undefined));
    assert.equal(error.code, 'CredentialsUnavailable');
    assert.equal(error.status, 503);
    assert.match(error.message, expected);
    assert.doesNotMatch(error.message, /hunter2|MIIB/);
  }
});

test('kubernetes: a TokenRequest for the Target ServiceAccount, bound to the agent pod when the pod runs as it', () => {
  const minted = kubernetesTarget({ inCluster: true, serviceAccountName: 'agent-reader', tokenTTL: '15m' });
  const pod = { name: 'agent-7kq2x', uid: '5f0c7a2e-1111', serviceAccountName: 'agent-reader' };
  assert.deepEqual(tokenRequest(minted, pod), {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: { expirationSeconds: 900, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'agent-7kq2x', uid: '5f0c7a2e-1111' } },
  });
  // The API server binds a token to a pod of the same ServiceAccount only: for another one, without a binding Secret, the request names no object (the broker passes the pod's binding Secret: token-binding-secret.test.ts).
  assert.deepEqual(tokenRequest(minted, { ...pod, serviceAccountName: 'ci-migrations' }).spec, { expirationSeconds: 900 });
  assert.equal(tokenTtlSeconds(kubernetesTarget({ inCluster: true, serviceAccountName: 'a' })), 600);
  assert.equal(tokenTtlSeconds(kubernetesTarget({ inCluster: true, serviceAccountName: 'a', tokenTTL: '1h' })), 3600);
  for (const tokenTTL of ['5m', '1h1s', 'soon']) {
    const error = refusal(() => tokenTtlSeconds(kubernetesTarget({ inCluster: true, serviceAccountName: 'a', tokenTTL })));
    assert.equal(error.code, 'CredentialsUnavailable');
    assert.match(error.message, /spec\.kubernetes\.tokenTTL/);
  }
});

test("kubernetes inCluster: the operator's API server and the CA of its kubeconfig, inline or from its file", async (t) => {
  const config = (cluster: Record<string, unknown>) => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://10.0.0.1:443/', skipTLSVerify: false, ...cluster }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    return kc;
  };
  assert.deepEqual(await operatorCluster(config({ caData: Buffer.from('INLINE-CA').toString('base64') })), {
    server: 'https://10.0.0.1:443',
    caBundle: 'INLINE-CA',
  });
  const dir = mkdtempSync(join(tmpdir(), 'airlock-ca-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ca.crt'), 'FILE-CA');
  assert.deepEqual(await operatorCluster(config({ caFile: join(dir, 'ca.crt') })), { server: 'https://10.0.0.1:443', caBundle: 'FILE-CA' });
  assert.deepEqual(await operatorCluster(config({})), { server: 'https://10.0.0.1:443' });
  await assert.rejects(operatorCluster(config({ caFile: join(dir, 'missing.crt') })), {
    code: 'Unavailable',
    message: /cannot read the operator's CA file/,
  });
});
