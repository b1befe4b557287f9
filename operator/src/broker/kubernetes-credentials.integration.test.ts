/**
 * Tokens minted for kubernetes Targets, against a real kube-apiserver with airlock installed from
 * the chart: the broker's functions run as the operator's service account (so the chart's RBAC is
 * what allows the TokenRequest), pods are created in the API server (no kubelet: they stay
 * Pending), and the minted token is used the way the sidecar uses the answer, with its server,
 * CA and token, to ask the API server who it is (SelfSubjectReview).
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

  test('a pod that runs as another ServiceAccount gets a token bound to nothing, valid until it expires', async () => {
    const pod = await createPod('agent-unbound', OTHER);
    const minted: MintedTokenInfo[] = [];
    const { token, expiresAt } = await mintServiceAccountToken(operator, NS, target, { ...pod, onMinted: (info) => minted.push(info) });
    assert.deepEqual(minted, [{ serviceAccount: `${NS}/${READER}`, expiresAt }]);
    assert.equal((claims(token)['kubernetes.io'] as { pod?: unknown }).pod, undefined);
    const answer = { server: plane.server, caBundle: plane.caPem, token };
    assert.equal((await whoAmI(answer))?.userInfo?.username, `system:serviceaccount:${NS}:${READER}`);
    await deletePod(pod.name);
    assert.equal((await whoAmI(answer))?.userInfo?.username, `system:serviceaccount:${NS}:${READER}`);
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
    } finally {
      await dave.close();
    }
  });
});
