/**
 * Secret masking under load and from every angle an agent's kubectl takes, through the whole
 * sidecar (listener, policy, masking, relay) in front of a real kube-apiserver: 2,000 Secrets
 * listed in pages and in one piece, a watch that sees a Secret created while it runs, a Secret
 * asked for as protobuf, a Secret created by `kubectl apply` (whose last-applied annotation
 * copies the data) printed as YAML, a ConfigMap value a policy's detector selects, and request
 * paths written the ways the API server also reads. No secret value may come out, raw or in base64.
 *
 * Every Secret value carries VALUE_MARK, so one leak check covers all 2,000: a value that came out
 * whole, or in base64 at any alignment, contains the mark or its base64 forms.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REDACTED } from '@airlock/contracts/masking';
import { ControlPlane, eventually } from '@airlock/testkit';
import { parse } from 'yaml';
import { b64 } from './masking/testing/api-objects.ts';
import { assertNoLeak } from './masking/testing/leak-check.ts';
import { agentRequest, json } from './testing/agent-request.ts';
import { DirectApi } from './testing/api-server.ts';
import { ALLOW_EVERYTHING, type KubernetesSidecarFixture, startKubernetesSidecar } from './testing/kubernetes-sidecar-fixture.ts';
import { getRequest, rawExchange } from './testing/raw-http.ts';

const MANY = 'many-secrets';
const WATCHED = 'watched';
const SECRETS = 2000;
const VALUE_MARK = '-Zq7SECRETVALUE-';
const secretValue = (i: number) => `v${i}${VALUE_MARK}${'k'.repeat(i % 7)}`;
/** kubectl's first choice when it can speak protobuf. */
const PROTOBUF = 'application/vnd.kubernetes.protobuf';

let plane: ControlPlane;
let direct: DirectApi;
let fixture: KubernetesSidecarFixture;

before(async () => {
  plane = await ControlPlane.start({ controllers: false, log: (line) => process.stderr.write(`# ${line}\n`) });
  direct = new DirectApi(plane);
  await direct.createAll('/api/v1/namespaces', [{ metadata: { name: MANY } }, { metadata: { name: WATCHED } }]);
  await direct.createAll(
    `/api/v1/namespaces/${MANY}/secrets`,
    Array.from({ length: SECRETS }, (_, i) => ({ metadata: { name: `s-${i}` }, stringData: { value: secretValue(i) } })),
    32,
  );
  fixture = await startKubernetesSidecar({ credentials: { server: plane.server, caBundle: plane.caPem, token: plane.token('admin') } });
});

after(async () => {
  await fixture?.close();
  direct?.close();
  await plane?.stop();
});

/** The real kubectl as the agent, with the kubeconfig the sidecar wrote. */
const agentKubectl = (args: string[], kubeconfigPath = fixture.kubeconfigPath) => plane.kubectl(args, { kubeconfigPath });

describe('2,000 Secrets through the sidecar', () => {
  test('the raw list does hold the values (so the checks below can fail)', async () => {
    const raw = await direct.send('GET', `/api/v1/namespaces/${MANY}/secrets?limit=5`);
    assert.ok(raw.body.includes(b64(secretValue(0)).slice(0, 12)));
  });

  for (const chunking of [[], ['--chunk-size=0']]) {
    test(`kubectl get secrets -o json ${chunking.join(' ') || '(pages of 500)'}: every value masked`, async () => {
      const out = await agentKubectl(['-n', MANY, 'get', 'secrets', '-o', 'json', ...chunking]);
      assert.equal(out.code, 0, out.stderr);
      const list = JSON.parse(out.stdout);
      assert.equal(list.items.length, SECRETS);
      for (const item of list.items) assert.deepEqual(item.data, { value: b64(REDACTED) }, item.metadata.name);
      assertNoLeak(out.stdout, [VALUE_MARK]);
    });
  }

  test('the list across all namespaces, as a Table with the objects: masked', async () => {
    const answer = await agentRequest(fixture.port, {
      path: '/api/v1/secrets?includeObject=Object',
      headers: { accept: `${PROTOBUF};as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1;g=meta.k8s.io` },
    });
    assert.equal(answer.statusCode, 200, answer.body.toString().slice(0, 300));
    const table = json(answer);
    assert.equal(table.kind, 'Table');
    assert.ok(table.rows.length >= SECRETS);
    assertNoLeak(answer.body, [VALUE_MARK]);
  });
});

describe('a watch', () => {
  test('kubectl get secrets -w sees a Secret created afterwards, masked', async () => {
    const child = spawn(plane.binaries.kubectl, ['-n', WATCHED, 'get', 'secrets', '-w', '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: fixture.kubeconfigPath },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      // The watch is open once the initial (empty) list was read; a Secret created now is an event.
      await eventually('the watch request at the API server', async () => {
        const answer = await direct.send('GET', '/metrics');
        return /apiserver_longrunning_requests\{[^}]*resource="secrets"[^}]*verb="WATCH"[^}]*\} [1-9]/.test(answer.body) ? true : undefined;
      });
      const created = await direct.send('POST', `/api/v1/namespaces/${WATCHED}/secrets`, {
        body: { metadata: { name: 'late' }, stringData: { value: secretValue(99_999) } },
      });
      assert.equal(created.statusCode, 201, created.body);
      await eventually('the new Secret in the watch output', () => (stdout.includes('"late"') ? true : undefined), {
        detail: () => stderr,
      });
    } finally {
      child.kill();
      await exited;
    }
    assert.ok(stdout.includes(b64(REDACTED)), 'the event carries the masked value');
    assertNoLeak(stdout, [VALUE_MARK]);
  });
});

describe('formats the masker cannot read are never passed on', () => {
  for (const accept of [PROTOBUF, `${PROTOBUF},application/json`, `${PROTOBUF};as=Table;v=v1;g=meta.k8s.io`]) {
    test(`a Secret asked for as ${accept}: masked JSON comes back`, async () => {
      const answer = await agentRequest(fixture.port, { path: `/api/v1/namespaces/${MANY}/secrets/s-1`, headers: { accept } });
      assert.match(String(answer.headers['content-type']), /^application\/json/);
      assert.ok(!answer.body.includes(Buffer.from('k8s\0')), 'no protobuf envelope');
      if (answer.statusCode === 200) assert.deepEqual(json(answer).data, { value: b64(REDACTED) });
      else assert.equal(json(answer).kind, 'Status');
      assertNoLeak(answer.body, [VALUE_MARK]);
    });
  }

  test('a Secret asked for with Upgrade headers (as if it were an exec): refused, never relayed unread', async () => {
    const exchange = await rawExchange(
      fixture.port,
      getRequest(`/api/v1/namespaces/${MANY}/secrets/s-3`, 'airlock-test/upgrade-bypass', [
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ]),
    );
    assert.ok(exchange.answer, 'an answer came back');
    assert.equal(exchange.answer.statusCode, 403);
    assert.match(exchange.answer.body.toString(), /only exec, attach, port-forward and proxy requests may upgrade/);
    assertNoLeak(exchange.answer.body, [VALUE_MARK]);
  });

  test('a Secret asked for gzip-encoded: plain masked JSON', async () => {
    const answer = await agentRequest(fixture.port, {
      path: `/api/v1/namespaces/${MANY}/secrets/s-2`,
      headers: { 'accept-encoding': 'gzip' },
    });
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.headers['content-encoding'], undefined);
    assert.deepEqual(json(answer).data, { value: b64(REDACTED) });
  });
});

describe('a Secret created by kubectl apply', () => {
  test('kubectl get secret -o yaml leaks nothing, the last-applied annotation included', async () => {
    const manifest = join(plane.dir, 'applied-secret.yaml');
    writeFileSync(
      manifest,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: applied, namespace: ${MANY}}\ndata: {password: ${b64(secretValue(1_000_001))}}\nstringData: {token: "${secretValue(1_000_002)}"}\n`,
    );
    const applied = await plane.kubectl(['apply', '-f', manifest]);
    assert.equal(applied.code, 0, applied.stderr);
    const raw = await direct.send('GET', `/api/v1/namespaces/${MANY}/secrets/applied`);
    assert.ok(
      raw.body.includes('last-applied-configuration') && raw.body.includes(VALUE_MARK),
      'the raw Secret has the values in the annotation',
    );
    const out = await agentKubectl(['-n', MANY, 'get', 'secret', 'applied', '-o', 'yaml']);
    assert.equal(out.code, 0, out.stderr);
    const secret = parse(out.stdout);
    assert.deepEqual(secret.data, { password: b64(REDACTED), token: b64(REDACTED) });
    assert.ok(secret.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assertNoLeak(out.stdout, [VALUE_MARK]);
  });
});

describe('request paths the API server reads as a Secret', () => {
  // Each of these is either refused or masked; the API server's own reading is checked first, so
  // a variant it would not serve as the Secret proves nothing.
  const variants = [
    `/api/v1/namespaces/${MANY}/%73ecrets/s-3`,
    `/api/v1/namespaces/${MANY}/secrets/s-3/`,
    `/api/v1/namespaces/${MANY}//secrets/s-3`,
    `/api/v1/namespaces/${MANY}/./secrets/s-3`,
    `/api/v1/namespaces/${MANY}/secrets/%73-3`,
    `/api//v1/namespaces/${MANY}/secrets/s-3`,
    `/api/v1/namespaces/${MANY}/secrets?fieldSelector=metadata.name%3Ds-3`,
    `/api/v1/watch/namespaces/${MANY}/secrets/s-3?timeoutSeconds=1`,
    `/api/v1/namespaces/${MANY}/secrets?watch=true&fieldSelector=metadata.name%3Ds-3&timeoutSeconds=1`,
  ];
  for (const path of variants) {
    test(`GET ${path}`, async () => {
      const answer = await agentRequest(fixture.port, { path });
      if (process.env.AIRLOCK_TEST_LOG === '1')
        process.stderr.write(`# ${path}: HTTP ${answer.statusCode} ${answer.body.subarray(0, 160)}\n`);
      assert.ok(answer.statusCode === 200 || answer.statusCode >= 400, `HTTP ${answer.statusCode}`);
      assertNoLeak(answer.body, [VALUE_MARK], `the answer to ${path}`);
    });
  }
});

describe('policy masking rules with detectors', () => {
  test('an email in a ConfigMap value is masked in get, list, -o yaml and a watch', async () => {
    const created = await direct.send('POST', `/api/v1/namespaces/${WATCHED}/configmaps`, {
      body: { metadata: { name: 'contacts' }, data: { owner: 'contact dana.ops@example.com for access', level: 'debug' } },
    });
    assert.equal(created.statusCode, 201, created.body);
    const masking = await startKubernetesSidecar({
      credentials: { server: plane.server, caBundle: plane.caPem, token: plane.token('admin') },
      policy: { ...ALLOW_EVERYTHING, masking: { rules: [{ name: 'emails', detectors: ['email'] }] } },
    });
    try {
      const get = await agentRequest(masking.port, { path: `/api/v1/namespaces/${WATCHED}/configmaps/contacts` });
      assert.equal(get.statusCode, 200, get.body.toString());
      const data = json(get).data;
      assert.equal(data.level, 'debug');
      assert.ok(!String(data.owner).includes('dana.ops@example.com'), data.owner);
      for (const args of [
        ['get', 'configmaps', '-o', 'json'],
        ['get', 'configmap', 'contacts', '-o', 'yaml'],
      ]) {
        const out = await agentKubectl(['-n', WATCHED, ...args], masking.kubeconfigPath);
        assert.equal(out.code, 0, out.stderr);
        assert.ok(out.stdout.includes('debug'));
        assert.ok(!out.stdout.includes('dana.ops@example.com'), `${args.join(' ')}: ${out.stdout}`);
      }
      const watch = await agentRequest(masking.port, {
        path: `/api/v1/namespaces/${WATCHED}/configmaps?watch=1&fieldSelector=metadata.name%3Dcontacts&timeoutSeconds=1`,
      });
      assert.equal(watch.statusCode, 200);
      assert.ok(watch.body.toString().includes('"ADDED"'));
      assert.ok(!watch.body.toString().includes('dana.ops@example.com'), watch.body.toString());
    } finally {
      await masking.close();
    }
  });
});
