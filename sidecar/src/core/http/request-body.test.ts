/**
 * readRequestBody through the listener, from a raw client: a body that stalls is answered 408, a
 * client that leaves mid-body is noticed, and nothing of either reaches the upstream.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type ForwardingStack, startForwardingStack } from './testing/forwarding-stack.ts';
import { exchangeRaw } from './testing/raw-http.ts';

let stack: ForwardingStack;
before(async () => {
  stack = await startForwardingStack({ limits: { maxRequestBodyBytes: 1024, requestBodyTimeoutMs: 300 } });
});
after(() => stack.close());

test('a body that stops arriving is answered 408 after requestBodyTimeoutMs', { timeout: 30_000 }, async () => {
  const exchange = await exchangeRaw(stack.listener.port, ['PUT /api HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly part']);
  assert.deepEqual(exchange.statuses, [408], exchange.text);
  assert.match(exchange.text, /BodyTimeout/);
  assert.equal(stack.upstream.requests.length, 0);
});

test('a client that leaves mid-body is BodyIncomplete and nothing is forwarded', { timeout: 30_000 }, async () => {
  const before = stack.events.bodyErrors.length;
  const socket = connect(stack.listener.port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write('PUT /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc');
  while (stack.events.opened.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  socket.destroy();
  while (stack.events.bodyErrors.length === before) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(stack.events.bodyErrors.at(-1), 'BodyIncomplete');
  assert.equal(stack.upstream.requests.length, 0);
});

test('a body within the limit arrives whole, in pieces', { timeout: 30_000 }, async () => {
  const exchange = await exchangeRaw(stack.listener.port, [
    'PATCH /api HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    '3\r\nabc\r\n',
    '4\r\ndefg\r\n0\r\n\r\n',
  ]);
  assert.deepEqual(exchange.statuses, [200]);
  assert.equal(stack.upstream.requests.at(-1)?.body.toString(), 'abcdefg');
});
