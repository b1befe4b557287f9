/**
 * A real SSH client's handshake, damaged on the way to the listener: a byte flipped, bytes
 * inserted, or the stream cut, at an offset drawn anywhere in what the client sends (the clear-text
 * identification and key exchange, or the encrypted packets after it, where ssh2's MAC check must
 * catch it). Each damaged connection must end as its own failure: the sidecar process does not
 * crash (an uncaught exception fails this file), and afterwards a clean client still completes
 * its key exchange. Seeded, so a
 * failing case can be replayed (AIRLOCK_SSH_HOSTILE_SEED).
 */
import assert from 'node:assert/strict';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { boundPort, listen } from '@airlock/runtime';
import ssh2 from 'ssh2';
import { startBareListener } from '../testing/bare-listener.ts';
import type { SshListener } from './listener.ts';

const HANDSHAKE_MS = 3000;
const CASES = 60;
/** About what ssh2's client sends before its key exchange completes (measured: a little over 1 KB). */
const HANDSHAKE_BYTES = 1100;
const SEED = Number(process.env.AIRLOCK_SSH_HOSTILE_SEED ?? 20261202);

type Damage = { readonly kind: 'flip' | 'insert' | 'cut'; readonly at: number; readonly bytes: Buffer };

/** mulberry32: small, seeded, good enough to spread offsets. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let listener: SshListener;
let relay: Server;
let relayPort: number;
let damage: Damage | undefined;

/** Passes the client's bytes to the listener, damaged as `damage` says; the listener's bytes back as they are. */
function relayConnection(client: Socket): void {
  const upstream = netConnect(listener.port, '127.0.0.1');
  const plan = damage;
  let seen = 0;
  client.on('error', () => undefined);
  upstream.on('error', () => undefined);
  upstream.pipe(client);
  client.on('data', (chunk: Buffer) => {
    const start = seen;
    seen += chunk.length;
    if (!plan || plan.at < start || plan.at >= seen) {
      upstream.write(chunk);
      return;
    }
    const offset = plan.at - start;
    if (plan.kind === 'cut') {
      upstream.end(chunk.subarray(0, offset));
      client.destroy();
      return;
    }
    if (plan.kind === 'flip') {
      const copy = Buffer.from(chunk);
      copy[offset] = (copy[offset] ?? 0) ^ (plan.bytes[0] || 1);
      upstream.write(copy);
      return;
    }
    upstream.write(Buffer.concat([chunk.subarray(0, offset), plan.bytes, chunk.subarray(offset)]));
  });
  client.on('end', () => upstream.end());
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

/** A real ssh2 client through the relay; resolves when its connection is over (or its key exchange done). */
function clientRun(): Promise<'handshake' | 'failed'> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let settled = false;
    const settle = (outcome: 'handshake' | 'failed') => {
      if (settled) return;
      settled = true;
      client.end();
      resolve(outcome);
    };
    client.on('handshake', () => settle('handshake'));
    client.on('error', () => settle('failed'));
    client.on('close', () => settle('failed'));
    client.connect({ host: '127.0.0.1', port: relayPort, username: 'agent', readyTimeout: HANDSHAKE_MS * 2, hostVerifier: () => true });
  });
}

before(async () => {
  listener = await startBareListener({ handshakeTimeoutMs: HANDSHAKE_MS, maxConnections: 8 });
  relay = createServer(relayConnection);
  await listen(relay, 0, '127.0.0.1');
  relayPort = boundPort(relay);
});

after(async () => {
  relay?.close();
  await listener?.close();
});

test('a clean client completes its key exchange through the relay (the harness itself works)', async () => {
  damage = undefined;
  assert.equal(await clientRun(), 'handshake');
});

test(`${CASES} damaged handshakes each end on their own; the listener keeps serving (seed ${SEED})`, async () => {
  const next = random(SEED);
  const kinds = ['flip', 'insert', 'cut'] as const;
  let failed = 0;
  for (let i = 0; i < CASES; i++) {
    // Offsets over what a client sends before its key exchange is done: identification, KEXINIT, the ECDH init, NEWKEYS.
    const plan: Damage = {
      kind: kinds[Math.floor(next() * kinds.length)] ?? 'flip',
      at: Math.floor(next() * HANDSHAKE_BYTES),
      bytes: Buffer.from(Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256))),
    };
    damage = plan;
    if ((await clientRun()) === 'failed') failed++;
  }
  damage = undefined;
  // Damage that changes nothing the key exchange checks (padding, an unused name-list entry) can leave it whole.
  assert.ok(failed >= CASES / 2, `only ${failed} of ${CASES} damaged handshakes failed: the damage does not reach the listener`);
  assert.equal(await clientRun(), 'handshake', 'a clean client after the damaged ones');
});
