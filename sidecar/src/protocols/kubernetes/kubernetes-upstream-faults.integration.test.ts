/**
 * The Kubernetes data path when what is behind the sidecar fails, against a real kube-apiserver
 * that writes an audit log (so the API server itself says whether a request reached it):
 *
 * - the API server unreachable, credentials the CredentialSource cannot give, an API server whose
 *   certificate the configured CA does not sign: a 503 Status (`airlock: ...`), nothing sent,
 *   the sidecar still serving;
 * - the upstream connection cut in the middle of an answer (a TCP relay the test controls): the
 *   agent sees a body cut short, never one that looks whole, and the next request works;
 * - a recording store that fails under `onStoreFailure: Block`: 503, and nothing reaches the API server;
 * - credentials kept fresh: a minted token fetched again once its refresh time passed (a clock
 *   the test moves), and a token the API server stops accepting (bound to a pod the test deletes)
 *   dropped after its 401, so the next request fetches another.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { StoredRecord } from '@airlock/contracts/recording';
import { RecordingError } from '@airlock/contracts/recording';
import { ControlPlane, createCertificateAuthority, eventually, freePort, podBoundToken } from '@airlock/testkit';
import type { CredentialSource, TargetConfig, TargetCredentials } from '../../core/ports.ts';
import type { RecordingSink, RecordingStore } from '../../core/recording/sink.ts';
import { type AgentAnswer, agentRequest, json } from './testing/agent-request.ts';
import { DirectApi, requestsBy } from './testing/api-server.ts';
import { startKubernetesSidecar } from './testing/kubernetes-sidecar-fixture.ts';
import { getRequest, rawExchange } from './testing/raw-http.ts';
import { startTcpRelay, type TcpRelay } from './testing/tcp-relay.ts';

const NS = 'faults';
/** Enough ConfigMaps that their list is far larger than what the relay lets through before it cuts. */
const BULK_CONFIGMAPS = 200;

let plane: ControlPlane;
let direct: DirectApi;
let relay: TcpRelay;

before(async () => {
  plane = await ControlPlane.start({ controllers: false, auditLog: true, log: (line) => process.stderr.write(`# ${line}\n`) });
  direct = new DirectApi(plane);
  await direct.createAll('/api/v1/namespaces', [{ metadata: { name: NS } }]);
  await direct.createAll(`/api/v1/namespaces/${NS}/configmaps`, [{ metadata: { name: 'probe' }, data: { colour: 'blue' } }]);
  await direct.createAll(
    `/api/v1/namespaces/${NS}/configmaps`,
    Array.from({ length: BULK_CONFIGMAPS }, (_, i) => ({
      metadata: { name: `bulk-${i}`, labels: { bulk: 'yes' } },
      data: { filler: 'x'.repeat(2048) },
    })),
  );
  await direct.createAll(
    `/api/v1/namespaces/${NS}/secrets`,
    Array.from({ length: 50 }, (_, i) => ({
      metadata: { name: `bulk-secret-${i}` },
      stringData: { value: `bulk-secret-value-${i}-${'y'.repeat(2048)}` },
    })),
  );
  const { port } = new URL(plane.server);
  relay = await startTcpRelay({ host: '127.0.0.1', port: Number(port) });
});

after(async () => {
  await relay?.close();
  direct?.close();
  await plane?.stop();
});

const adminCredentials = (server = plane.server) => ({ server, caBundle: plane.caPem, token: plane.token('admin') });

/** A 503 Status from the sidecar itself, in the API server's error format. */
function assertSidecarStatus(answer: AgentAnswer, code: number, what: string): void {
  assert.equal(answer.statusCode, code, `${what}: ${answer.body.toString()}`);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  const status = json(answer);
  assert.equal(status.kind, 'Status');
  assert.equal(status.code, code);
  assert.ok(String(status.message).startsWith('airlock: '), status.message);
  assert.ok(answer.complete, 'the Status arrived whole');
}

/** The sidecar answers a normal read after whatever went before. */
async function assertStillServes(port: number): Promise<void> {
  const answer = await agentRequest(port, { path: `/api/v1/namespaces/${NS}/configmaps/probe` });
  assert.equal(answer.statusCode, 200, answer.body.toString());
  assert.equal(json(answer).data.colour, 'blue');
}

describe('the upstream side fails closed', () => {
  test('the API server unreachable: 503 Status, every time, nothing hangs', async () => {
    const closedPort = await freePort();
    const fixture = await startKubernetesSidecar({ credentials: adminCredentials(`https://127.0.0.1:${closedPort}`) });
    try {
      for (const path of [`/api/v1/namespaces/${NS}/configmaps/probe`, `/api/v1/namespaces/${NS}/secrets`, '/version']) {
        const answer = await agentRequest(fixture.port, { path });
        assertSidecarStatus(answer, 503, path);
        assert.match(json(answer).message, /cannot be reached/);
      }
      const created = await agentRequest(fixture.port, {
        method: 'POST',
        path: `/api/v1/namespaces/${NS}/configmaps`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'never' } }),
      });
      assertSidecarStatus(created, 503, 'a create');
    } finally {
      await fixture.close();
    }
  });

  test('credentials the CredentialSource cannot give: 503 Status, no crash, nothing sent', async () => {
    const userAgent = 'airlock-test/no-credentials';
    let asked = 0;
    const failing: CredentialSource = {
      forTarget: async (target: TargetConfig) => {
        asked++;
        throw new Error(`no credentials for target ${target.name}`);
      },
    };
    const fixture = await startKubernetesSidecar({ credentials: failing });
    try {
      for (let i = 0; i < 3; i++) {
        const answer = await agentRequest(fixture.port, {
          path: `/api/v1/namespaces/${NS}/configmaps/probe`,
          headers: { 'user-agent': userAgent },
        });
        assertSidecarStatus(answer, 503, `request ${i}`);
        assert.match(json(answer).message, /no credentials for target cluster-api/);
      }
      assert.ok(asked >= 3, 'each request asks again: a failed fetch is not cached');
      assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), []);
    } finally {
      await fixture.close();
    }
  });

  test('static credentials for a target that has none: 503 Status', async () => {
    const fixture = await startKubernetesSidecar({ credentials: { server: plane.server } });
    try {
      const answer = await agentRequest(fixture.port, { path: `/api/v1/namespaces/${NS}/configmaps/probe` });
      assertSidecarStatus(answer, 503, 'no token');
      assert.match(json(answer).message, /needs token/);
    } finally {
      await fixture.close();
    }
  });

  test('a CA that did not sign the API server: 503 Status, and no request reached the API server', async () => {
    const userAgent = 'airlock-test/wrong-ca';
    const otherCa = await createCertificateAuthority('not-the-cluster-ca');
    const before = relay.connections;
    const fixture = await startKubernetesSidecar({
      credentials: { server: relay.server, caBundle: otherCa.certPem, token: plane.token('admin') },
    });
    try {
      const answer = await agentRequest(fixture.port, {
        path: `/api/v1/namespaces/${NS}/configmaps/probe`,
        headers: { 'user-agent': userAgent },
      });
      assertSidecarStatus(answer, 503, 'wrong CA');
      assert.match(json(answer).message, /TLS failed/);
      assert.ok(relay.connections > before, 'the sidecar did try (so the refusal is the TLS check, not a wrong address)');
      assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), [], 'the API server saw no request');
    } finally {
      await fixture.close();
    }
  });
});

describe('the upstream dies in the middle of an answer', () => {
  const cutAt = 64 * 1024;

  test('a streamed list cut short reaches the agent cut short (framing not completed), and the next request works', async () => {
    const fixture = await startKubernetesSidecar({ credentials: adminCredentials(relay.server) });
    try {
      relay.cutAfterUpstreamBytes = cutAt;
      const raw = await rawExchange(
        fixture.port,
        getRequest(`/api/v1/namespaces/${NS}/configmaps?labelSelector=bulk%3Dyes`, 'airlock-test/cut'),
      );
      relay.cutAfterUpstreamBytes = undefined;
      assert.ok(raw.closed, 'the sidecar closed the connection');
      assert.ok(raw.answer, 'an answer head arrived');
      assert.equal(raw.answer.statusCode, 200);
      assert.notEqual(raw.answer.framing, 'close', 'the body is framed, so the cut is visible');
      assert.equal(raw.answer.complete, false, `a ${raw.answer.framing} body of ${raw.answer.body.length} bytes presented as complete`);
      assert.ok(raw.answer.body.length < BULK_CONFIGMAPS * 2048);
      await assertStillServes(fixture.port);
    } finally {
      relay.cutAfterUpstreamBytes = undefined;
      await fixture.close();
    }
  });

  test('the same seen by a client library: node:http reports the body incomplete', async () => {
    const fixture = await startKubernetesSidecar({ credentials: adminCredentials(relay.server) });
    try {
      relay.cutAfterUpstreamBytes = cutAt;
      const answer = await agentRequest(fixture.port, { path: `/api/v1/namespaces/${NS}/configmaps?labelSelector=bulk%3Dyes` });
      relay.cutAfterUpstreamBytes = undefined;
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.complete, false);
      assert.throws(() => JSON.parse(answer.body.toString()), 'what arrived is not a whole list');
      await assertStillServes(fixture.port);
    } finally {
      relay.cutAfterUpstreamBytes = undefined;
      await fixture.close();
    }
  });

  test('a masked answer (a Secret list) cut short: an error Status, never a partial or unmasked body', async () => {
    const fixture = await startKubernetesSidecar({ credentials: adminCredentials(relay.server) });
    try {
      relay.cutAfterUpstreamBytes = cutAt;
      const answer = await agentRequest(fixture.port, { path: `/api/v1/namespaces/${NS}/secrets` });
      relay.cutAfterUpstreamBytes = undefined;
      assert.equal(answer.statusCode, 503, 'the upstream broke off: unavailable, not a masking fault');
      assert.equal(json(answer).kind, 'Status');
      assert.match(json(answer).message, /^airlock: the API server's answer broke off/);
      assert.ok(!answer.body.toString().includes('bulk-secret-value'), 'no secret value');
      await assertStillServes(fixture.port);
    } finally {
      relay.cutAfterUpstreamBytes = undefined;
      await fixture.close();
    }
  });

  test('cut before the answer head: 503 Status', async () => {
    const fixture = await startKubernetesSidecar({ credentials: adminCredentials(relay.server) });
    try {
      // Past the TLS handshake (the server's certificate chain), before the first answer's head.
      relay.cutAfterUpstreamBytes = 1;
      const answer = await agentRequest(fixture.port, { path: `/api/v1/namespaces/${NS}/configmaps/probe` });
      relay.cutAfterUpstreamBytes = undefined;
      assertSidecarStatus(answer, 503, 'cut before the head');
      await assertStillServes(fixture.port);
    } finally {
      relay.cutAfterUpstreamBytes = undefined;
      await fixture.close();
    }
  });
});

/** A store whose every append fails, as a full or read-only disk does. */
class FailingStore implements RecordingStore {
  appends = 0;
  open(): RecordingSink {
    return {
      append: async (_records: readonly StoredRecord[]) => {
        this.appends++;
        throw new RecordingError('StoreUnavailable', 'the test store refuses every append');
      },
      close: async () => undefined,
    };
  }
}

describe('recording that blocks', () => {
  test('onStoreFailure Block with a failing store: 503 Status, and nothing reaches the API server', async () => {
    const userAgent = 'airlock-test/recording-blocks';
    const store = new FailingStore();
    const fixture = await startKubernetesSidecar({
      credentials: adminCredentials(),
      recording: { onStoreFailure: 'Block', blockTimeout: '200ms', flushTimeout: '200ms' },
      recordings: store,
    });
    try {
      const read = await agentRequest(fixture.port, {
        path: `/api/v1/namespaces/${NS}/configmaps/probe`,
        headers: { 'user-agent': userAgent },
      });
      assertSidecarStatus(read, 503, 'a read');
      assert.match(json(read).message, /cannot be recorded/);
      const create = await agentRequest(fixture.port, {
        method: 'POST',
        path: `/api/v1/namespaces/${NS}/configmaps`,
        headers: { 'user-agent': userAgent, 'content-type': 'application/json' },
        body: JSON.stringify({ metadata: { name: 'unrecorded' }, data: { a: 'b' } }),
      });
      assertSidecarStatus(create, 503, 'a create');
      assert.ok(store.appends > 0, 'the store was tried');
      assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), [], 'the API server saw none of them');
      assert.equal((await direct.send('GET', `/api/v1/namespaces/${NS}/configmaps/unrecorded`)).statusCode, 404);
    } finally {
      await fixture.close();
    }
  });

  test('onStoreFailure Continue with the same store: requests go on', async () => {
    const fixture = await startKubernetesSidecar({
      credentials: adminCredentials(),
      recording: { onStoreFailure: 'Continue', flushTimeout: '200ms' },
      recordings: new FailingStore(),
    });
    try {
      await assertStillServes(fixture.port);
    } finally {
      await fixture.close();
    }
  });
});

/** Hands out what `next` gives, counting the fetches. */
class CountingCredentials implements CredentialSource {
  fetches = 0;
  readonly #next: (fetch: number) => TargetCredentials;
  constructor(next: (fetch: number) => TargetCredentials) {
    this.#next = next;
  }
  async forTarget(): Promise<TargetCredentials> {
    this.fetches++;
    return this.#next(this.fetches);
  }
}

describe('credential refresh', () => {
  test('a minted token is fetched again once its refresh time passed, not before', async () => {
    let offsetMs = 0;
    const clock = () => Date.now() + offsetMs;
    const credentials = new CountingCredentials(() => ({
      type: 'kubernetes',
      server: plane.server,
      caBundle: plane.caPem,
      token: plane.token('admin'),
      // 61 s of life: refreshed when a minute is left, so one second after the fetch.
      expiresAt: new Date(clock() + 61_000).toISOString(),
    }));
    const fixture = await startKubernetesSidecar({ credentials, clock });
    try {
      await assertStillServes(fixture.port);
      await assertStillServes(fixture.port);
      assert.equal(credentials.fetches, 1, 'the second request uses the cached token');
      offsetMs += 2_000;
      await assertStillServes(fixture.port);
      assert.equal(credentials.fetches, 2, 'past the refresh time the next request fetches anew');
      await assertStillServes(fixture.port);
      assert.equal(credentials.fetches, 2);
    } finally {
      await fixture.close();
    }
  });

  test('a token the API server stops accepting: the 401 drops it, the next request fetches a new one', async () => {
    const created = await plane.kubectl(['-n', NS, 'create', 'serviceaccount', 'upstream-bot']);
    assert.equal(created.code, 0, created.stderr);
    const bound = await plane.kubectl([
      'create',
      'clusterrolebinding',
      'upstream-bot',
      '--clusterrole=cluster-admin',
      `--serviceaccount=${NS}:upstream-bot`,
    ]);
    assert.equal(bound.code, 0, bound.stderr);
    const pod = await direct.send('POST', `/api/v1/namespaces/${NS}/pods`, {
      body: {
        metadata: { name: 'token-holder' },
        spec: { serviceAccountName: 'upstream-bot', containers: [{ name: 'c', image: 'none:1' }] },
      },
    });
    assert.equal(pod.statusCode, 201, pod.body);
    const uid = JSON.parse(pod.body).metadata.uid as string;
    const podToken = await podBoundToken(
      plane,
      { namespace: NS, name: 'token-holder', uid, serviceAccount: 'upstream-bot' },
      { audience: plane.server, duration: '1h' },
    );
    const far = () => new Date(Date.now() + 3_600_000).toISOString();
    const credentials = new CountingCredentials((fetch) => ({
      type: 'kubernetes',
      server: plane.server,
      caBundle: plane.caPem,
      token: fetch === 1 ? podToken : plane.token('admin'),
      expiresAt: far(),
    }));
    const fixture = await startKubernetesSidecar({ credentials });
    try {
      await assertStillServes(fixture.port);
      assert.equal(credentials.fetches, 1);
      const deleted = await plane.kubectl(['-n', NS, 'delete', 'pod', 'token-holder', '--grace-period=0', '--force']);
      assert.equal(deleted.code, 0, deleted.stderr);
      // The API server caches successful authentications for a few seconds: ask until it refuses.
      const refused = await eventually('a 401 for the token of the deleted pod', async () => {
        const answer = await agentRequest(fixture.port, { path: `/api/v1/namespaces/${NS}/configmaps/probe` });
        return answer.statusCode === 401 ? answer : undefined;
      });
      assert.equal(json(refused).kind, 'Status');
      assert.equal(credentials.fetches, 1, 'no fetch before the 401');
      await assertStillServes(fixture.port);
      assert.equal(credentials.fetches, 2, 'the request after the 401 fetched a new token');
    } finally {
      await fixture.close();
    }
  });
});
