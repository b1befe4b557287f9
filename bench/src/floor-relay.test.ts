/**
 * The floor relay in its own process, against a real TCP echo server: bytes go through both
 * ways unchanged, and it answers the benchmark's stats protocol with CPU, RSS and GC counters.
 * The synced floor, also against a real PostgreSQL: the same, and every agent byte is stored
 * (a line per chunk, fdatasync'd) before it reaches the upstream.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PostgresServer, runPsql } from '@airlock/testkit';
import { connectionFileName } from './floor-relay-sync.ts';
import { type EchoServer, roundTrip, startEchoServer, startFloorRelay, syncDirectories, syncedLines } from './floor-relay-testing.ts';
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

/**
 * The synced floor (syncEachChunk): the same bytes both ways, and before any byte reaches the
 * upstream its chunk's line is in the connection's file. Lines are read from the file, written by
 * the relay's process; the temp directory is gone once the relay exited.
 */
describe('synced floor relay', () => {
  describe('in front of PostgreSQL', () => {
    let pg: PostgresServer;
    let parent: string;
    let relay: SidecarProcess;
    before(async () => {
      pg = await PostgresServer.start();
      parent = mkdtempSync(join(tmpdir(), 'floor-relay-test-'));
      relay = await startFloorRelay(pg.port, { directoryParent: parent });
    });
    after(async () => {
      await relay?.stop();
      await pg?.stop();
      if (parent) rmSync(parent, { recursive: true, force: true });
    });

    test('a real query goes through intact both ways, its chunks stored in order', async () => {
      // Hundreds of KB each way: many chunks in both directions.
      const literal = Array.from({ length: 20_000 }, (_, i) => `row-${i};`).join('');
      const sql = `SELECT md5('${literal}'), length('${literal}');\nSELECT i, md5(i::text) FROM generate_series(1, 20000) AS i;\n`;
      const user = pg.users.scram_user;
      // The script goes in on stdin: a command-line argument this long is more than exec allows.
      const psql = (port: number) =>
        runPsql(
          pg.binaries.psql,
          { host: pg.host, port, database: pg.database, user: user.user, password: user.password, sslMode: 'disable' },
          ['-At'],
          { input: sql },
        );
      const [relayed, direct] = await Promise.all([psql(relay.port), psql(pg.port)]);
      assert.equal(relayed.code, 0, relayed.stderr);
      assert.equal(direct.code, 0, direct.stderr);
      const lines = relayed.stdout.split('\n');
      assert.equal(lines[0], `${createHash('md5').update(literal).digest('hex')}|${literal.length}`);
      assert.equal(lines[20_000], `20000|${createHash('md5').update('20000').digest('hex')}`);
      assert.equal(relayed.stdout, direct.stdout);

      const [directory] = syncDirectories(parent);
      assert.ok(directory, 'the synced floor made its temp directory');
      const stored = syncedLines(join(directory, connectionFileName(1)));
      assert.deepEqual(
        stored.map((line) => line.seq),
        stored.map((_, i) => i + 1),
      );
      // The query alone is longer than the literal twice over; startup, SCRAM and Terminate come on top.
      const storedBytes = stored.reduce((n, line) => n + line.length, 0);
      assert.ok(storedBytes > 2 * literal.length, `${storedBytes} bytes stored`);
    });
  });

  describe('in front of an upstream that reads the file as bytes arrive', () => {
    let parent: string;
    let relay: SidecarProcess;
    let upstream: Server;
    let received = 0;
    const unstoredOnArrival: string[] = [];
    const fileOf = (connection: number): string => join(syncDirectories(parent)[0] ?? '', connectionFileName(connection));
    before(async () => {
      parent = mkdtempSync(join(tmpdir(), 'floor-relay-test-'));
      // An echo server that, whenever bytes arrive, checks that the relay's file already covers them.
      upstream = createServer((socket) => {
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          // A throw here would leave the chunk unechoed and the test waiting: record it instead.
          try {
            const storedBytes = syncedLines(fileOf(1)).reduce((n, line) => n + line.length, 0);
            if (storedBytes < received) unstoredOnArrival.push(`${received} bytes arrived, ${storedBytes} stored`);
          } catch (error) {
            unstoredOnArrival.push(`the relay's file could not be read: ${(error as Error).message}`);
          }
          socket.write(chunk);
        });
        socket.on('end', () => socket.end());
      });
      upstream.listen(0, '127.0.0.1');
      await once(upstream, 'listening');
      relay = await startFloorRelay((upstream.address() as AddressInfo).port, { directoryParent: parent });
    });
    after(async () => {
      await relay?.stop();
      upstream?.close();
      if (parent) rmSync(parent, { recursive: true, force: true });
    });

    test('one line per chunk, in order, whose lengths and hashes add up to the bytes sent', async () => {
      const socket = connect({ host: '127.0.0.1', port: relay.port });
      await once(socket, 'connect');
      const sent: Buffer[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          const message = Buffer.from(`round trip ${i} `.repeat(10 * (i + 1)));
          sent.push(message);
          assert.deepEqual(await roundTrip(socket, message), message);
        }
        // Several MiB in one write: chunks queue behind a pending sync and share it, the agent is paused and resumed.
        const burst = Buffer.alloc(6 * 1024 * 1024);
        for (let i = 0; i < burst.length; i += 4) burst.writeUInt32BE(i, i);
        sent.push(burst);
        assert.ok((await roundTrip(socket, burst)).equals(burst), 'the burst came back unchanged');
      } finally {
        socket.destroy();
      }
      assert.deepEqual(unstoredOnArrival, []);
      const all = Buffer.concat(sent);
      const stored = syncedLines(fileOf(1));
      assert.deepEqual(
        stored.map((line) => line.seq),
        stored.map((_, i) => i + 1),
      );
      assert.equal(
        stored.reduce((n, line) => n + line.length, 0),
        all.length,
      );
      // Cut what was sent at the stored lengths: each piece's hash is its line's.
      let offset = 0;
      for (const line of stored) {
        assert.equal(
          createHash('sha256')
            .update(all.subarray(offset, offset + line.length))
            .digest('hex'),
          line.sha256,
          `line ${line.seq}`,
        );
        offset += line.length;
      }
      assert.ok(stored.length > 20, `${stored.length} lines: the burst came in more than one chunk`);
    });

    test('the temp directory is removed at exit', async () => {
      assert.equal(syncDirectories(parent).length, 1);
      await relay.stop();
      assert.deepEqual(syncDirectories(parent), []);
    });
  });
});
