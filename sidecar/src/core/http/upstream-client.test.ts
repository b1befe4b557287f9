/**
 * The upstream client against real HTTPS servers: the server's certificate is verified against
 * the target's CA (another CA: refused before a request is sent), a client certificate logs in
 * where the server requires one, Authorization comes from the callback only, keep-alive
 * connections are reused, and errors name the server but never the token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CertificateAuthority, createCertificateAuthority, issueClientCertificate, issueServingCertificate } from '@airlock/testkit';
import { forwardableRequestHeaders } from './request-headers.ts';
import { type RecordingUpstream, startRecordingUpstream } from './testing/recording-upstream.ts';
import { UpstreamError, UpstreamHttpClient } from './upstream-client.ts';

const TOKEN = 'sidecar-token-0123456789';

let ca: CertificateAuthority;
let upstream: RecordingUpstream;
before(async () => {
  ca = await createCertificateAuthority('airlock-upstream-test-ca');
  upstream = await startRecordingUpstream({ certificate: await issueServingCertificate(ca, 'upstream', { ips: ['127.0.0.1'] }) });
});
after(() => upstream.close());

async function bodyOf(response: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('server verification', () => {
  test('a server whose certificate comes from another CA is refused before anything is sent', async (t) => {
    const otherCa = await createCertificateAuthority('someone-else');
    const impostor = await startRecordingUpstream({
      certificate: await issueServingCertificate(otherCa, 'impostor', { ips: ['127.0.0.1'] }),
    });
    t.after(() => impostor.close());
    const client = new UpstreamHttpClient(
      { server: impostor.url, ca: ca.certPem },
      { connectTimeoutMs: 5000, authorization: async () => `Bearer ${TOKEN}` },
    );
    t.after(() => client.close());
    const failure = await client.request({ method: 'GET', path: '/api', headers: {} }).then(
      () => assert.fail('the request went through'),
      (error: unknown) => error,
    );
    assert.ok(failure instanceof UpstreamError);
    assert.equal(failure.code, 'UpstreamUnavailable');
    assert.match(failure.message, new RegExp(impostor.url.origin.replace(/[.]/g, '\\.')));
    assert.doesNotMatch(failure.message, new RegExp(TOKEN));
    assert.equal(impostor.requests.length, 0);
    assert.equal(impostor.stats.secureConnections, 0);
  });

  test('a server certificate without the address in its names is refused', async (t) => {
    const misnamed = await startRecordingUpstream({
      certificate: await issueServingCertificate(ca, 'misnamed', { dns: ['elsewhere.example'] }),
    });
    t.after(() => misnamed.close());
    const client = new UpstreamHttpClient({ server: misnamed.url, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => client.close());
    await assert.rejects(client.request({ method: 'GET', path: '/api', headers: {} }), { code: 'UpstreamUnavailable' });
    assert.equal(misnamed.requests.length, 0);
  });

  test('a server that does not answer at all is UpstreamUnavailable', async (t) => {
    const closed = new URL(upstream.url);
    closed.port = '1';
    const client = new UpstreamHttpClient({ server: closed, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => client.close());
    await assert.rejects(client.request({ method: 'GET', path: '/api', headers: {} }), { code: 'UpstreamUnavailable' });
  });
});

describe('credentials', () => {
  test('Authorization comes from the callback, per request; the agent own is dropped', async (t) => {
    let calls = 0;
    const client = new UpstreamHttpClient(
      { server: upstream.url, ca: ca.certPem },
      {
        connectTimeoutMs: 5000,
        authorization: async () => {
          calls += 1;
          return `Bearer ${TOKEN}-${calls}`;
        },
      },
    );
    t.after(() => client.close());
    const agentHeaders = { authorization: 'Bearer agent-guess', cookie: 'session=agent', 'x-trace': 'kept', host: 'evil.example' };
    for (const path of ['/one', '/two']) {
      const response = await client.request({ method: 'GET', path, headers: forwardableRequestHeaders(agentHeaders, { upgrade: false }) });
      await bodyOf(response);
    }
    // Even headers the caller failed to filter do not carry the agent's Authorization through.
    await bodyOf(await client.request({ method: 'GET', path: '/three', headers: { Authorization: 'Bearer agent-guess' } }));
    const seen = upstream.requests.slice(-3);
    assert.deepEqual(
      seen.map((request) => request.headers.authorization),
      [`Bearer ${TOKEN}-1`, `Bearer ${TOKEN}-2`, `Bearer ${TOKEN}-3`],
    );
    assert.equal(seen[0]?.headers.cookie, undefined);
    assert.equal(seen[0]?.headers['x-trace'], 'kept');
    assert.equal(seen[0]?.headers.host, upstream.url.host);
    assert.equal(seen[0]?.rawHeaders.filter((name) => name.toLowerCase() === 'authorization').length, 1);
  });

  test('a client certificate logs in where the server requires one', async (t) => {
    const clientCertificate = issueClientCertificate(ca, { commonName: 'airlock-sidecar' });
    const strict = await startRecordingUpstream({
      certificate: await issueServingCertificate(ca, 'strict', { ips: ['127.0.0.1'] }),
      clientCa: ca.certPem,
    });
    t.after(() => strict.close());
    const withCertificate = new UpstreamHttpClient(
      { server: strict.url, ca: ca.certPem, clientCertificate: clientCertificate.certPem, clientKey: clientCertificate.keyPem },
      { connectTimeoutMs: 5000 },
    );
    t.after(() => withCertificate.close());
    const response = await withCertificate.request({ method: 'GET', path: '/api', headers: {} });
    assert.equal(response.statusCode, 200);
    await bodyOf(response);
    assert.equal(strict.requests[0]?.clientCommonName, 'airlock-sidecar');

    const without = new UpstreamHttpClient({ server: strict.url, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => without.close());
    await assert.rejects(without.request({ method: 'GET', path: '/api', headers: {} }), { code: 'UpstreamUnavailable' });
    assert.equal(strict.requests.length, 1);
  });

  test('a failing authorization callback sends nothing', async (t) => {
    const count = upstream.stats.connections;
    const client = new UpstreamHttpClient(
      { server: upstream.url, ca: ca.certPem },
      {
        connectTimeoutMs: 5000,
        authorization: async () => {
          throw new Error('broker unreachable');
        },
      },
    );
    t.after(() => client.close());
    await assert.rejects(client.request({ method: 'GET', path: '/api', headers: {} }), { code: 'UpstreamCredentialsUnavailable' });
    assert.equal(upstream.stats.connections, count);
  });
});

describe('requests', () => {
  test('keep-alive connections are reused', async (t) => {
    const client = new UpstreamHttpClient({ server: upstream.url, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => client.close());
    const before = upstream.stats.connections;
    for (let index = 0; index < 5; index += 1) {
      const response = await client.request({ method: 'GET', path: `/reuse/${index}`, headers: {} });
      await bodyOf(response);
    }
    assert.equal(upstream.stats.connections - before, 1);
  });

  test('the path goes after the server path prefix, the body with its own Content-Length', async (t) => {
    const prefixed = new URL(upstream.url);
    prefixed.pathname = '/k8s/clusters/c-1/';
    const client = new UpstreamHttpClient({ server: prefixed, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => client.close());
    const response = await client.request({
      method: 'POST',
      path: '//api/v1/namespaces?dryRun=All',
      headers: { 'content-type': 'application/json', 'content-length': '999' },
      body: Buffer.from('{"kind":"Namespace"}'),
    });
    await bodyOf(response);
    const seen = upstream.requests.at(-1);
    assert.equal(seen?.url, '/k8s/clusters/c-1//api/v1/namespaces?dryRun=All');
    assert.equal(seen?.headers['content-length'], '20');
    assert.equal(seen?.body.toString(), '{"kind":"Namespace"}');
  });

  test('a path without a leading slash is refused', async (t) => {
    const client = new UpstreamHttpClient({ server: upstream.url, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => client.close());
    await assert.rejects(client.request({ method: 'GET', path: 'api', headers: {} }), { code: 'UpstreamInvalidRequest' });
  });

  test('the signal aborts a request whose answer has not come', async (t) => {
    const client = new UpstreamHttpClient({ server: upstream.url, ca: ca.certPem }, { connectTimeoutMs: 5000 });
    t.after(() => client.close());
    const previous = upstream.answer;
    t.after(() => (upstream.answer = previous));
    let upstreamClosed: () => void = () => undefined;
    const closedSeen = new Promise<void>((resolve) => (upstreamClosed = resolve));
    upstream.answer = (_request, response) => response.once('close', () => upstreamClosed());
    const abort = new AbortController();
    const pending = client.request({ method: 'GET', path: '/hang', headers: {}, signal: abort.signal });
    while (!upstream.requests.some((request) => request.url === '/hang')) await new Promise((resolve) => setTimeout(resolve, 5));
    abort.abort();
    await assert.rejects(pending, { code: 'UpstreamAborted' });
    await closedSeen;
  });
});
