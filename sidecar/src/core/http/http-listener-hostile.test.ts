/**
 * Hostile input on a raw TCP socket against the listener with a forwarding handler in front of a
 * real HTTPS upstream. For every shape that could smuggle a request past the decision or desync
 * the sidecar from the upstream, the answer is a 4xx, the connection ends, and the upstream saw
 * nothing: not a request, not even a TCP connection.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ForwardingStack, startForwardingStack } from './testing/forwarding-stack.ts';
import { exchangeRaw, trickle } from './testing/raw-http.ts';

const LIMITS = { maxHeaderBytes: 4096, maxRequestBodyBytes: 1024, headersTimeoutMs: 400, requestBodyTimeoutMs: 2000 };

let stack: ForwardingStack;
before(async () => {
  stack = await startForwardingStack({ limits: LIMITS });
});
after(() => stack.close());

/** Sends the bytes, asserts the status and that the connection ended and nothing reached the upstream; returns what came back. */
async function refusedText(bytes: string | Buffer, status: number): Promise<string> {
  const before = { requests: stack.upstream.requests.length, connections: stack.upstream.stats.connections };
  const exchange = await exchangeRaw(stack.listener.port, [bytes]);
  assert.deepEqual(exchange.statuses, [status], exchange.text);
  assert.match(exchange.text, /\r\nConnection: close\r\n/i);
  assert.doesNotMatch(exchange.text, /at .*\.ts:\d+/, 'no stack trace');
  assert.equal(stack.upstream.requests.length, before.requests, 'the upstream received a request');
  assert.equal(stack.upstream.stats.connections, before.connections, 'the upstream was connected to');
  return exchange.text;
}

async function assertRefused(bytes: string | Buffer, status: number): Promise<void> {
  await refusedText(bytes, status);
}

describe('request smuggling shapes are refused by the parser', { timeout: 30_000 }, () => {
  test('Content-Length together with Transfer-Encoding', () =>
    assertRefused(
      'POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
      400,
    ));

  test('two different Content-Length headers', () =>
    assertRefused('POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc', 400));

  test('Transfer-Encoding: chunked, identity', () =>
    assertRefused('POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n', 400));

  test('Transfer-Encoding: xchunked', () =>
    assertRefused('POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n', 400));

  test('whitespace before the colon of Transfer-Encoding', () =>
    assertRefused('POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n', 400));

  test('Transfer-Encoding folded onto a continuation line (obs-fold)', () =>
    assertRefused('POST /api HTTP/1.1\r\nHost: a\r\nX-Padding: a\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400));

  test('a value continued on an obs-fold line', () => assertRefused('GET /api HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n', 400));

  test('a bare CR inside a header value (header injection)', () =>
    assertRefused('GET /api HTTP/1.1\r\nHost: a\r\nX-A: b\rAuthorization: Bearer stolen\r\n\r\n', 400));

  test('a bare LF inside a header value (header injection)', () =>
    assertRefused('GET /api HTTP/1.1\r\nHost: a\r\nX-A: b\nAuthorization: Bearer stolen\r\n\r\n', 400));

  test('a NUL inside a header value', () => assertRefused('GET /api HTTP/1.1\r\nHost: a\r\nX-A: b\u0000c\r\n\r\n', 400));

  test('a chunked body with a bad chunk size', () =>
    assertRefused('POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n', 400));

  test('HTTP/2 prior knowledge', () => assertRefused('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400));
});

describe('request-targets and methods the listener refuses itself', { timeout: 30_000 }, () => {
  test('absolute-form target (a proxy request)', async () => {
    const text = await refusedText('GET http://kubernetes.default/api HTTP/1.1\r\nHost: a\r\n\r\n', 400);
    assert.match(text, /AbsoluteFormTarget/);
    assert.ok(stack.events.refused.some((refusal) => refusal.code === 'AbsoluteFormTarget'));
  });

  test('asterisk-form target', () => assertRefused('OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', 400));

  test('a request-target without a leading slash', () => assertRefused('GET api/v1 HTTP/1.1\r\nHost: a\r\n\r\n', 400));

  test('TRACE is not allowed', async () => {
    const text = await refusedText('TRACE /api HTTP/1.1\r\nHost: a\r\n\r\n', 405);
    assert.match(text, /\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n/i);
  });

  test('CONNECT is not allowed', () => assertRefused('CONNECT upstream:443 HTTP/1.1\r\nHost: upstream:443\r\n\r\n', 405));

  test('an Upgrade request with an absolute-form target', () =>
    assertRefused('GET http://x/api HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', 400));
});

describe('size and time bounds', { timeout: 30_000 }, () => {
  test('a head over maxHeaderBytes is answered 431', () =>
    assertRefused(`GET /api HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(LIMITS.maxHeaderBytes)}\r\n\r\n`, 431));

  test('a declared body over maxRequestBodyBytes is answered 413 without being read', async () => {
    const text = await refusedText(`POST /api HTTP/1.1\r\nHost: a\r\nContent-Length: ${LIMITS.maxRequestBodyBytes + 1}\r\n\r\n`, 413);
    assert.match(text, /BodyTooLarge/);
  });

  test('a chunked body that grows over maxRequestBodyBytes is answered 413', async () => {
    const chunk = `200\r\n${'x'.repeat(0x200)}\r\n`;
    const text = await refusedText(`POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.repeat(3)}0\r\n\r\n`, 413);
    assert.match(text, /BodyTooLarge/);
  });

  test('a client that trickles its head is cut after headersTimeoutMs', async () => {
    const before = stack.upstream.requests.length;
    const slow = trickle(stack.listener.port, `GET /api HTTP/1.1\r\nHost: a\r\nX-Slow: ${'a'.repeat(1000)}`, 50);
    const exchange = await slow.closed;
    assert.deepEqual(exchange.statuses, [408], exchange.text);
    assert.equal(stack.upstream.requests.length, before);
    assert.ok(stack.events.refused.some((refusal) => refusal.code === 'HeadersTimeout'));
  });
});

describe('well-formed input goes through', { timeout: 30_000 }, () => {
  test('pipelined requests are answered in order, each forwarded once', async () => {
    const before = stack.upstream.requests.length;
    const exchange = await exchangeRaw(stack.listener.port, [
      'GET /one HTTP/1.1\r\nHost: a\r\n\r\nPOST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
    ]);
    assert.deepEqual(exchange.statuses, [200, 200, 200], exchange.text);
    const urls = [...exchange.text.matchAll(/"url":"([^"]+)"/g)].map((match) => match[1]);
    assert.deepEqual(urls, ['/one', '/two', '/three']);
    assert.deepEqual(
      stack.upstream.requests.slice(before).map((request) => `${request.method} ${request.url} ${request.body.toString()}`),
      ['GET /one ', 'POST /two abc', 'GET /three '],
    );
  });

  test('Transfer-Encoding with extra whitespace is plain chunked, and what follows the body is not a second request', async () => {
    const before = stack.upstream.requests.length;
    const inner = 'GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n';
    const exchange = await exchangeRaw(stack.listener.port, [
      `POST /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  chunked\r\nConnection: close\r\n\r\n${inner.length.toString(16)}\r\n${inner}\r\n0\r\n\r\n`,
    ]);
    assert.deepEqual(exchange.statuses, [200], exchange.text);
    const forwarded = stack.upstream.requests.slice(before);
    assert.equal(forwarded.length, 1);
    assert.equal(forwarded[0]?.body.toString(), inner);
    assert.equal(forwarded[0]?.headers['transfer-encoding'], undefined, 'the upstream gets the body re-framed with a Content-Length');
    assert.equal(forwarded[0]?.headers['content-length'], String(inner.length));
  });
});
