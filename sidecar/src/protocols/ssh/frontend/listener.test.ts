/**
 * The listener's own bounds, before any login: a silent or stalled handshake is cut, connections
 * past maxConnections are closed at once, garbage ends only its own connection. Loopback only; no
 * upstream is involved, so the session factory must never be called.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { startBareListener } from '../testing/bare-listener.ts';
import type { SshListener } from './listener.ts';

const HANDSHAKE_MS = 300;

let listener: SshListener;

before(async () => {
  listener = await startBareListener({ handshakeTimeoutMs: HANDSHAKE_MS, maxConnections: 2 });
});

after(() => listener?.close());

interface Observed {
  readonly socket: Socket;
  /** Everything the listener sent, once it closed the connection. */
  readonly closed: Promise<{ readonly data: Buffer; readonly afterMs: number }>;
}

function open(): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(listener.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    const closed = new Promise<{ data: Buffer; afterMs: number }>((done) =>
      socket.once('close', () => done({ data: Buffer.concat(chunks), afterMs: performance.now() - started })),
    );
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed }));
    socket.once('error', reject);
  });
}

test('a connection that never completes its handshake is cut after handshakeTimeoutMs', async () => {
  const silent = await open();
  const stalled = await open();
  // An identification line and half a packet, then nothing.
  stalled.socket.write('SSH-2.0-OpenSSH_9.2\r\n');
  // A KEXINIT whose length announces 252 bytes (a multiple of the cipher block with its length field), of which 2 come.
  stalled.socket.write(Buffer.from([0, 0, 0, 252, 4, 20]));
  for (const connection of [silent, stalled]) {
    const { data, afterMs } = await connection.closed;
    assert.match(data.toString('latin1'), /^SSH-2\.0-airlock\r\n/);
    assert.ok(afterMs >= HANDSHAKE_MS - 50, `cut after ${afterMs} ms`);
    assert.ok(afterMs < HANDSHAKE_MS + 5000, `cut after ${afterMs} ms`);
  }
});

test('connections past maxConnections are closed before the SSH banner', async () => {
  const first = await open();
  const second = await open();
  const third = await open();
  const refused = await third.closed;
  assert.equal(refused.data.length, 0);
  assert.ok(refused.afterMs < HANDSHAKE_MS, 'the extra connection waited for the handshake timeout');
  first.socket.destroy();
  second.socket.destroy();
  await Promise.all([first.closed, second.closed]);
});

test('garbage ends its own connection only; the listener keeps serving', async () => {
  const garbage = await open();
  garbage.socket.write('SSH-2.0-x\r\n');
  garbage.socket.write(randomBytes(4096));
  const { afterMs } = await garbage.closed;
  assert.ok(afterMs < HANDSHAKE_MS, 'garbage was kept until the handshake timeout');
  const next = await open();
  const banner = await new Promise<string>((resolve) => next.socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
  assert.match(banner, /^SSH-2\.0-airlock\r\n/);
  next.socket.destroy();
  await next.closed;
});
