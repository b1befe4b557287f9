/**
 * The listener's connection life cycle with real clients: one open and one close per TCP
 * connection, the connection cap, a failing handler answered 500, and close() with and without
 * grace (in-flight answers finish, idle keep-alive connections close at once, the rest is cut).
 */
import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import pino from 'pino';
import { DEFAULT_HTTP_LIMITS } from './http-limits.ts';
import { type HttpHandlers, startHttpListener } from './http-listener.ts';
import { sendJson } from './response-relay.ts';
import { startForwardingStack } from './testing/forwarding-stack.ts';
import { exchangeRaw, parseExchange } from './testing/raw-http.ts';

const silent = pino({ level: 'silent' });

/** A keep-alive connection that sends requests one after another and reads the raw answers. */
function openRaw(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks).toString('latin1'), closed }));
  });
}

function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (condition()) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}

describe('connections', { timeout: 30_000 }, () => {
  test('each TCP connection is opened once, at its first request, and closed once', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    const client = await openRaw(stack.listener.port);
    client.socket.write('GET /a HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => parseExchange(Buffer.from(client.received(), 'latin1')).statuses.length === 1);
    client.socket.write('GET /b HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await client.closed;
    await until(() => stack.events.closed.length === 1);
    assert.equal(stack.events.opened.length, 1);
    assert.equal(stack.events.closed[0]?.id, stack.events.opened[0]?.id);
    assert.match(stack.events.opened[0]?.clientAddress ?? '', /^127\.0\.0\.1:\d+$/);
    // A connection that sends nothing but garbage never opens a session.
    await exchangeRaw(stack.listener.port, ['BREW /pot HTCPCP/1.0\r\n\r\n']);
    assert.equal(stack.events.opened.length, 1);
  });

  test('a connection beyond maxConnections is closed without reaching the handlers', async (t) => {
    const stack = await startForwardingStack({ limits: { maxConnections: 2 } });
    t.after(() => stack.close());
    const first = await openRaw(stack.listener.port);
    const second = await openRaw(stack.listener.port);
    const third = await openRaw(stack.listener.port);
    third.socket.write('GET /third HTTP/1.1\r\nHost: a\r\n\r\n');
    await third.closed;
    assert.equal(third.received(), '');
    assert.ok(stack.events.refused.some((refusal) => refusal.code === 'TooManyConnections'));
    first.socket.write('GET /first HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await first.closed;
    assert.match(first.received(), /^HTTP\/1\.1 200 /);
    second.socket.destroy();
    assert.deepEqual(
      stack.upstream.requests.map((request) => request.url),
      ['/first'],
    );
  });

  test('a handler that throws is answered 500 without its message, and the listener goes on', async (t) => {
    let calls = 0;
    const handlers: HttpHandlers<null> = {
      open: () => null,
      close: () => undefined,
      async request(_state, request, response) {
        calls += 1;
        if (request.url === '/throw') throw new Error('secret internal detail');
        sendJson(response, 200, { ok: true });
      },
      async upgrade(_state, _request, socket) {
        socket.destroy();
      },
    };
    const listener = await startHttpListener({ host: '127.0.0.1', port: 0, limits: DEFAULT_HTTP_LIMITS, logger: silent, handlers });
    t.after(() => listener.close());
    const failed = await exchangeRaw(listener.port, ['GET /throw HTTP/1.1\r\nHost: a\r\n\r\n']);
    assert.deepEqual(failed.statuses, [500]);
    assert.doesNotMatch(failed.text, /secret internal detail/);
    const fine = await exchangeRaw(listener.port, ['GET /fine HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    assert.deepEqual(fine.statuses, [200]);
    assert.equal(calls, 2);
  });
});

describe('close', { timeout: 30_000 }, () => {
  test('with grace: in-flight answers finish, idle keep-alive connections close at once, new connections are refused', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    stack.upstream.answer = (request, response) => {
      if (request.url !== '/slow') {
        response.end('quick');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first half, ');
      void released.then(() => response.end('second half'));
    };
    const idle = await openRaw(stack.listener.port);
    idle.socket.write('GET /quick HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => idle.received().endsWith('quick'));

    const slowAnswer = new Promise<{ response: IncomingMessage; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: stack.listener.port, path: '/slow', agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ response, body }));
        response.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    await until(() => stack.upstream.requests.some((request) => request.url === '/slow'));

    const closing = stack.listener.close({ graceMs: 60_000 });
    await idle.closed;
    const refused = await new Promise<string>((resolve) => {
      const late = connect(stack.listener.port, '127.0.0.1');
      late.once('connect', () => resolve('connected'));
      late.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
    release();
    const { response, body } = await slowAnswer;
    assert.equal(response.statusCode, 200);
    assert.equal(body, 'first half, second half');
    await closing;
    await until(() => stack.events.closed.length === 2);
    assert.deepEqual(stack.events.closed.map((closed) => closed.reason).sort(), ['shutdown', 'shutdown']);
  });

  test('with grace: what is still open after graceMs is cut', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('never ends');
    };
    const client = await openRaw(stack.listener.port);
    client.socket.write('GET /endless HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => client.received().includes('never ends'));
    await stack.listener.close({ graceMs: 100 });
    await client.closed;
    assert.doesNotMatch(client.received(), /\r\n0\r\n\r\n$/, 'the chunked body was not terminated: the agent sees it cut');
  });

  test('without grace: every connection is dropped at once', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.answer = (_request, response) => {
      response.writeHead(200);
      response.write('streaming');
    };
    const client = await openRaw(stack.listener.port);
    client.socket.write('GET /watch HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => client.received().includes('streaming'));
    await stack.listener.close();
    await client.closed;
    await until(() => stack.events.closed.length === 1);
    assert.equal(stack.events.closed[0]?.reason, 'shutdown');
  });
});

describe('ending one connection (HttpConnection.end, destroy)', { timeout: 30_000 }, () => {
  test('end: the answer in flight finishes with Connection: close, then only that connection closes, with the reason given', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    stack.upstream.answer = (request, response) => {
      if (request.url !== '/slow') {
        response.end('quick');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain' });
      void released.then(() => response.end('done'));
    };
    const other = await openRaw(stack.listener.port);
    other.socket.write('GET /quick HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => other.received().endsWith('quick'));
    const ending = await openRaw(stack.listener.port);
    ending.socket.write('GET /slow HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => stack.upstream.requests.some((request) => request.url === '/slow'));
    const connection = stack.events.opened.at(-1);
    assert.ok(connection);
    connection.end('token-expired');
    release();
    await ending.closed;
    assert.deepEqual(parseExchange(Buffer.from(ending.received(), 'latin1')).statuses, [200]);
    assert.match(ending.received(), /\r\nconnection: close\r\n/i);
    assert.match(ending.received(), /done/);
    await until(() => stack.events.closed.length === 1);
    assert.deepEqual(stack.events.closed[0], { id: connection.id, reason: 'token-expired' });
    // The other connection is untouched.
    other.socket.write('GET /quick HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await other.closed;
    assert.deepEqual(parseExchange(Buffer.from(other.received(), 'latin1')).statuses, [200, 200]);
  });

  test('end on an idle connection closes it at once; destroy cuts an answer in flight', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.answer = (request, response) => {
      if (request.url === '/quick') {
        response.end('quick');
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('never ends');
    };
    const idle = await openRaw(stack.listener.port);
    idle.socket.write('GET /quick HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => idle.received().endsWith('quick'));
    stack.events.opened.at(-1)?.end('token-expired');
    await idle.closed;
    const endless = await openRaw(stack.listener.port);
    endless.socket.write('GET /watch HTTP/1.1\r\nHost: a\r\n\r\n');
    await until(() => endless.received().includes('never ends'));
    stack.events.opened.at(-1)?.destroy('token-expired');
    await endless.closed;
    assert.doesNotMatch(endless.received(), /\r\n0\r\n\r\n$/, 'the chunked body was not terminated: the agent sees it cut');
    await until(() => stack.events.closed.length === 2);
    assert.deepEqual(
      stack.events.closed.map((closed) => closed.reason),
      ['token-expired', 'token-expired'],
    );
  });
});
