/**
 * The test control plane is what later tests rely on: the right version, users with distinct
 * names and groups, TokenRequest and OIDC discovery, ValidatingAdmissionPolicy, and the
 * controllers (service accounts, namespaces, garbage collection, root CA, Jobs).
 */
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, test } from 'node:test';
import { apiError, ControlPlane, eventually, kubernetesVersion, TEST_USERS, type TestUserName } from '@airlock/testkit';
import { AdmissionregistrationV1Api, AuthenticationV1Api, BatchV1Api, CoreV1Api, VersionApi } from '@kubernetes/client-node';

let plane: ControlPlane;
before(async () => {
  plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
});
after(async () => plane?.stop());

/** Polls for a condition the controllers bring about; the harness has no other way to wait on them. */

test('the API server reports the pinned version (>= 1.33)', async () => {
  const info = await plane.kubeConfig().makeApiClient(VersionApi).getCode();
  assert.equal(info.gitVersion, kubernetesVersion());
  assert.ok(Number(info.major) === 1 && Number(info.minor) >= 33, `${info.major}.${info.minor}`);
  assert.equal(plane.binaries.kubernetesVersion, info.gitVersion);
});

test('each test user is authenticated with its own name and groups', async () => {
  for (const user of ['alice', 'bob', 'carol', 'dave'] as TestUserName[]) {
    const review = await plane.kubeConfig(user).makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    assert.equal(review.status?.userInfo?.username, TEST_USERS[user].name);
    for (const group of TEST_USERS[user].groups) assert.ok(review.status?.userInfo?.groups?.includes(group), `${user} in ${group}`);
  }
});

test('a user without RBAC grants is refused', async () => {
  const error = await plane
    .kubeConfig('dave')
    .makeApiClient(CoreV1Api)
    .listNamespacedSecret({ namespace: 'default' })
    .then(() => undefined, apiError);
  assert.equal(error?.code, 403);
});

test('TokenRequest issues audience-bound tokens and the issuer serves OIDC discovery', async () => {
  const core = plane.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'agent' } } });
  const token = await core.createNamespacedServiceAccountToken({
    namespace: 'default',
    name: 'agent',
    body: { spec: { audiences: ['airlock'], expirationSeconds: 600 } },
  });
  const jwt = token.status?.token ?? '';
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  assert.deepEqual(payload.aud, ['airlock']);
  assert.equal(payload.iss, plane.server);
  assert.equal(payload.sub, 'system:serviceaccount:default:agent');

  const discovery = JSON.parse(await get(`${plane.server}/.well-known/openid-configuration`));
  assert.equal(discovery.issuer, plane.server);
  const jwks = JSON.parse(await get(discovery.jwks_uri));
  assert.ok(jwks.keys.length >= 1 && jwks.keys[0].kty === 'RSA');

  const review = await plane
    .kubeConfig()
    .makeApiClient(AuthenticationV1Api)
    .createTokenReview({ body: { spec: { token: jwt, audiences: ['airlock'] } } });
  assert.equal(review.status?.authenticated, true);
  assert.equal(review.status?.user?.username, 'system:serviceaccount:default:agent');
});

test('ValidatingAdmissionPolicy is served', async () => {
  const api = plane.kubeConfig().makeApiClient(AdmissionregistrationV1Api);
  const list = await api.listValidatingAdmissionPolicy();
  assert.ok(Array.isArray(list.items));
});

test('controllers: service accounts and the root CA appear in a new namespace; Jobs get pods; deleted namespaces go', async () => {
  const kc = plane.kubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'ctrl' } } });
  await eventually('the default service account', () => core.readNamespacedServiceAccount({ namespace: 'ctrl', name: 'default' }));
  const ca = await eventually('kube-root-ca.crt', () => core.readNamespacedConfigMap({ namespace: 'ctrl', name: 'kube-root-ca.crt' }));
  assert.equal(ca.data?.['ca.crt'], plane.caPem);

  await kc.makeApiClient(BatchV1Api).createNamespacedJob({
    namespace: 'ctrl',
    body: {
      metadata: { name: 'migrate' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
    },
  });
  const pods = await eventually('the Job pod', async () => {
    const list = await core.listNamespacedPod({ namespace: 'ctrl', labelSelector: 'batch.kubernetes.io/job-name=migrate' });
    return list.items.length > 0 ? list.items : undefined;
  });
  assert.equal(pods[0]?.metadata?.ownerReferences?.[0]?.kind, 'Job');

  // Garbage collection: deleting the Job with background propagation removes its pod.
  await kc.makeApiClient(BatchV1Api).deleteNamespacedJob({ namespace: 'ctrl', name: 'migrate', propagationPolicy: 'Background' });
  await eventually('the Job pod to be collected', async () => {
    const list = await core.listNamespacedPod({ namespace: 'ctrl', labelSelector: 'batch.kubernetes.io/job-name=migrate' });
    return list.items.length === 0 ? true : undefined;
  });

  await core.deleteNamespace({ name: 'ctrl' });
  await eventually('the namespace to be finalized', () =>
    core.readNamespace({ name: 'ctrl' }).then(
      () => undefined,
      (e: unknown) => (apiError(e)?.code === 404 ? true : undefined),
    ),
  );
});

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: plane.caPem, headers: { authorization: `Bearer ${plane.token('admin')}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

test('the API server restarts on the same port and keeps its data', async () => {
  const core = plane.kubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: 'survives-restart' } } });
  await plane.restartApiServer();
  const ns = await core.readNamespace({ name: 'survives-restart' });
  assert.equal(ns.metadata?.name, 'survives-restart');
});
