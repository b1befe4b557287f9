/**
 * Masking what a real kube-apiserver answers. A Secret is created with `kubectl apply` (so the
 * last-applied annotation holds its data too) and fetched the ways an agent's kubectl fetches
 * it: as JSON, as a SecretList, as a Table with includeObject=Object and =Metadata, as a watch
 * (plain and Table); each answer is masked and must hold no secret value, raw or base64, with its
 * structure intact. Then the real kubectl runs through a small masking proxy
 * (testing/masking-proxy.ts): it must still decode and print what it gets, and
 * `-o jsonpath='{.data.password}' | base64 -d` must give ****.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import { REDACTED } from '@airlock/contracts/masking';
import { ControlPlane } from '@airlock/testkit';
import { type KubernetesResponseMasking, type MaskedRequest, responseMaskingFor } from './response-masking.ts';
import { type ApiJson, b64, compiledRules, unb64 } from './testing/api-objects.ts';
import { assertNoLeak } from './testing/leak-check.ts';
import { type MaskingProxy, startMaskingProxy } from './testing/masking-proxy.ts';

const NAMESPACE = 'masking';
const PASSWORD = 'Tr0ub4dor&3-horse-battery';
const USERNAME = 'orders-admin';
const TOKEN = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const SECRET_VALUES = [PASSWORD, USERNAME, TOKEN];
const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io';
/** What client-go sends when it can speak protobuf; the masking must get JSON back anyway. */
const PROTOBUF_FIRST = 'application/vnd.kubernetes.protobuf,application/json';

const secretsRequest = (verb: string): MaskedRequest => ({ resource: { apiGroup: '', resource: 'secrets', subresource: '', verb } });

let plane: ControlPlane;
let agent: Agent;
let proxy: MaskingProxy;
let proxyKubeconfig: string;

before(async () => {
  plane = await ControlPlane.start({ controllers: false, log: (line) => process.stderr.write(`# ${line}\n`) });
  agent = new Agent({ ca: plane.caPem, keepAlive: false });
  const created = await plane.kubectl(['create', 'namespace', NAMESPACE]);
  assert.equal(created.code, 0, created.stderr);
  const manifest = join(plane.dir, 'secret.yaml');
  writeFileSync(
    manifest,
    [
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: db-credentials, namespace: masking}',
      'type: Opaque',
      `data: {password: ${b64(PASSWORD)}, username: ${b64(USERNAME)}}`,
      `stringData: {token: "${TOKEN}"}`,
      '',
    ].join('\n'),
  );
  const applied = await plane.kubectl(['apply', '-f', manifest]);
  assert.equal(applied.code, 0, applied.stderr);
  const second = await plane.kubectl(['-n', NAMESPACE, 'create', 'secret', 'generic', 'api-token', `--from-literal=token=${TOKEN}`]);
  assert.equal(second.code, 0, second.stderr);
  proxy = await startMaskingProxy({ server: plane.server, caPem: plane.caPem, token: plane.token('admin') });
  proxyKubeconfig = join(plane.dir, 'kubeconfig-masked.yaml');
  writeFileSync(proxyKubeconfig, proxy.kubeconfig(), { mode: 0o600 });
});

after(async () => {
  await proxy?.close();
  agent?.destroy();
  await plane?.stop();
});

function send(path: string, accept: string, onResponse?: (res: IncomingMessage) => void): Promise<IncomingMessage> {
  const { hostname, port } = new URL(plane.server);
  return new Promise((resolve, reject) => {
    const req = request({ agent, hostname, port, path, headers: { authorization: `Bearer ${plane.token('admin')}`, accept } }, (res) => {
      onResponse?.(res);
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
}

/** GETs `path` as the masking asks (its Accept from protobuf-first), and masks the answer. */
async function fetchMasked(masking: KubernetesResponseMasking, path: string, agentAccept = PROTOBUF_FIRST) {
  const res = await send(path, masking.accept(agentAccept));
  const raw = await buffer(res);
  assert.equal(res.statusCode, 200, raw.toString());
  const contentType = res.headers['content-type'];
  assert.match(contentType ?? '', /^application\/json/);
  const masked = masking.maskBody(raw, contentType);
  return {
    raw,
    masked,
    object: JSON.parse(masked.body.toString()) as ApiJson,
    original: JSON.parse(raw.toString()) as ApiJson,
  };
}

/** The same keys at every level of objects and the same array lengths: masking replaced values only. */
function assertSameShape(masked: unknown, original: unknown, path = '$'): void {
  if (Array.isArray(original)) {
    assert.ok(Array.isArray(masked) && masked.length === original.length, `${path}: array`);
    for (const [i, value] of original.entries()) assertSameShape(masked[i], value, `${path}[${i}]`);
  } else if (typeof original === 'object' && original !== null) {
    assert.ok(typeof masked === 'object' && masked !== null, `${path}: object`);
    assert.deepEqual(Object.keys(masked), Object.keys(original), `${path}: keys`);
    for (const key of Object.keys(original)) assertSameShape((masked as ApiJson)[key], (original as ApiJson)[key], `${path}.${key}`);
  } else if (typeof original !== 'string') assert.equal(masked, original, `${path}: non-string values are untouched`);
}

describe('answers of a real API server, masked', () => {
  test('the raw answers do hold the values (so the checks below can fail)', async () => {
    const raw = await buffer(await send(`/api/v1/namespaces/${NAMESPACE}/secrets/db-credentials`, 'application/json'));
    assert.ok(raw.toString().includes(b64(PASSWORD)));
    assert.ok(raw.toString().includes('last-applied-configuration'));
  });

  test('a Secret as JSON: data masked, last-applied masked, metadata intact', async () => {
    const { object, original, masked } = await fetchMasked(
      responseMaskingFor(secretsRequest('get'))!,
      `/api/v1/namespaces/${NAMESPACE}/secrets/db-credentials`,
    );
    assert.deepEqual(object.data, { password: b64(REDACTED), token: b64(REDACTED), username: b64(REDACTED) });
    const lastApplied = JSON.parse(object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(lastApplied.data, { password: b64(REDACTED), username: b64(REDACTED) });
    assert.deepEqual(lastApplied.stringData, { token: REDACTED });
    assert.equal(object.metadata.resourceVersion, original.metadata.resourceVersion);
    assert.deepEqual(object.metadata.managedFields, original.metadata.managedFields);
    assert.equal(masked.counts['kubernetes:secret-data'], 6);
    assertSameShape(object, original);
    assertNoLeak(masked.body, SECRET_VALUES);
  });

  test('a SecretList', async () => {
    const { object, original, masked } = await fetchMasked(
      responseMaskingFor(secretsRequest('list'))!,
      `/api/v1/namespaces/${NAMESPACE}/secrets`,
    );
    assert.equal(object.kind, 'SecretList');
    assert.equal(object.items.length, 2);
    assert.equal(object.items[0].kind, undefined, 'the API server writes list items without a kind');
    assertSameShape(object, original);
    assertNoLeak(masked.body, SECRET_VALUES);
  });

  for (const include of ['Object', 'Metadata'] as const) {
    test(`a Table with includeObject=${include}`, async () => {
      const { object, original, masked } = await fetchMasked(
        responseMaskingFor(secretsRequest('list'))!,
        `/api/v1/namespaces/${NAMESPACE}/secrets?includeObject=${include}`,
        `application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io,${TABLE_ACCEPT}`,
      );
      assert.equal(object.kind, 'Table');
      assert.equal(object.rows[0].object.kind, include === 'Object' ? 'Secret' : 'PartialObjectMetadata');
      assert.deepEqual(object.columnDefinitions, original.columnDefinitions);
      assert.deepEqual(
        object.rows.map((row: ApiJson) => row.cells),
        original.rows.map((row: ApiJson) => row.cells),
      );
      assertSameShape(object, original);
      assertNoLeak(masked.body, SECRET_VALUES);
    });
  }

  // Plain: both Secrets' data (3 + 1) and the applied one's last-applied (3). Table rows carry
  // metadata only (includeObject defaults to Metadata): the last-applied values (3).
  for (const [accept, expectedCount] of [
    ['application/json', 7],
    [TABLE_ACCEPT, 3],
  ] as const) {
    test(`a watch (${accept}), masked as it streams`, async () => {
      const masking = responseMaskingFor(secretsRequest('watch'))!;
      const transform = masking.watchTransform();
      const rawCopy = new PassThrough();
      const rawChunks: Buffer[] = [];
      let maskedText = '';
      transform.on('data', (chunk: Buffer) => (maskedText += chunk.toString()));
      const res = await send(`/api/v1/namespaces/${NAMESPACE}/secrets?watch=true`, masking.accept(accept));
      assert.equal(res.statusCode, 200);
      // The initial ADDED events of both Secrets; then the watch is closed (it would run on).
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => {
          rawChunks.push(chunk);
          rawCopy.write(chunk);
          transform.write(chunk);
          if (Buffer.concat(rawChunks).toString().split('\n').length > 2) resolve();
        });
        res.on('error', reject);
        transform.on('error', reject);
      });
      res.destroy();
      transform.end();
      await new Promise((resolve) => transform.on('end', resolve).resume());
      const rawEvents = Buffer.concat(rawChunks).toString().split('\n').filter(Boolean);
      const maskedEvents = maskedText.split('\n').filter(Boolean);
      assert.equal(maskedEvents.length, rawEvents.length);
      assert.ok(
        rawEvents.some((event) => event.includes(PASSWORD) || event.includes(b64(PASSWORD))),
        'the raw events hold the password',
      );
      maskedEvents.forEach((event, i) => {
        const masked = JSON.parse(event);
        const original = JSON.parse(rawEvents[i]!);
        assert.equal(masked.type, 'ADDED');
        assertSameShape(masked, original);
      });
      assertNoLeak(maskedText, SECRET_VALUES);
      assert.equal(transform.counts['kubernetes:secret-data'], expectedCount);
    });
  }

  test('policy rules on a ConfigMap, through the real server', async () => {
    const created = await plane.kubectl([
      '-n',
      NAMESPACE,
      'create',
      'configmap',
      'app',
      '--from-literal=db_password=hunter22',
      '--from-literal=owner=ops@example.com',
      '--from-literal=level=debug',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const rules = compiledRules([{ name: 'pw', columns: ['*password*'] }], 'pii');
    const masking = responseMaskingFor({ resource: { apiGroup: '', resource: 'configmaps', subresource: '', verb: 'get' }, rules })!;
    const { object, masked } = await fetchMasked(masking, `/api/v1/namespaces/${NAMESPACE}/configmaps/app`);
    assert.deepEqual(object.data, { db_password: REDACTED, level: 'debug', owner: REDACTED });
    assert.deepEqual({ ...masked.counts }, { 'p/pw': 1, 'profile:pii': 1 });
  });
});

describe('the real kubectl through a masking proxy', () => {
  const kubectl = (args: string[]) => plane.kubectl(['-n', NAMESPACE, ...args], { kubeconfigPath: proxyKubeconfig });

  test("-o jsonpath='{.data.password}' | base64 -d prints ****", async () => {
    const out = await kubectl(['get', 'secret', 'db-credentials', '-o', 'jsonpath={.data.password}']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(unb64(out.stdout), REDACTED);
  });

  test('get secrets prints the table; -o yaml decodes and leaks nothing', async () => {
    const table = await kubectl(['get', 'secrets']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /db-credentials\s+Opaque\s+3/);
    const yaml = await kubectl(['get', 'secrets', '-o', 'yaml']);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.ok(yaml.stdout.includes('last-applied-configuration'));
    assertNoLeak(yaml.stdout, SECRET_VALUES);
    assertNoLeak(table.stdout, SECRET_VALUES);
  });

  test('create and apply answer with the masked Secret and kubectl accepts it', async () => {
    const created = await kubectl(['create', 'secret', 'generic', 'fresh', `--from-literal=password=${PASSWORD}`, '-o', 'json']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(JSON.parse(created.stdout).data.password, b64(REDACTED));
    const manifest = join(plane.dir, 'fresh.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: fresh, namespace: ${NAMESPACE}}\nstringData: {password: "${PASSWORD}-2"}\n`,
    );
    const applied = await kubectl(['apply', '-f', manifest, '-o', 'json']);
    assert.equal(applied.code, 0, applied.stderr);
    assertNoLeak(applied.stdout, SECRET_VALUES);
  });
});
