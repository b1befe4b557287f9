/**
 * The way back through the listener from a real HTTPS upstream: a 64 MiB answer streams to an
 * agent that stops reading, and the upstream is held back (its writes wait for 'drain') instead
 * of the sidecar buffering the body; an agent that goes away ends the upstream response; headers
 * are relayed without hop-by-hop ones. Plus the Warning header format kubectl prints.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Transform } from 'node:stream';
import { describe, test } from 'node:test';
import { relayResponse, warningHeader } from './response-relay.ts';
import { startForwardingStack } from './testing/forwarding-stack.ts';
import { exchangeRaw } from './testing/raw-http.ts';

const MiB = 1024 * 1024;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('relayResponse through the listener', () => {
  test('a 64 MiB answer to an agent that stops reading holds the upstream back, then arrives whole', { timeout: 120_000 }, async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    const total = 64 * MiB;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const writer = { written: 0, waitingForDrain: false, refusedWrites: 0, finished: false };
    stack.upstream.answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      const write = (): void => {
        writer.waitingForDrain = false;
        while (writer.written < total) {
          writer.written += chunk.length;
          if (!response.write(chunk)) {
            writer.refusedWrites += 1;
            writer.waitingForDrain = true;
            response.once('drain', write);
            return;
          }
        }
        response.end(() => (writer.finished = true));
      };
      write();
    };
    const agent = connect(stack.listener.port, '127.0.0.1');
    let received = 0;
    let headEnd = -1;
    const firstBytes = new Promise<void>((resolve) =>
      agent.once('data', () => {
        agent.pause();
        resolve();
      }),
    );
    agent.on('data', (data: Buffer) => {
      if (headEnd < 0) {
        headEnd = data.indexOf('\r\n\r\n');
        received += data.length - headEnd - 4;
      } else received += data.length;
    });
    const ended = new Promise<void>((resolve) => agent.once('end', () => resolve()));
    agent.write('GET /large HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    await firstBytes;

    // The agent reads nothing now. Wait until the upstream stands still, waiting for 'drain'.
    let last = -1;
    while (!(writer.waitingForDrain && writer.written === last)) {
      last = writer.written;
      await pause(200);
    }
    assert.ok(writer.refusedWrites > 0);
    assert.ok(writer.written < total / 2, `the upstream wrote ${writer.written} bytes to an agent that reads nothing`);
    t.diagnostic(`upstream held back after ${(writer.written / MiB).toFixed(1)} MiB of ${total / MiB} MiB`);

    agent.resume();
    await ended;
    assert.equal(received, total);
    assert.equal(writer.finished, true);
    const relay = stack.events.relays.at(-1);
    assert.equal(relay?.complete, true);
    assert.equal(relay?.bytes, total);
  });

  test('an agent that goes away mid-body ends the upstream response', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    let upstreamClosed: (finished: boolean) => void = () => undefined;
    const closed = new Promise<boolean>((resolve) => (upstreamClosed = resolve));
    stack.upstream.answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.once('close', () => upstreamClosed(response.writableFinished));
      const write = (): void => {
        while (!response.destroyed && response.write('a watch event\n')) {}
        if (!response.destroyed) response.once('drain', write);
      };
      write();
    };
    const agent = connect(stack.listener.port, '127.0.0.1');
    agent.on('error', () => undefined);
    agent.write('GET /watch HTTP/1.1\r\nHost: a\r\n\r\n');
    await new Promise<void>((resolve) => agent.once('data', () => resolve()));
    agent.destroy();
    assert.equal(await closed, false, 'the upstream response was cut, not finished');
    while (stack.events.relays.length === 0) await pause(5);
    assert.equal(stack.events.relays[0]?.complete, false);
  });

  test('hop-by-hop headers of the upstream answer stay behind', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.answer = (_request, response) => {
      response.writeHead(200, [
        'Content-Type',
        'application/json',
        'Connection',
        'X-Internal',
        'X-Internal',
        'secret',
        'Keep-Alive',
        'timeout=5',
        'Audit-Id',
        'abc',
        'Audit-Id',
        'def',
        'Content-Length',
        '2',
      ]);
      response.end('{}');
    };
    const exchange = await exchangeRaw(stack.listener.port, ['GET /api HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    assert.deepEqual(exchange.statuses, [200]);
    assert.doesNotMatch(exchange.text, /X-Internal|secret|timeout=5/i);
    assert.match(exchange.text, /\r\nAudit-Id: abc\r\nAudit-Id: def\r\n/);
    assert.match(exchange.text, /\r\n\r\n\{\}$/);
  });
});

describe('relayResponse with a transform', () => {
  test('Content-Length is dropped, the body is rewritten, and warnings are added', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.answer = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 11, warning: '299 - "from the server"' });
      response.end('hello world');
    };
    const upstream = await stack.client.request({ method: 'GET', path: '/x', headers: {} });
    const { createServer } = await import('node:http');
    const server = createServer(async (_request, response) => {
      const upper = new Transform({
        transform: (chunk: Buffer, _encoding, done) => done(null, Buffer.from(chunk.toString().toUpperCase())),
      });
      const result = await relayResponse(upstream, response, { transform: upper, warnings: ['masked 1 field'] });
      assert.deepEqual(result, { statusCode: 200, bytes: 11, complete: true });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    const exchange = await exchangeRaw(address.port, ['GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n']);
    assert.doesNotMatch(exchange.text, /content-length/i);
    assert.match(exchange.text, /\r\nTransfer-Encoding: chunked\r\n/i);
    assert.match(exchange.text, /HELLO WORLD/);
    const warnings = [...exchange.text.matchAll(/\r\nwarning: ([^\r]*)/gi)].map((match) => match[1]);
    assert.deepEqual(warnings, ['299 - "from the server"', '299 - "masked 1 field"']);
  });

  test('a failing transform leaves the answer incomplete, never hanging', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.answer = (_request, response) => response.end('data');
    const upstream = await stack.client.request({ method: 'GET', path: '/x', headers: {} });
    const { createServer } = await import('node:http');
    let outcome: unknown;
    const server = createServer(async (_request, response) => {
      const failing = new Transform({ transform: (_chunk, _encoding, done) => done(new Error('masking failed')) });
      outcome = await relayResponse(upstream, response, { transform: failing });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const address = server.address();
    assert.ok(address && typeof address === 'object');
    await exchangeRaw(address.port, ['GET / HTTP/1.1\r\nHost: a\r\n\r\n']);
    assert.equal((outcome as { complete: boolean }).complete, false);
  });
});

describe('warningHeader', () => {
  test('the API server format, printable ASCII only', () => {
    assert.equal(warningHeader('plain text'), '299 - "plain text"');
    assert.equal(warningHeader('say "no" \\ now'), '299 - "say \\"no\\" \\\\ now"');
    assert.equal(warningHeader('line\r\nX-Injected: 1\u0000\u001b[31m'), '299 - "lineX-Injected: 1[31m"');
    assert.equal(warningHeader('café ☕'), '299 - "caf? ?"');
  });

  test('at most 1 KiB, never cut inside an escape', () => {
    const long = warningHeader('"'.repeat(2000));
    assert.ok(Buffer.byteLength(long) <= 1024, `${Buffer.byteLength(long)} bytes`);
    assert.match(long, /^299 - "(\\")+"$/);
  });
});
