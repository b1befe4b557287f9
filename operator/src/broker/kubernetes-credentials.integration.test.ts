/**
 * Tokens minted for kubernetes Targets, against a real kube-apiserver with airlock installed from
 * the chart: the broker's functions run as the operator's service account (so the chart's RBAC is
 * what allows the TokenRequest and the binding Secrets), pods are created in the API server (no
 * kubelet: they stay Pending), and the minted token is used the way the sidecar uses the answer,
 * with its server, CA and token, to ask the API server who it is (SelfSubjectReview). The control
 * plane runs the garbage collector, which deletes a binding Secret with its pod.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Target } from '@airlock/crds';
import { ControlPlane, eventually, installAirlock, installCrds } from '@airlock/testkit';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, KubeClient, type KubeObject } from '../kube/client.ts';
import { kubernetesTokenCredentials } from './credentials.ts';
import { BrokerHttpError } from './http-io.ts';
import { type AgentPod, type MintedTokenInfo, mintServiceAccountToken, operatorCluster } from './kubernetes-credentials.ts';

const NS = 'k8s-agents';
const READER = 'agent-reader';
const OTHER = 'ci-migrations';

let plane: ControlPlane;
let admin: KubeClient;
let operator: KubeClient;
let target: Target;

interface SelfSubjectReview extends KubeObject {
  status?: { userInfo?: { username?: string; extra?: Record<string, string[]> } };
}

/** Who the API server says `token` is, asked with the server and CA of the answer; undefined when the token does not authenticate (401). */
async function whoAmI(answer: { server: string; caBundle?: string; token?: string }): Promise<SelfSubjectReview['status'] | undefined> {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      { name: 'upstream', server: answer.server, caData: Buffer.from(answer.caBundle ?? '').toString('base64'), skipTLSVerify: false },
    ],
    users: [{ name: 'sidecar', token: answer.token ?? '' }],
    contexts: [{ name: 'sidecar', cluster: 'upstream', user: 'sidecar' }],
    currentContext: 'sidecar',
  });
  const client = new KubeClient(kc);
  try {
    const review = await client.create<SelfSubjectReview>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    return review.status;
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 401) return undefined;
    throw error;
  } finally {
    await client.close();
  }
}

async function createPod(name: string, serviceAccount: string): Promise<AgentPod> {
  const pod = await admin.create<KubeObject>(`/api/v1/namespaces/${NS}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      serviceAccountName: serviceAccount,
      automountServiceAccountToken: false,
      containers: [{ name: 'agent', image: 'registry.invalid/agent:1' }],
    },
  } as KubeObject);
  return { name, uid: pod.metadata?.uid ?? '', serviceAccountName: serviceAccount };
}

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

/** The Secret as the API server keeps it, read as admin; undefined when there is none. */
async function findSecretObject(name: string): Promise<SecretObject | undefined> {
  try {
    return await admin.get<SecretObject>(`/api/v1/namespaces/${NS}/secrets/${name}`);
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 404) return undefined;
    throw error;
  }
}

async function readSecretObject(name: string): Promise<SecretObject> {
  const secret = await findSecretObject(name);
  assert.ok(secret, `Secret ${name} exists`);
  return secret;
}

const deletePod = (name: string) => admin.delete(`/api/v1/namespaces/${NS}/pods/${name}`, { gracePeriodSeconds: 0 });

/** The claims of a JWT, unverified: the API server verified it already. */
const claims = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;

before(async () => {
  plane = await ControlPlane.start();
  await installCrds(plane);
  const installed = await installAirlock(plane);
  admin = new KubeClient(plane.kubeConfig('admin'));
  operator = new KubeClient(installed.operator.kubeConfig());
  await admin.create(`/api/v1/namespaces`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const name of [READER, OTHER]) {
    await admin.create(`/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } });
  }
  // Stored through the CRD, so the answer is built from what the API server keeps (tokenTTL defaulted).
  target = await admin.create<Target>(`/apis/airlock.dev/v1alpha1/namespaces/${NS}/targets`, {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name: 'cluster-api', namespace: NS },
    spec: { type: 'kubernetes', localPort: 6443, kubernetes: { inCluster: true, serviceAccountName: READER } },
  });
});

after(async () => {
  await Promise.all([admin?.close(), operator?.close()]);
  await plane?.stop();
});

describe('TokenRequest tokens for a kubernetes Target', () => {
  test('the CRD defaults tokenTTL to 10m', () => {
    assert.equal(target.spec.kubernetes?.tokenTTL, '10m');
  });

  test("a pod that runs as the Target's ServiceAccount gets a token bound to it: it authenticates as the ServiceAccount until the pod is gone", async () => {
    const pod = await createPod('agent-bound', READER);
    const minted: MintedTokenInfo[] = [];
    const before = Date.now();
    const answer = await kubernetesTokenCredentials(
      operator,
      NS,
      target,
      { ...pod, onMinted: (info) => minted.push(info) },
      await operatorCluster(operator.kubeConfig),
    );
    assert.equal(answer.type, 'kubernetes');
    assert.equal(answer.server, plane.server);
    assert.equal(answer.caBundle?.trim(), plane.caPem.trim());
    assert.deepEqual(Object.keys(answer).sort(), ['caBundle', 'expiresAt', 'server', 'token', 'type']);
    // expiresAt is the API server's: tokenTTL (10m) from when it minted, to the second.
    const expiresAt = Date.parse(answer.expiresAt ?? '');
    assert.ok(expiresAt >= Math.floor(before / 1000) * 1000 + 600_000 && expiresAt <= Date.now() + 600_000, answer.expiresAt);
    assert.deepEqual(minted, [{ serviceAccount: `${NS}/${READER}`, expiresAt: answer.expiresAt, boundPod: 'agent-bound' }]);

    const jwt = claims(answer.token ?? '');
    assert.deepEqual(jwt.aud, [plane.server], 'the API server audience, which the API server accepts');
    assert.deepEqual((jwt['kubernetes.io'] as { pod?: unknown }).pod, { name: 'agent-bound', uid: pod.uid });

    const who = await whoAmI(answer);
    assert.equal(who?.userInfo?.username, `system:serviceaccount:${NS}:${READER}`);
    assert.deepEqual(who?.userInfo?.extra?.['authentication.kubernetes.io/pod-uid'], [pod.uid]);

    await deletePod(pod.name);
    // The API server caches a successful check for a few seconds; then the bound token is dead.
    await eventually('the token of the deleted pod is refused', async () => ((await whoAmI(answer)) === undefined ? true : undefined));
  });

  test("a pod that runs as another ServiceAccount gets a token bound to its binding Secret: it authenticates as the Target's ServiceAccount until the pod is gone", async () => {
    const pod = await createPod('agent-other', OTHER);
    const minted: MintedTokenInfo[] = [];
    const agentPod = { ...pod, onMinted: (info: MintedTokenInfo) => minted.push(info) };
    const first = await mintServiceAccountToken(operator, NS, target, agentPod);
    const name = `airlock-token-binding-${pod.uid}`;
    assert.deepEqual(minted, [{ serviceAccount: `${NS}/${READER}`, expiresAt: first.expiresAt, boundSecret: name }]);

    // The Secret as the API server keeps it: empty, ours, owned by the pod alone.
    const secret = await readSecretObject(name);
    assert.equal(secret.type, 'airlock.dev/token-binding');
    assert.equal(secret.data, undefined);
    assert.deepEqual(secret.metadata?.labels, { 'app.kubernetes.io/part-of': 'airlock', 'airlock.dev/token-binding-pod': 'agent-other' });
    assert.deepEqual(secret.metadata?.ownerReferences, [
      { apiVersion: 'v1', kind: 'Pod', name: 'agent-other', uid: pod.uid, blockOwnerDeletion: false },
    ]);
    const bound = (claims(first.token)['kubernetes.io'] ?? {}) as { pod?: unknown; secret?: unknown };
    assert.deepEqual(bound.secret, { name, uid: secret.metadata?.uid });
    assert.equal(bound.pod, undefined);

    // A second mint for the same pod reuses the Secret, as do requests racing each other.
    const more = await Promise.all([1, 2, 3].map(() => mintServiceAccountToken(operator, NS, target, agentPod)));
    const again = await readSecretObject(name);
    assert.equal(again.metadata?.uid, secret.metadata?.uid);
    assert.equal(again.metadata?.resourceVersion, secret.metadata?.resourceVersion);
    for (const { token } of more) {
      assert.deepEqual((claims(token)['kubernetes.io'] as { secret?: unknown }).secret, { name, uid: secret.metadata?.uid });
    }
    assert.deepEqual(
      minted.map((info) => info.boundSecret),
      [name, name, name, name],
    );

    const tokens = [first, ...more].map(({ token }) => ({ server: plane.server, caBundle: plane.caPem, token }));
    for (const answer of tokens) assert.equal((await whoAmI(answer))?.userInfo?.username, `system:serviceaccount:${NS}:${READER}`);

    await deletePod(pod.name);
    // The garbage collector deletes the Secret with its pod; the API server caches a successful
    // check for a few seconds, then every token bound to the Secret is refused.
    await eventually('the binding Secret is deleted with its pod', async () =>
      (await findSecretObject(name)) === undefined ? true : undefined,
    );
    for (const answer of tokens) {
      await eventually("the token bound to the deleted pod's Secret is refused", async () =>
        (await whoAmI(answer)) === undefined ? true : undefined,
      );
    }
  });

  test("a Secret of the binding Secret's name that the broker did not make is refused with 503, and no token is minted", async () => {
    const pod = await createPod('agent-squatted', OTHER);
    const other = await createPod('agent-neighbour', OTHER);
    const name = `airlock-token-binding-${pod.uid}`;
    const owner = (of: AgentPod) => ({ apiVersion: 'v1', kind: 'Pod', name: of.name, uid: of.uid });
    // Each is a Secret that could outlive the pod, so binding a token to it would let the token outlive the pod.
    const squats: [string, Record<string, unknown>, RegExp][] = [
      ['no ownerReference', { type: 'airlock.dev/token-binding' }, /it has no ownerReference to the pod\./],
      [
        "another pod's uid",
        { type: 'airlock.dev/token-binding', metadata: { ownerReferences: [owner(other)] } },
        new RegExp(`its ownerReferences \\(Pod agent-neighbour uid ${other.uid}\\) are not exactly the pod \\(uid ${pod.uid}\\)\\.`),
      ],
      [
        'one more owner than the pod',
        { type: 'airlock.dev/token-binding', metadata: { ownerReferences: [owner(pod), owner(other)] } },
        /are not exactly the pod/,
      ],
      [
        'another type',
        { type: 'Opaque', metadata: { ownerReferences: [owner(pod)] } },
        /it has type Opaque, not airlock\.dev\/token-binding\./,
      ],
    ];
    for (const [what, squat, reason] of squats) {
      const metadata = { name, namespace: NS, ...((squat.metadata as object | undefined) ?? {}) };
      await admin.create(`/api/v1/namespaces/${NS}/secrets`, { apiVersion: 'v1', kind: 'Secret', ...squat, metadata } as KubeObject);
      const minted: MintedTokenInfo[] = [];
      await assert.rejects(
        mintServiceAccountToken(operator, NS, target, { ...pod, onMinted: (info) => minted.push(info) }),
        (error: unknown) => {
          assert.ok(error instanceof BrokerHttpError, what);
          assert.equal(error.code, 'CredentialsUnavailable', what);
          assert.equal(error.status, 503, what);
          assert.match(
            error.message,
            new RegExp(`^Secret ${NS}/${name} is not the token binding Secret of pod ${NS}/agent-squatted: `),
            what,
          );
          assert.match(error.message, reason, what);
          assert.match(
            error.message,
            /A token bound to it could outlive the pod, so none is minted: delete that Secret, and the next request creates it owned by the pod$/,
            what,
          );
          return true;
        },
      );
      assert.deepEqual(minted, [], what);
      await admin.delete(`/api/v1/namespaces/${NS}/secrets/${name}`);
    }
    // Once the squatter's Secret is gone, the pod gets its own.
    const { token } = await mintServiceAccountToken(operator, NS, target, pod);
    assert.equal((claims(token)['kubernetes.io'] as { secret?: { name?: string } }).secret?.name, name);
    assert.deepEqual(
      (await readSecretObject(name)).metadata?.ownerReferences?.map((o) => o.uid),
      [pod.uid],
    );
  });

  test('a pod of another ServiceAccount that is gone before its first request gets nothing: 401, and no Secret is created', async () => {
    const pod = await createPod('agent-other-gone', OTHER);
    await deletePod(pod.name);
    await assert.rejects(mintServiceAccountToken(operator, NS, target, pod), {
      code: 'Unauthenticated',
      message: `pod ${NS}/agent-other-gone no longer exists; its sidecar gets nothing more`,
    });
    const again = await createPod('agent-other-gone', OTHER);
    await assert.rejects(mintServiceAccountToken(operator, NS, target, { ...again, uid: pod.uid }), {
      code: 'Unauthenticated',
      message: `pod ${NS}/agent-other-gone was replaced; its sidecar gets nothing more`,
    });
    assert.equal(await findSecretObject(`airlock-token-binding-${pod.uid}`), undefined);
  });

  test('why: the API server refuses to bind a token to a pod that runs as another ServiceAccount', async () => {
    const pod = await createPod('agent-other-sa', OTHER);
    await assert.rejects(
      operator.create(`/api/v1/namespaces/${NS}/serviceaccounts/${READER}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.name, uid: pod.uid } },
      } as KubeObject),
      (error: unknown) => error instanceof KubeApiError && error.status === 400 && /different serviceaccount name/.test(error.message),
    );
  });

  test('a missing ServiceAccount is 503 CredentialsUnavailable naming it and what to do', async () => {
    const pod = await createPod('agent-missing-sa', OTHER);
    const missing: Target = { ...target, spec: { ...target.spec, kubernetes: { inCluster: true, serviceAccountName: 'nobody' } } };
    await assert.rejects(mintServiceAccountToken(operator, NS, missing, pod), (error: unknown) => {
      assert.ok(error instanceof BrokerHttpError);
      assert.equal(error.code, 'CredentialsUnavailable');
      assert.equal(
        error.message,
        `ServiceAccount nobody (serviceAccountName of Target cluster-api) not found in namespace ${NS}: create it and bind it the Roles the agents may use`,
      );
      return true;
    });
  });

  test('a pod that is gone gets nothing: 401 Unauthenticated', async () => {
    const pod = await createPod('agent-gone', READER);
    await deletePod(pod.name);
    await assert.rejects(mintServiceAccountToken(operator, NS, target, pod), {
      code: 'Unauthenticated',
      message: `pod ${NS}/agent-gone no longer exists; its sidecar gets nothing more`,
    });
    // Gone and created again under the same name: the token is not bound to the new pod.
    const again = await createPod('agent-gone', READER);
    await assert.rejects(mintServiceAccountToken(operator, NS, target, { ...again, uid: pod.uid }), {
      code: 'Unauthenticated',
      message: /was replaced/,
    });
  });

  test('without create on serviceaccounts/token the answer says which permission the operator lacks', async () => {
    const pod = await createPod('agent-forbidden', READER);
    const dave = new KubeClient(plane.kubeConfig('dave'));
    try {
      await assert.rejects(mintServiceAccountToken(dave, NS, target, pod), {
        code: 'CredentialsUnavailable',
        message:
          /the operator may not mint tokens for ServiceAccount k8s-agents\/agent-reader \(Target cluster-api\): it needs create on serviceaccounts\/token/,
      });
      // A pod of another ServiceAccount needs its binding Secret first, which takes Secrets.
      const other = await createPod('agent-forbidden-other', OTHER);
      await assert.rejects(mintServiceAccountToken(dave, NS, target, other), {
        code: 'CredentialsUnavailable',
        message: new RegExp(
          `^the operator may not get Secret k8s-agents/airlock-token-binding-${other.uid}, which ties the tokens of pod agent-forbidden-other to the pod's life \\(.*\\): it needs get and create on secrets`,
        ),
      });
    } finally {
      await dave.close();
    }
  });
});
