/**
 * The floor relay in its own process, against a real TCP echo server: bytes go through both
 * ways unchanged, and it answers the benchmark's stats protocol with CPU, RSS and GC counters.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type EchoServer, roundTrip, startEchoServer, startFloorRelay } from './floor-relay-testing.ts';
import type { SidecarProcess } from './sidecar-process-handle.ts';

describe('floor relay', () => {
  let echo: EchoServer;
  let relay: SidecarProcess;
  before(async () => {
    echo = await startEchoServer();
    relay = await startFloorRelay(echo.port);
  });
  after(async () => {
    await relay?.stop();
    echo?.server.close();
  });

  test('relays bytes both ways unchanged, one upstream connection per agent connection', async () => {
    const sockets = await Promise.all(
      [0, 1].map(async () => {
        const socket = connect({ host: '127.0.0.1', port: relay.port });
        await once(socket, 'connect');
        return socket;
      }),
    );
    try {
      for (const [i, socket] of sockets.entries()) {
        const message = Buffer.from(`message ${i} `.repeat(1000 * (i + 1)));
        assert.deepEqual(await roundTrip(socket, message), message);
      }
      assert.equal(echo.accepted(), 2);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
  });

  test('answers stats with CPU, RSS and GC counters that only grow', async () => {
    const first = await relay.stats();
    const socket = connect({ host: '127.0.0.1', port: relay.port });
    await once(socket, 'connect');
    for (let i = 0; i < 50; i++) await roundTrip(socket, Buffer.alloc(64 * 1024, i));
    socket.destroy();
    const second = await relay.stats();
    assert.ok(first.rss > 0);
    assert.ok(second.userUs + second.systemUs > first.userUs + first.systemUs);
    assert.ok(Number.isFinite(first.gcMs) && Number.isInteger(first.gcCount));
    assert.ok(second.gcCount >= first.gcCount && second.gcMs >= first.gcMs);
  });
});
