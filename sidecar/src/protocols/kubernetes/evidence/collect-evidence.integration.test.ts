/**
 * Evidence against a real kube-apiserver: each held request is sent as a dry run by
 * collectEvidence, and what it reports is checked against objects the test made — an owner chain
 * built by hand (Deployment → ReplicaSets → Pods, ownerReferences by uid; no controllers run, so
 * nothing else creates or deletes anything), Secrets whose values must never show, a user who may
 * delete Deployments but not list Pods. Every evidence must fit the ApprovalRequest schema, and
 * after each dry run the objects are still there: a dry run stores nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import { sampleApprovalRequest } from '@airlock/contracts/testing/approval-request';
import { AirlockValidator } from '@airlock/crds';
import { ControlPlane, TEST_USERS } from '@airlock/testkit';
import { collectEvidence } from './collect-evidence.ts';
import type { Evidence } from './evidence.ts';
import type { EvidenceUpstream } from './evidence-upstream.ts';
import { HttpsEvidenceUpstream } from './testing/https-evidence-upstream.ts';
import { maskSecretData } from './testing/mask-secret-data.ts';

const NS = 'shop';
const COLLECTED_AT = Date.parse('2026-01-01T00:00:00Z');
const SECRET_VALUE = 'hunter2-old-value';
const NEW_SECRET_VALUE = 'correct-horse-new-value';
const CREATED_SECRET_VALUE = 'created-token-value';
const PDB_SELECTOR = { app: 'guarded' };

let plane: ControlPlane;
let admin: HttpsEvidenceUpstream;
let dave: HttpsEvidenceUpstream;
const validator = new AirlockValidator();
const uids = new Map<string, string>();

before(async () => {
  plane = await ControlPlane.start({ controllers: false, log: (line) => process.stderr.write(`# ${line}\n`) });
  admin = new HttpsEvidenceUpstream({ server: plane.server, caPem: plane.caPem, token: plane.token('admin') });
  dave = new HttpsEvidenceUpstream({ server: plane.server, caPem: plane.caPem, token: plane.token('dave') });
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'scratch' } });
  // No serviceaccount controller runs; pods need their namespace's default account to be admitted.
  await create(`/api/v1/namespaces/${NS}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } });
  await createOwnerChain();
  await create(`/api/v1/namespaces/${NS}/pods`, pod('loner', {}, []));
  await create(`/api/v1/namespaces/${NS}/pods`, pod('guarded-0', PDB_SELECTOR, []));
  // Only a running pod is protected by a disruption budget (a pending one may always be evicted).
  const running = await admin.request({
    method: 'PATCH',
    path: `/api/v1/namespaces/${NS}/pods/guarded-0/status`,
    body: Buffer.from(JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })),
    contentType: 'application/merge-patch+json',
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(running.status, 200, running.body.toString());
  await create(`/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'guarded' },
    spec: { minAvailable: 1, selector: { matchLabels: PDB_SELECTOR } },
  });
  for (const [name, tier] of [
    ['canary-a', 'canary'],
    ['canary-b', 'canary'],
    ['stable-a', 'stable'],
  ] as const) {
    await create(`/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, labels: { tier } },
      data: { k: 'v' },
    });
  }
  await create(`/api/v1/namespaces/${NS}/secrets`, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db-password', labels: { app: 'orders' } },
    stringData: { password: SECRET_VALUE, user: 'orders' },
  });
  await create('/api/v1/namespaces/scratch/configmaps', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c1' } });
  await create('/api/v1/namespaces/scratch/secrets', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's1' },
    stringData: { a: SECRET_VALUE },
  });
  await grantDaveEverythingButPods();
});

after(async () => {
  admin?.close();
  dave?.close();
  await plane?.stop();
});

describe('delete', () => {
  test('a Deployment: the evidence lists its ReplicaSets and their Pods, and nothing is deleted', async () => {
    const evidence = await collect('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/orders`, { propagationPolicy: 'Background' });
    assert.equal(evidence.summary, 'would delete deployment orders and, by propagation, 2 replicasets and 6 pods');
    assert.equal(evidence.complete, true, String(evidence.notes));
    assert.equal(evidence.error, undefined);
    assert.match(evidence.text, /^would delete Deployment shop\/orders$/m);
    assert.match(evidence.text, /^ {2}ReplicaSet orders-a$/m);
    assert.match(evidence.text, /^ {4}Pod orders-a-0$/m);
    for (const rs of ['orders-a', 'orders-b']) for (let i = 0; i < 3; i++) assert.match(evidence.text, new RegExp(`Pod ${rs}-${i}$`, 'm'));
    assert.doesNotMatch(evidence.text, /loner/);
    assert.ok(evidence.notes?.some((note) => note.includes('custom resources')));
    await assertStillThere(['deployments/orders', 'replicasets/orders-a', 'replicasets/orders-b', 'pods/orders-a-0', 'pods/orders-b-2']);
  });

  test('with propagationPolicy Orphan no dependents are listed', async () => {
    const before = admin.sent.length;
    const evidence = await collect('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/orders?propagationPolicy=Orphan`);
    assert.equal(evidence.summary, 'would delete deployment orders; its dependents are kept (propagationPolicy Orphan)');
    assert.doesNotMatch(evidence.text, /ReplicaSet|Pod /);
    assert.equal(
      admin.sent.slice(before).some((r) => r.accept?.includes('PartialObjectMetadataList')),
      false,
      'no lists are read for an orphaning delete',
    );
    await assertStillThere(['deployments/orders']);
  });

  test('a wrong uid precondition is the error the real delete would meet', async () => {
    const evidence = await collect('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/orders`, {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: '00000000-0000-0000-0000-000000000000' },
    });
    assert.match(evidence.error ?? '', /the UID in the precondition \(00000000-0000-0000-0000-000000000000\) does not match/);
    assert.match(evidence.summary, /^would fail: Operation cannot be fulfilled/);
    const right = await collect('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/orders`, {
      propagationPolicy: 'Orphan',
      preconditions: { uid: uids.get('deployments/orders') },
    });
    assert.equal(right.error, undefined);
    await assertStillThere(['deployments/orders']);
  });

  test('with a body, dryRun goes into it: the API server ignores a query dryRun then', async () => {
    const before = admin.sent.length;
    const evidence = await collect('DELETE', `/api/v1/namespaces/${NS}/configmaps/stable-a`, { kind: 'DeleteOptions', apiVersion: 'v1' });
    assert.equal(evidence.summary, 'would delete configmap stable-a; no dependents found');
    assert.equal(admin.sent[before]?.method, 'DELETE');
    await assertStillThere(['configmaps/stable-a']);
    // A body that says dryRun already is a dry run, whatever the query says.
    assert.equal(await evidenceFor('DELETE', `/api/v1/namespaces/${NS}/configmaps/stable-a`, { dryRun: ['All'] }), undefined);
    // A body that cannot be read is not sent: without dryRun in it, it would delete.
    const unreadable = await collect('DELETE', `/api/v1/namespaces/${NS}/configmaps/stable-a`, 'not json', {
      contentType: 'application/json',
    });
    assert.match(unreadable.summary, /^no preview: the delete options could not be decoded/);
    assert.equal(unreadable.complete, false);
    await assertStillThere(['configmaps/stable-a']);
  });

  test('a user who may not list pods gets a note and incomplete evidence', async () => {
    const evidence = await collect(
      'DELETE',
      `/apis/apps/v1/namespaces/${NS}/deployments/orders`,
      { propagationPolicy: 'Background' },
      {
        upstream: dave,
      },
    );
    assert.equal(evidence.complete, false);
    assert.equal(evidence.error, undefined);
    assert.ok(
      evidence.notes?.includes('could not list pods: forbidden; dependents of that type are not shown'),
      JSON.stringify(evidence.notes),
    );
    assert.equal(evidence.notes?.filter((note) => note.startsWith('could not list')).length, 1, JSON.stringify(evidence.notes));
    assert.equal(evidence.summary, 'would delete deployment orders and, by propagation, 2 replicasets');
    assert.doesNotMatch(evidence.text, /Pod /);
    await assertStillThere(['deployments/orders']);
  });

  test('the refusal of a dry run the user may not send is the error', async () => {
    const evidence = await collect('DELETE', `/api/v1/namespaces/${NS}/pods/loner`, undefined, { upstream: dave });
    assert.match(evidence.error ?? '', /forbidden/);
    assert.match(evidence.summary, /^would fail: /);
  });

  test('a Namespace: its objects are counted and everything in it goes', async () => {
    const evidence = await collect('DELETE', '/api/v1/namespaces/scratch');
    assert.equal(evidence.summary, 'would delete namespace scratch and everything in it: 1 configmap and 1 secret');
    assert.match(evidence.text, /^ {2}configmaps: 1$/m);
    assert.ok(evidence.notes?.some((note) => note.startsWith('everything in namespace scratch is deleted')));
    assert.ok(!JSON.stringify(evidence).includes(SECRET_VALUE));
    assert.ok(!JSON.stringify(evidence).includes(Buffer.from(SECRET_VALUE).toString('base64')));
    const namespace = await admin.request({ method: 'GET', path: '/api/v1/namespaces/scratch', signal: AbortSignal.timeout(10_000) });
    assert.equal(JSON.parse(namespace.body.toString()).status.phase, 'Active');
  });
});

describe('deletecollection', () => {
  test('with a label selector: the objects it matches, by kind and name', async () => {
    const evidence = await collect('DELETE', `/api/v1/namespaces/${NS}/configmaps?labelSelector=tier%3Dcanary`);
    assert.equal(evidence.summary, 'would delete 2 configmaps: canary-a, canary-b');
    assert.match(evidence.text, /^ {2}ConfigMap canary-a$/m);
    assert.match(evidence.text, /^ {2}ConfigMap canary-b$/m);
    assert.doesNotMatch(evidence.text, /stable-a/);
    await assertStillThere(['configmaps/canary-a', 'configmaps/canary-b']);
  });

  test('of ReplicaSets: their Pods are listed under them', async () => {
    const evidence = await collect('DELETE', `/apis/apps/v1/namespaces/${NS}/replicasets?labelSelector=app%3Dorders`);
    assert.equal(evidence.summary, 'would delete 2 replicasets and, by propagation, 6 pods: orders-a, orders-b');
    assert.match(evidence.text, /^ {2}ReplicaSet orders-a\n {4}Pod orders-a-0$/m);
  });

  test('no more than maxObjects objects are listed', async () => {
    const evidence = await collect('DELETE', `/api/v1/namespaces/${NS}/pods`, undefined, { maxObjects: 3 });
    assert.equal(evidence.text.split('\n').filter((line) => line.startsWith('  Pod ')).length, 3);
    assert.match(evidence.text, /^ {2}… and 5 more$/m);
  });
});

describe('update and patch', () => {
  test('a strategic merge patch of replicas shows spec.replicas: 1 → 5', async () => {
    const evidence = await collect(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/orders`,
      { spec: { replicas: 5 } },
      {
        contentType: 'application/strategic-merge-patch+json',
      },
    );
    assert.equal(evidence.summary, 'would change deployment orders: spec.replicas: 1 → 5');
    assert.match(evidence.text, /^ {2}spec\.replicas: 1 → 5$/m);
    assert.doesNotMatch(evidence.text, /resourceVersion|managedFields|generation/);
    assert.equal(await replicas(), 1);
  });

  test('a server-side apply adds a label; to a missing object it would create it', async () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders\n  labels:\n    tier: gold\n';
    const evidence = await collect('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/orders?fieldManager=agent`, yaml, {
      contentType: 'application/apply-patch+yaml',
    });
    assert.equal(evidence.error, undefined, evidence.error);
    assert.match(evidence.text, /^ {2}\+ metadata\.labels\.tier: "gold"$/m);
    const missing = await collect(
      'PATCH',
      `/api/v1/namespaces/${NS}/configmaps/brand-new?fieldManager=agent`,
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: brand-new\ndata:\n  colour: blue\n',
      { contentType: 'application/apply-patch+yaml' },
    );
    assert.equal(missing.summary, 'would create configmap brand-new');
    assert.match(missing.text, /^the object does not exist: the apply would create it$/m);
    assert.match(missing.text, /^ {2}data\.colour: "blue"$/m);
    const after = await admin.request({
      method: 'GET',
      path: `/api/v1/namespaces/${NS}/configmaps/brand-new`,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(after.status, 404);
  });

  test('an apply that conflicts with another manager is the error the real apply would meet', async () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: orders\nspec:\n  replicas: 9\n';
    const evidence = await collect('PATCH', `/apis/apps/v1/namespaces/${NS}/deployments/orders?fieldManager=agent`, yaml, {
      contentType: 'application/apply-patch+yaml',
    });
    assert.match(evidence.error ?? '', /conflict/);
  });

  test('the scale subresource shows the Scale diff', async () => {
    const evidence = await collect(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/orders/scale`,
      { spec: { replicas: 3 } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.equal(evidence.summary, 'would change deployment orders (scale): spec.replicas: 1 → 3');
    assert.equal(await replicas(), 1);
  });

  test('the status subresource shows status changes apart', async () => {
    const evidence = await collect(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/orders/status`,
      { status: { replicas: 2 } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.match(evidence.text, /^status:\n {2}\+ status\.replicas: 2$/m);
  });

  test('a patch that changes nothing says so', async () => {
    const evidence = await collect(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/orders`,
      { spec: { replicas: 1 } },
      {
        contentType: 'application/merge-patch+json',
      },
    );
    assert.equal(evidence.summary, 'deployment orders: no field would change');
  });

  test('an update of a Secret shows which key changes and never a value', async () => {
    const current = JSON.parse(
      (
        await admin.request({ method: 'GET', path: `/api/v1/namespaces/${NS}/secrets/db-password`, signal: AbortSignal.timeout(10_000) })
      ).body.toString(),
    );
    const updated = {
      ...current,
      stringData: { password: NEW_SECRET_VALUE },
      metadata: { ...current.metadata, labels: { app: 'orders', rotated: 'yes' } },
    };
    const evidence = await collect('PUT', `/api/v1/namespaces/${NS}/secrets/db-password`, updated);
    assert.match(evidence.text, /^ {2}data\.password: changed \(value not shown\)$/m);
    assert.match(evidence.text, /^ {2}\+ metadata\.labels\.rotated: "yes"$/m);
    assert.doesNotMatch(evidence.text, /data\.user/);
    assertNoSecretValue(evidence, [SECRET_VALUE, NEW_SECRET_VALUE]);
  });
});

describe('create', () => {
  test('a Secret: its keys, never their values, under a generated name', async () => {
    const evidence = await collect('POST', `/api/v1/namespaces/${NS}/secrets`, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { generateName: 'token-' },
      stringData: { token: CREATED_SECRET_VALUE },
    });
    assert.equal(evidence.summary, 'would create secret (name generated by the server)');
    assert.match(evidence.text, /^would create Secret shop\/\(name generated by the server\):$/m);
    assert.match(evidence.text, /^ {2}data\.token: \(value not shown\)$/m);
    assert.match(evidence.text, /^ {2}type: "Opaque"$/m);
    assertNoSecretValue(evidence, [CREATED_SECRET_VALUE]);
    const list = JSON.parse(
      (
        await admin.request({ method: 'GET', path: `/api/v1/namespaces/${NS}/secrets`, signal: AbortSignal.timeout(10_000) })
      ).body.toString(),
    );
    assert.deepEqual(
      list.items.map((s: { metadata: { name: string } }) => s.metadata.name),
      ['db-password'],
    );
  });

  test('an object the server finds invalid: the error is its message', async () => {
    const evidence = await collect('POST', `/api/v1/namespaces/${NS}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'Bad_Name' },
    });
    assert.match(evidence.error ?? '', /^ConfigMap "Bad_Name" is invalid: metadata\.name: Invalid value/);
    assert.match(evidence.summary, /^would fail: ConfigMap "Bad_Name" is invalid/);
    assert.equal(evidence.summary.length <= 256, true);
  });

  test('an eviction: allowed without a disruption budget, the error with one', async () => {
    const allowed = await collect('POST', `/api/v1/namespaces/${NS}/pods/loner/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'loner', namespace: NS },
    });
    assert.equal(allowed.summary, 'the eviction of pod loner would be allowed: the pod would be deleted');
    assert.equal(allowed.error, undefined);
    const refused = await collect('POST', `/api/v1/namespaces/${NS}/pods/guarded-0/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'guarded-0', namespace: NS },
    });
    assert.match(refused.summary, /^the eviction of pod guarded-0 would be refused: /);
    assert.match(refused.error ?? '', /disruption budget/);
    await assertStillThere(['pods/loner', 'pods/guarded-0']);
  });
});

describe('requests without a dry run', () => {
  test('a read, an exec and a request that is already a dry run have no evidence and send nothing', async () => {
    const before = admin.sent.length;
    assert.equal(await evidenceFor('GET', `/apis/apps/v1/namespaces/${NS}/deployments/orders`), undefined);
    assert.equal(await evidenceFor('POST', `/api/v1/namespaces/${NS}/pods/loner/exec?command=ls&stdout=true`), undefined);
    assert.equal(await evidenceFor('DELETE', `/apis/apps/v1/namespaces/${NS}/deployments/orders?dryRun=All`), undefined);
    assert.equal(admin.sent.length, before);
  });

  test('an aggregated API is not sent a dry run', async () => {
    const before = admin.sent.length;
    const evidence = await collect('DELETE', `/apis/metrics.k8s.io/v1beta1/namespaces/${NS}/pods/loner`);
    assert.equal(evidence.summary, 'no preview: aggregated API');
    assert.equal(evidence.complete, false);
    assert.equal(admin.sent.length, before);
  });

  test('a group no APIService serves is asked about, and not sent a dry run', async () => {
    const before = admin.sent.length;
    const evidence = await collect('DELETE', `/apis/widgets.example.com/v1/namespaces/${NS}/widgets/w`);
    assert.equal(evidence.summary, 'no preview: could not tell who serves widgets.example.com/v1');
    assert.equal(evidence.complete, false);
    assert.deepEqual(
      admin.sent.slice(before).map((r) => `${r.method} ${r.path}`),
      ['GET /apis/apiregistration.k8s.io/v1/apiservices/v1.widgets.example.com'],
    );
  });
});

async function collect(
  method: string,
  target: string,
  body?: unknown,
  options: { upstream?: EvidenceUpstream; contentType?: string; maxObjects?: number } = {},
): Promise<Evidence> {
  const evidence = await evidenceFor(method, target, body, options);
  assert.ok(evidence, `evidence for ${method} ${target}`);
  assertFitsSchema(evidence);
  return evidence;
}

async function evidenceFor(
  method: string,
  target: string,
  body?: unknown,
  options: { upstream?: EvidenceUpstream; contentType?: string; maxObjects?: number } = {},
): Promise<Evidence | undefined> {
  const { path, query } = splitRequestTarget(target);
  const info = parseKubernetesRequest({ method, path, query });
  assert.equal(info.kind, 'resource', JSON.stringify(info));
  if (info.kind !== 'resource') throw new Error('unreachable');
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return collectEvidence(
    { info, method, query, body: bytes, contentType: body === undefined ? undefined : (options.contentType ?? 'application/json') },
    {
      upstream: options.upstream ?? admin,
      mask: maskSecretData,
      clock: () => COLLECTED_AT,
      // Generous: a slow machine must not turn into incomplete evidence; the budget has its own test.
      timeoutMs: 60_000,
      ...(options.maxObjects !== undefined ? { maxObjects: options.maxObjects } : {}),
    },
  );
}

/** The evidence is accepted where it goes: an ApprovalRequest's spec.evidence. */
function assertFitsSchema(evidence: Evidence): void {
  const request = sampleApprovalRequest();
  const valid = validator.validate({ ...request, spec: { ...request.spec, evidence } });
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.issues));
  assert.equal(evidence.collectedAt, '2026-01-01T00:00:00.000Z');
}

function assertNoSecretValue(evidence: Evidence, values: readonly string[]): void {
  const all = JSON.stringify(evidence);
  for (const value of values) {
    assert.ok(!all.includes(value), `${value} shows in the evidence`);
    assert.ok(!all.includes(Buffer.from(value).toString('base64')), `${value} shows base64-encoded in the evidence`);
  }
}

async function assertStillThere(objects: readonly string[]): Promise<void> {
  for (const object of objects) {
    const [resource, name] = object.split('/');
    const group = resource === 'deployments' || resource === 'replicasets' ? '/apis/apps/v1' : '/api/v1';
    const answer = await admin.request({
      method: 'GET',
      path: `${group}/namespaces/${NS}/${resource}/${name}`,
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(answer.status, 200, `${object} still exists after the dry run: ${answer.body}`);
    const stored = JSON.parse(answer.body.toString());
    assert.equal(stored.metadata.deletionTimestamp, undefined, `${object} is not being deleted`);
  }
}

async function replicas(): Promise<number> {
  const answer = await admin.request({
    method: 'GET',
    path: `/apis/apps/v1/namespaces/${NS}/deployments/orders`,
    signal: AbortSignal.timeout(10_000),
  });
  return JSON.parse(answer.body.toString()).spec.replicas;
}

/** Creates an object for real and remembers its uid as resource/name. */
async function create(
  collection: string,
  object: { metadata: { name: string } & Record<string, unknown> } & Record<string, unknown>,
): Promise<string> {
  const answer = await admin.request({
    method: 'POST',
    path: collection,
    body: Buffer.from(JSON.stringify(object)),
    contentType: 'application/json',
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(answer.status, 201, `${collection}: ${answer.body.toString()}`);
  const uid: string = JSON.parse(answer.body.toString()).metadata.uid;
  uids.set(`${collection.split('/').at(-1)}/${object.metadata.name}`, uid);
  return uid;
}

/** What the deployment and replicaset controllers would make, made by hand with the same ownerReferences. */
async function createOwnerChain(): Promise<void> {
  const labels = { app: 'orders' };
  const deployment = await create(`/apis/apps/v1/namespaces/${NS}/deployments`, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'orders', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'orders:1' }] } },
    },
  });
  for (const suffix of ['a', 'b']) {
    const name = `orders-${suffix}`;
    const rsLabels = { ...labels, 'pod-template-hash': suffix };
    const replicaSet = await create(`/apis/apps/v1/namespaces/${NS}/replicasets`, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, labels: rsLabels, ownerReferences: [owner('apps/v1', 'Deployment', 'orders', deployment)] },
      spec: {
        replicas: 3,
        selector: { matchLabels: rsLabels },
        template: { metadata: { labels: rsLabels }, spec: { containers: [{ name: 'app', image: 'orders:1' }] } },
      },
    });
    for (let i = 0; i < 3; i++) {
      await create(`/api/v1/namespaces/${NS}/pods`, pod(`${name}-${i}`, rsLabels, [owner('apps/v1', 'ReplicaSet', name, replicaSet)]));
    }
  }
}

function owner(apiVersion: string, kind: string, name: string, uid: string) {
  return { apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true };
}

function pod(name: string, labels: Record<string, string>, ownerReferences: readonly object[]) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, ownerReferences },
    spec: { containers: [{ name: 'app', image: 'orders:1' }] },
  };
}

/** dave may delete Deployments and list every dependent type but Pods, and touch pods not at all. */
async function grantDaveEverythingButPods(): Promise<void> {
  await create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'deployment-deleter' },
    rules: [
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'delete'] },
      {
        apiGroups: ['apps'],
        resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'controllerrevisions'],
        verbs: ['list'],
      },
      { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: ['list'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list'] },
      { apiGroups: [''], resources: ['services', 'configmaps', 'secrets', 'persistentvolumeclaims'], verbs: ['list'] },
    ],
  });
  await create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'dave-deletes-deployments' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'deployment-deleter' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: TEST_USERS.dave.name }],
  });
}
