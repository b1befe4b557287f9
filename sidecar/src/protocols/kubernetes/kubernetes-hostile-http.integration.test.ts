/**
 * Hostile HTTP at the sidecar's Kubernetes listener, on raw sockets, with a real kube-apiserver
 * behind it that writes an audit log: each request the listener must refuse carries a User-Agent
 * of its own, and once a later request is in the log (DirectApi.syncAudit) none of them may be —
 * the refusal happened before anything went upstream. After each refusal the sidecar must answer
 * a normal request on a new connection.
 *
 * Also here: a client whose head trickles in slower than the headers timeout is cut, and a client
 * that never reads a large answer (a list of 1,000 ConfigMaps) stalls the upstream instead of
 * making the sidecar buffer it (the relay in front of the API server shows the bytes stop).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ControlPlane, eventually } from '@airlock/testkit';
import { agentRequest, json } from './testing/agent-request.ts';
import { DirectApi, requestsBy } from './testing/api-server.ts';
import { type KubernetesSidecarFixture, startKubernetesSidecar } from './testing/kubernetes-sidecar-fixture.ts';
import { getRequest, rawExchange } from './testing/raw-http.ts';
import { startTcpRelay } from './testing/tcp-relay.ts';

const NS = 'hostile';
const MAX_HEADER_BYTES = 8 * 1024;
const LARGE_LIST_CONFIGMAPS = 1000;
const CONFIGMAP_FILLER_BYTES = 64 * 1024;

let plane: ControlPlane;
let direct: DirectApi;
let fixture: KubernetesSidecarFixture;

before(async () => {
  plane = await ControlPlane.start({ controllers: false, auditLog: true, log: (line) => process.stderr.write(`# ${line}\n`) });
  direct = new DirectApi(plane);
  await direct.createAll('/api/v1/namespaces', [{ metadata: { name: NS } }, { metadata: { name: 'large' } }]);
  await direct.createAll(`/api/v1/namespaces/${NS}/configmaps`, [{ metadata: { name: 'probe' }, data: { colour: 'blue' } }]);
  fixture = await startKubernetesSidecar({
    credentials: { server: plane.server, caBundle: plane.caPem, token: plane.token('admin') },
    limits: { maxHeaderBytes: MAX_HEADER_BYTES },
  });
});

after(async () => {
  await fixture?.close();
  direct?.close();
  await plane?.stop();
});

async function assertStillServes(port = fixture.port): Promise<void> {
  const answer = await agentRequest(port, { path: `/api/v1/namespaces/${NS}/configmaps/probe` });
  assert.equal(answer.statusCode, 200, answer.body.toString());
  assert.equal(json(answer).data.colour, 'blue');
}

const configMapJson = (name: string) => JSON.stringify({ metadata: { name }, data: { smuggled: 'yes' } });

/** A create request whose head is `head` (lines without the final blank line) and whose body is `body`. */
function post(userAgent: string, headLines: readonly string[], body: string | Buffer): Buffer {
  const head = [
    `POST /api/v1/namespaces/${NS}/configmaps HTTP/1.1`,
    'Host: 127.0.0.1',
    `User-Agent: ${userAgent}`,
    ...headLines,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

const chunked = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;

interface HostileCase {
  readonly title: string;
  readonly bytes: (userAgent: string) => Buffer | string;
  /** The statuses that count as refused (4xx the listener or the pipeline answers). */
  readonly statuses: readonly number[];
}

const FOUR_MIB = 4 * 1024 * 1024;

const CASES: readonly HostileCase[] = [
  {
    title: 'Content-Length and Transfer-Encoding both',
    bytes: (ua) =>
      post(
        ua,
        ['Content-Type: application/json', 'Content-Length: 4', 'Transfer-Encoding: chunked'],
        chunked(configMapJson('smuggled-cl-te')),
      ),
    statuses: [400],
  },
  {
    title: 'two different Content-Lengths',
    bytes: (ua) => post(ua, ['Content-Type: application/json', 'Content-Length: 5', 'Content-Length: 46'], configMapJson('smuggled-cl-cl')),
    statuses: [400],
  },
  {
    title: 'an obfuscated Transfer-Encoding',
    bytes: (ua) => post(ua, ['Content-Type: application/json', 'Transfer-Encoding: xchunked'], chunked(configMapJson('smuggled-te'))),
    statuses: [400, 501],
  },
  {
    title: 'a CR inside a header value (header injection)',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, ['X-Note: a\rImpersonate-User: system:admin']),
    statuses: [400],
  },
  {
    title: 'a bare LF ending a header line',
    bytes: (ua) =>
      `GET /api/v1/namespaces/${NS}/configmaps/probe HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${ua}\r\nX-Note: a\nImpersonate-User: system:admin\r\n\r\n`,
    statuses: [400],
  },
  {
    title: 'a NUL in a header value',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, ['X-Note: a\0b']),
    statuses: [400],
  },
  {
    title: 'an obs-fold continuation line',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, ['X-Note: a', ' Impersonate-User: system:admin']),
    statuses: [400],
  },
  {
    title: 'an absolute-form request-target',
    bytes: (ua) => getRequest(`http://127.0.0.1:${fixture.port}/api/v1/namespaces/${NS}/configmaps/probe`, ua),
    statuses: [400],
  },
  {
    title: 'an absolute-form target naming another server',
    bytes: (ua) => getRequest(`${plane.server}/api/v1/namespaces/${NS}/configmaps/probe`, ua),
    statuses: [400],
  },
  {
    title: 'no Host header',
    bytes: (ua) => `GET /api/v1/namespaces/${NS}/configmaps/probe HTTP/1.1\r\nUser-Agent: ${ua}\r\n\r\n`,
    statuses: [400],
  },
  {
    title: 'a head over maxHeaderBytes',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, [`X-Padding: ${'p'.repeat(MAX_HEADER_BYTES * 2)}`]),
    statuses: [431],
  },
  {
    title: 'a 4 MiB body with Content-Length',
    bytes: (ua) => post(ua, ['Content-Type: application/json', `Content-Length: ${FOUR_MIB}`], Buffer.alloc(FOUR_MIB, 0x20)),
    statuses: [413],
  },
  {
    title: 'a 4 MiB chunked body',
    bytes: (ua) =>
      post(
        ua,
        ['Content-Type: application/json', 'Transfer-Encoding: chunked'],
        Buffer.concat([Buffer.from(`${FOUR_MIB.toString(16)}\r\n`), Buffer.alloc(FOUR_MIB, 0x20), Buffer.from('\r\n0\r\n\r\n')]),
      ),
    statuses: [413],
  },
  {
    title: 'TRACE',
    bytes: (ua) => `TRACE /api/v1/namespaces/${NS}/configmaps/probe HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${ua}\r\n\r\n`,
    statuses: [405],
  },
  {
    title: 'CONNECT to the API server',
    bytes: (ua) => `CONNECT ${new URL(plane.server).host} HTTP/1.1\r\nHost: ${new URL(plane.server).host}\r\nUser-Agent: ${ua}\r\n\r\n`,
    statuses: [405],
  },
  {
    title: 'Impersonate-User',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, ['Impersonate-User: system:admin']),
    statuses: [403],
  },
  {
    title: 'Impersonate-Group with an odd case',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, ['iMPERSONATE-group: system:masters']),
    statuses: [403],
  },
  {
    title: 'X-Remote-User and X-Remote-Group (front-proxy authentication headers)',
    bytes: (ua) => getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, ua, ['X-Remote-User: admin', 'X-Remote-Group: system:masters']),
    statuses: [403],
  },
];

describe('hostile requests are refused before anything goes upstream', () => {
  const sent: string[] = [];

  for (const [index, hostile] of CASES.entries()) {
    test(hostile.title, async () => {
      const userAgent = `airlock-test/hostile-${index}`;
      sent.push(userAgent);
      const exchange = await rawExchange(fixture.port, hostile.bytes(userAgent));
      assert.ok(exchange.answer, `an answer (got ${JSON.stringify(exchange.received.subarray(0, 200).toString('latin1'))})`);
      assert.ok(
        hostile.statuses.includes(exchange.answer.statusCode),
        `HTTP ${exchange.answer.statusCode}: ${exchange.answer.body.toString()}`,
      );
      await assertStillServes();
    });
    test(`${hostile.title}: the refusal is a Status kubectl can print`, async () => {
      const exchange = await rawExchange(fixture.port, hostile.bytes(`airlock-test/hostile-${index}-again`));
      sent.push(`airlock-test/hostile-${index}-again`);
      assert.ok(exchange.answer);
      assert.match(exchange.answer.headers['content-type'] ?? '', /^application\/json/);
      const status = JSON.parse(exchange.answer.body.toString());
      assert.equal(status.kind, 'Status');
      assert.equal(status.code, exchange.answer.statusCode);
      assert.ok(String(status.message).startsWith('airlock: '), status.message);
    });
  }

  test('none of them reached the API server, nothing was created', async () => {
    const events = await direct.syncAudit();
    for (const userAgent of sent) assert.deepEqual(requestsBy(events, userAgent), [], userAgent);
    const list = JSON.parse((await direct.send('GET', `/api/v1/namespaces/${NS}/configmaps`)).body);
    assert.deepEqual(
      list.items.map((item: { metadata: { name: string } }) => item.metadata.name),
      ['probe'],
    );
  });

  test('the agent’s own Authorization never goes upstream: a bogus one still reads as the sidecar', async () => {
    const answer = await agentRequest(fixture.port, {
      path: `/api/v1/namespaces/${NS}/configmaps/probe`,
      headers: { authorization: 'Bearer not-a-token', cookie: 'session=abc' },
    });
    assert.equal(answer.statusCode, 200, answer.body.toString());
  });
});

describe('clients that hold the sidecar', () => {
  test('a head sent byte by byte slower than the headers timeout is cut', async () => {
    const slow = await startKubernetesSidecar({
      credentials: { server: plane.server, caBundle: plane.caPem, token: plane.token('admin') },
      limits: { headersTimeoutMs: 500 },
    });
    try {
      const head = getRequest(`/api/v1/namespaces/${NS}/configmaps/probe`, 'airlock-test/slowloris', [`X-Padding: ${'s'.repeat(200)}`]);
      const pieces = [...head];
      const exchange = await rawExchange(slow.port, pieces, { gapMs: 50 });
      assert.ok(exchange.closed, 'the sidecar closed the connection');
      assert.ok(
        exchange.piecesSent < pieces.length,
        `the whole head went out (${exchange.piecesSent} of ${pieces.length} bytes) before the cut`,
      );
      if (exchange.answer) assert.equal(exchange.answer.statusCode, 408);
      await assertStillServes(slow.port);
    } finally {
      await slow.close();
    }
  });

  test('a client that never reads a list of 1,000 ConfigMaps stalls the upstream; the sidecar does not buffer it', async () => {
    await direct.createAll(
      '/api/v1/namespaces/large/configmaps',
      Array.from({ length: LARGE_LIST_CONFIGMAPS }, (_, i) => ({
        metadata: { name: `large-${i}` },
        data: { filler: 'f'.repeat(CONFIGMAP_FILLER_BYTES) },
      })),
    );
    const listBytes = LARGE_LIST_CONFIGMAPS * CONFIGMAP_FILLER_BYTES;
    const { port } = new URL(plane.server);
    const relay = await startTcpRelay({ host: '127.0.0.1', port: Number(port) });
    const stalled = await startKubernetesSidecar({
      credentials: { server: relay.server, caBundle: plane.caPem, token: plane.token('admin') },
    });
    const socket = connect(stalled.port, '127.0.0.1');
    try {
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      const rssBefore = process.memoryUsage().rss;
      // Never read: the kernel buffers fill, then TCP's window closes.
      socket.pause();
      socket.write(getRequest('/api/v1/namespaces/large/configmaps', 'airlock-test/never-reads'));
      let last = -1;
      let steady = 0;
      await eventually(
        'the bytes from the API server to stop',
        () => {
          const now = relay.bytesFromUpstream;
          steady = now > 0 && now === last ? steady + 1 : 0;
          last = now;
          return steady >= 4 ? true : undefined;
        },
        { intervalMs: 500, timeoutMs: 120_000 },
      );
      const rssGrowth = process.memoryUsage().rss - rssBefore;
      assert.ok(relay.bytesFromUpstream < listBytes, `${relay.bytesFromUpstream} of ${listBytes} bytes left the API server`);
      assert.ok(rssGrowth < listBytes, `the test process grew by ${rssGrowth} bytes for a ${listBytes}-byte answer`);
      socket.destroy();
      await assertStillServes(stalled.port);
    } finally {
      socket.destroy();
      await stalled.close();
      await relay.close();
    }
  });
});
