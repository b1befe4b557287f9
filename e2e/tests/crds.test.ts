/**
 * The airlock API on a real API server: the CRDs install, every example applies with kubectl and
 * with the TypeScript client, the server itself refuses invalid objects with our messages, and
 * kubectl shows what reviewers need. The admission policy is installed too, so ApprovalRequests
 * are created and decided by the operator's service account and reviewed by their reviewers, as
 * in a real cluster (e2e/tests/segregation-of-duties.test.ts tests the policy itself).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installManifest } from '@airlock/contracts/install';
import { EXAMPLES_DIR, exampleDocuments, exampleFiles, GROUP, SOURCES, VERSION } from '@airlock/crds';
import { baseDocument, INVALID_CASES } from '@airlock/crds/testing/invalid-cases';
import {
  type AirlockInstallation,
  apiError,
  ControlPlane,
  installAirlock,
  installCrds,
  TEST_USERS,
  type TestUserName,
} from '@airlock/testkit';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, type KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import { stringify } from 'yaml';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const plural = (kind: string) => SOURCES.find((s) => s.kind === kind)!.plural;
const isAirlock = (doc: Record<string, unknown>) => doc.apiVersion === `${GROUP}/${VERSION}`;

let plane: ControlPlane;
let install: AirlockInstallation;
before(async () => {
  plane = await ControlPlane.start({ log });
  await installCrds(plane);
  install = await installAirlock(plane);
  const reviewers = ['create', 'clusterrolebinding', 'reviewers', '--clusterrole=airlock-reviewer', '--group=airlock-reviewers'];
  const bound = await plane.kubectl(reviewers);
  assert.equal(bound.code, 0, bound.stderr);
});
after(async () => plane?.stop());

test('the CRDs are Established with their names accepted', async () => {
  const api = plane.kubeConfig().makeApiClient(ApiextensionsV1Api);
  const crds = await api.listCustomResourceDefinition({ labelSelector: 'app.kubernetes.io/part-of=airlock' });
  assert.deepEqual(crds.items.map((c) => c.metadata?.name).sort(), SOURCES.map((s) => `${s.plural}.${GROUP}`).sort());
  for (const crd of crds.items) {
    for (const type of ['Established', 'NamesAccepted']) {
      assert.equal(crd.status?.conditions?.find((c) => c.type === type)?.status, 'True', `${crd.metadata?.name} ${type}`);
    }
  }
});

test('the install manifest (make manifests) is accepted by the API server as a whole: a server-side dry run', async () => {
  const file = join(plane.dir, 'install-manifest.yaml');
  const objects = installManifest({
    namespace: install.namespace,
    serviceAccount: install.serviceAccount,
    service: { name: 'airlock-operator' },
  });
  writeFileSync(file, objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n'));
  const applied = await plane.kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--dry-run=server',
    '--field-manager=airlock-install',
    '-f',
    file,
  ]);
  assert.equal(applied.code, 0, applied.stderr);
  for (const kind of [
    'customresourcedefinition',
    'clusterrole',
    'validatingadmissionpolicy',
    'mutatingwebhookconfiguration',
    'validatingwebhookconfiguration',
  ]) {
    assert.match(applied.stdout, new RegExp(`^${kind}[^ ]* serverside-applied \\(server dry run\\)$`, 'm'), applied.stdout);
  }
});

describe('examples', () => {
  test('apply with kubectl', async () => {
    const ns = await plane.kubectl(['apply', '-f', `${EXAMPLES_DIR}/00-namespace.yaml`]);
    assert.equal(ns.code, 0, ns.stderr);
    for (const file of exampleFiles()) {
      // Only the operator creates ApprovalRequests.
      const byOperator = exampleDocuments().some((e) => e.file === file && e.doc.kind === 'ApprovalRequest');
      const applied = await plane.kubectl(['apply', '-f', file], byOperator ? { kubeconfigPath: install.operator.kubeconfigPath } : {});
      assert.equal(applied.code, 0, applied.stderr);
    }
    for (const { doc } of exampleDocuments().filter((e) => isAirlock(e.doc))) {
      const name = (doc.metadata as { name: string }).name;
      const got = await plane.kubectl(['get', '-n', 'agents', `${plural(String(doc.kind))}.${GROUP}`, name, '-o', 'name']);
      assert.equal(got.code, 0, got.stderr);
    }
  });

  test('apply with the TypeScript client', async () => {
    const kc = plane.kubeConfig();
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const operatorObjects = KubernetesObjectApi.makeApiClient(install.operator.kubeConfig());
    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'agents-ts' } } });
    for (const { doc } of exampleDocuments()) {
      if (doc.kind === 'Namespace') continue;
      const body = structuredClone(doc) as KubernetesObject & { spec?: unknown };
      body.metadata = { ...body.metadata, namespace: 'agents-ts' };
      const created = await (doc.kind === 'ApprovalRequest' ? operatorObjects : objects).create(body);
      assert.ok(created.metadata?.uid, `${doc.kind} created`);
      if (isAirlock(doc)) {
        const read = (await objects.read({
          apiVersion: body.apiVersion!,
          kind: body.kind!,
          metadata: { name: body.metadata.name!, namespace: 'agents-ts' },
        })) as typeof body;
        assertSubset(read.spec, body.spec, `${doc.kind}/${body.metadata.name}.spec`);
      }
    }
  });
});

describe('the API server refuses invalid objects', () => {
  const api = () => plane.kubeConfig().makeApiClient(CustomObjectsApi);
  const expectRefusal = async (call: Promise<unknown>, expected: string, code = 422) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    const refused = apiError(error);
    assert.ok(refused, `expected a refusal mentioning "${expected}", but the API server accepted it`);
    assert.equal(refused.code, code, refused.message);
    assert.ok(refused.message.includes(expected), `expected "${expected}" in: ${refused.message}`);
  };

  before(async () => {
    await plane
      .kubeConfig()
      .makeApiClient(CoreV1Api)
      .createNamespace({ body: { metadata: { name: 'invalid' } } });
  });

  INVALID_CASES.forEach((c, index) => {
    test(c.name, async () => {
      const base = baseDocument(c.base.kind, c.base.name);
      base.metadata = { name: `case-${index}`, namespace: 'invalid' };
      const ref = { group: GROUP, version: VERSION, namespace: 'invalid', plural: plural(c.base.kind) };
      const expected = c.serverMessage ?? c.message;
      if (!c.update) {
        const body = structuredClone(base);
        c.edit(body);
        await expectRefusal(
          api().createNamespacedCustomObject({ ...ref, body, dryRun: 'All', fieldValidation: 'Strict' }),
          expected,
          c.serverCode,
        );
        return;
      }
      delete base.status;
      const isRequest = c.base.kind === 'ApprovalRequest';
      const creator = isRequest ? install.operator.kubeConfig().makeApiClient(CustomObjectsApi) : api();
      // biome-ignore lint/suspicious/noExplicitAny: a raw custom object, edited by path
      let stored = (await creator.createNamespacedCustomObject({ ...ref, body: base })) as Record<string, any>;
      if (c.status) {
        c.status(stored);
        stored = isRequest
          ? await storeRequestStatus(ref.namespace, base.metadata.name, stored.status)
          : await api().replaceNamespacedCustomObjectStatus({ ...ref, name: base.metadata.name, body: stored });
      }
      const changed = structuredClone(stored);
      c.edit(changed);
      const statusEdit = JSON.stringify(changed.spec) === JSON.stringify(stored.spec);
      const call = statusEdit
        ? api().replaceNamespacedCustomObjectStatus({ ...ref, name: base.metadata.name, body: changed })
        : api().replaceNamespacedCustomObject({ ...ref, name: base.metadata.name, body: changed });
      await expectRefusal(call, expected, c.serverCode);
    });
  });
});

describe('kubectl', () => {
  test('get ar shows phase, requester, target, summary and approvals', async () => {
    await storeRequestStatus('agents', 'ci-migrations-d46efe53-7kq2x', { phase: 'Pending', approvals: '0/2' });
    const out = await plane.kubectl(['get', 'ar', '-n', 'agents']);
    assert.equal(out.code, 0, out.stderr);
    const [header, row] = out.stdout.trimEnd().split('\n');
    assert.deepEqual(header?.split(/\s{2,}/), ['NAME', 'PHASE', 'REQUESTER', 'TARGET', 'SUMMARY', 'APPROVALS', 'AGE']);
    assert.deepEqual(row?.split(/\s{2,}/).slice(0, 6), [
      'ci-migrations-d46efe53-7kq2x',
      'Pending',
      'ci-migrations',
      'orders-db',
      'DROP TABLE public.order_archive_2019',
      '0/2',
    ]);
  });

  test('get airlock lists every kind', async () => {
    const out = await plane.kubectl(['get', 'airlock', '-n', 'agents', '-o', 'name']);
    assert.equal(out.code, 0, out.stderr);
    for (const source of SOURCES) assert.match(out.stdout, new RegExp(`^${source.singular}\\.${GROUP.replace('.', '\\.')}/`, 'm'));
  });

  test('short names resolve', async () => {
    for (const source of SOURCES) {
      for (const short of source.shortNames) {
        const out = await plane.kubectl(['get', short, '-n', 'agents', '-o', 'name']);
        assert.equal(out.code, 0, `${short}: ${out.stderr}`);
        assert.match(out.stdout, new RegExp(`^${source.singular}\\.`, 'm'), short);
      }
    }
  });

  test('explain shows the field descriptions', async () => {
    const out = await plane.kubectl(['explain', 'approvalrequest.spec.operation.digest']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /sha256:<hex> over the exact bytes/);
  });

  test('explain says how allow and deny rules read a command (ADR 0011)', async () => {
    const match = await plane.kubectl(['explain', 'approvalpolicy.spec.rules.match']);
    assert.equal(match.code, 0, match.stderr);
    const text = match.stdout.replace(/\s+/g, ' ');
    assert.match(text, /An allow rule covers a command only when every facet of it/);
    assert.match(text, /deny and requireApproval rules match on any facet/);
    const sql = await plane.kubectl(['explain', 'approvalpolicy.spec.rules.match.sql']);
    assert.equal(sql.code, 0, sql.stderr);
    assert.match(sql.stdout.replace(/\s+/g, ' '), /a read that also writes is not covered by statementKinds \[read\]/);
    const rule = await plane.kubectl(['explain', 'approvalpolicy.spec.rules']);
    assert.match(rule.stdout.replace(/\s+/g, ' '), /rule order never loosens a decision/);
  });
});

/**
 * Stores an ApprovalRequest status the way it comes about under the admission policy: the
 * operator sets everything but reviews, each reviewer appends their own review while the request
 * is Pending, then the operator moves the phase on.
 */
// biome-ignore lint/suspicious/noExplicitAny: a raw custom object
async function storeRequestStatus(namespace: string, name: string, status: Record<string, any>): Promise<Record<string, any>> {
  const { reviews = [], ...operatorFields } = status;
  const write = async (patch: unknown, type: 'merge' | 'json', actor: { user: TestUserName } | { kubeconfigPath: string }) => {
    const args = ['patch', `approvalrequests.${GROUP}`, name, '-n', namespace, '--subresource=status', `--type=${type}`];
    const written = await plane.kubectl([...args, '-p', JSON.stringify(patch)], actor);
    assert.equal(written.code, 0, written.stderr);
  };
  const operator = { kubeconfigPath: install.operator.kubeconfigPath };
  await write({ status: reviews.length > 0 ? { ...operatorFields, phase: 'Pending' } : operatorFields }, 'merge', operator);
  for (const [index, review] of reviews.entries()) {
    const user = (Object.keys(TEST_USERS) as TestUserName[]).find((u) => TEST_USERS[u].name === review.user);
    assert.ok(user, `${review.user} is not a test user: a review is stored only by the reviewer it names`);
    const path = index === 0 ? '/status/reviews' : '/status/reviews/-';
    await write([{ op: 'add', path, value: index === 0 ? [review] : review }], 'json', { user });
  }
  if (reviews.length > 0 && operatorFields.phase !== 'Pending') await write({ status: { phase: operatorFields.phase } }, 'merge', operator);
  const ref = { group: GROUP, version: VERSION, namespace, plural: 'approvalrequests', name };
  // biome-ignore lint/suspicious/noExplicitAny: a raw custom object
  return (await plane.kubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject(ref)) as Record<string, any>;
}

/** Every field we sent came back unchanged (the server may add defaults). */
function assertSubset(actual: unknown, expected: unknown, path: string): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    for (const [k, v] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)?.[k], v, `${path}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, path);
}
