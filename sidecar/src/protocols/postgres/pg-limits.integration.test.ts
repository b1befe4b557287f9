/**
 * The sidecar's limits against hostile and careless agents, over real sockets with a real
 * PostgreSQL behind it: connection floods, slowloris startups, slow and never-ending frames, idle
 * sessions and transactions, floods of Parses and Binds, a full queue behind a held statement,
 * and the upstream connection cap. Each test uses small configured limits; no assertion is about
 * speed — the timeouts are short so that the tests end, and each assertion is about what the agent
 * was told and what reached the server. After every test a well-behaved session still works.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { directQuery as directQueryOn, type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';
import { type BackendFrame, errorFields, errorsOf, RawConnection, rawQuery, waitFor } from './testing/raw-session.ts';

let server: PostgresServer;
/** maxConnections 6, maxStartupConnections 3, startup within 1.5 s. */
let gated: ProxyFixture;
/** acceptRatePerSecond 3. */
let rated: ProxyFixture;
/** Partial frames 400 ms, idle session and idle in transaction 600 ms, 1 MiB of pending frames, 4 KiB statements. */
let timed: ProxyFixture;
/** 20 named statements, 5 named portals, 256 KiB for both; statements up to 128 KiB. */
let prepared: ProxyFixture;
/** Target spec.postgres.maxConnections 3. */
let capped: ProxyFixture;

const directQuery = (sql: string): Promise<pg.QueryResult> => directQueryOn(server, sql);

before(async () => {
  // Headroom above the sidecars' own limits: the server counts a backend until its process has
  // exited, which on a loaded machine lags the closed socket; these tests are about what the
  // sidecar refuses, never about the server running out of slots.
  server = await PostgresServer.start({ settings: { max_connections: 400 } });
  await directQuery('CREATE TABLE marker (id int, padding text)');
  gated = await startProxy(server, { limits: { maxConnections: 6, maxStartupConnections: 3, startupTimeoutMs: 1500 } });
  rated = await startProxy(server, { limits: { acceptRatePerSecond: 3 } });
  timed = await startProxy(server, {
    limits: {
      partialFrameTimeoutMs: 400,
      idleSessionTimeoutMs: 600,
      idleInTransactionTimeoutMs: 600,
      maxPendingBytes: 1024 * 1024,
      // The queued statements below are refused by size, unclassified: they must cost bytes, not CPU.
      maxStatementBytes: 4096,
    },
  });
  prepared = await startProxy(server, {
    // Statements of 100 KiB fill the byte budget; they must be classified, not refused by size.
    limits: { maxPreparedStatements: 20, maxPortals: 5, maxPreparedBytes: 256 * 1024, maxStatementBytes: 128 * 1024 },
  });
  capped = await startProxy(server, {
    targetSpec: { postgres: { host: server.host, port: server.port, database: server.database, maxConnections: 3 } },
  });
});

after(async () => {
  await Promise.allSettled([gated, rated, timed, prepared, capped].map((proxy) => proxy?.close()));
  await server?.stop();
});

/** A fresh well-behaved session through each sidecar works (retrying while the accept rate refills). */
afterEach(async () => {
  for (const proxy of [gated, rated, timed, prepared, capped]) {
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'x' });
      c.on('error', () => undefined);
      try {
        await c.connect();
        assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
        lastError = undefined;
        break;
      } catch (error) {
        lastError = error;
        await sleep(200);
      } finally {
        await c.end().catch(() => undefined);
      }
    }
    if (lastError) throw lastError;
  }
});

const summary = (frames: readonly BackendFrame[]) => JSON.stringify(frames.map((f) => `${f.type}:${f.payload.toString('latin1')}`));

/** The FATAL the connection got before it closed: asserts one, with this SQLSTATE; returns its message. */
async function expectFatal(connection: RawConnection, sqlState: string, timeoutMs = 10_000): Promise<string> {
  const frames = await connection.untilClosed(timeoutMs);
  const errors = frames.filter((f) => f.type === 'E');
  assert.equal(errors.length, 1, `expected one ErrorResponse, got ${summary(frames)}`);
  const fields = errorFields(errors[0]!.payload);
  assert.equal(fields.get('S'), 'FATAL');
  assert.equal(fields.get('C'), sqlState, fields.get('M'));
  return fields.get('M') ?? '';
}

const markerRows = async (id: number): Promise<number> =>
  (await directQuery(`SELECT count(*)::int AS n FROM marker WHERE id = ${id}`)).rows[0].n;

describe('connection floods', () => {
  test('beyond maxConnections: FATAL 53300 naming the limit; a session works again once one closes', async () => {
    const open = await Promise.all(Array.from({ length: 6 }, () => RawConnection.session(gated.port)));
    try {
      const extra = await RawConnection.open(gated.port);
      extra.write(serialize.startup({ user: 'agent', database: 'x' }));
      assert.match(await expectFatal(extra, '53300'), /too many connections to target orders-db: 6 are open.*limits\.maxConnections/);
      // The open sessions are not affected.
      for (const connection of open) assert.deepEqual(errorsOf(await rawQuery(connection, 'SELECT 1')), []);
      open.pop()?.close();
      let next: RawConnection | undefined;
      // The sidecar counts the closed one out when it sees the close; retry until it has.
      for (let attempt = 0; attempt < 50 && !next; attempt++) {
        next = await RawConnection.session(gated.port).catch(async () => {
          await sleep(50);
          return undefined;
        });
      }
      assert.ok(next, 'a session works again after one closed');
      next.close();
    } finally {
      for (const connection of open) connection.close();
    }
  });

  test('a flood of 200 simultaneous connections: each one works or gets 53300, and the sidecar lives', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, async () => {
        const connection = await RawConnection.open(gated.port);
        connection.write(serialize.startup({ user: 'agent', database: 'x' }));
        const frames = await connection.untilClosed(500).catch(() => undefined);
        if (!frames) {
          // Still open: it was admitted; let it go.
          connection.close();
          return 'admitted';
        }
        const errors = errorsOf(frames);
        assert.equal(errors.length, 1, summary(frames));
        assert.equal(errors[0]!.code, '53300', errors[0]!.message);
        return 'refused';
      }),
    );
    assert.ok(outcomes.includes('refused'), 'some of the flood was refused');
    assert.ok(outcomes.includes('admitted'), 'some of the flood was admitted');
  });

  test('beyond acceptRatePerSecond: FATAL 53300 naming the rate', async () => {
    const connections = await Promise.all(Array.from({ length: 12 }, () => RawConnection.open(rated.port)));
    const messages: string[] = [];
    await Promise.all(
      connections.map(async (connection) => {
        connection.write(serialize.startup({ user: 'agent', database: 'x' }));
        const frames = await connection.untilClosed(1000).catch(() => undefined);
        connection.close();
        // Still open: admitted.
        if (frames) messages.push(...errorsOf(frames).map((e) => `${e.code} ${e.message}`));
      }),
    );
    assert.ok(messages.length >= 1, 'at least one connection of the burst was refused');
    for (const message of messages)
      assert.match(message, /^53300 airlock: too many new connections .*3 per second \(limits\.acceptRatePerSecond\)/);
  });

  test('a refused agent that keeps sending still gets its FATAL, and the sidecar closes the socket', async () => {
    const open = await Promise.all(Array.from({ length: 6 }, () => RawConnection.session(gated.port)));
    try {
      const extra = await RawConnection.open(gated.port);
      const junk = Buffer.alloc(1024 * 1024, 0x51);
      let writing = true;
      void (async () => {
        while (writing && !extra.isClosed) {
          if (!extra.socket.write(junk)) await new Promise((resolve) => extra.socket.once('drain', resolve).once('close', resolve));
        }
      })();
      // The sidecar ends the connection although the agent never stops sending and never closes.
      assert.match(await expectFatal(extra, '53300'), /limits\.maxConnections/);
      writing = false;
    } finally {
      for (const connection of open) connection.close();
    }
  });
});

describe('slowloris', () => {
  test('sockets that send a startup a byte at a time hold at most maxStartupConnections, and are cut at startupTimeoutMs', async () => {
    const startup = serialize.startup({ user: 'agent', database: 'x', application_name: 'slowloris' });
    const slow = await Promise.all(Array.from({ length: 3 }, () => RawConnection.open(gated.port)));
    let stop = false;
    const trickle = Promise.all(
      slow.map(async (connection) => {
        for (let i = 0; i < startup.length && !stop && !connection.isClosed; i++) {
          connection.write(startup.subarray(i, i + 1));
          await sleep(100);
        }
      }),
    );
    try {
      await sleep(200);
      // A fourth socket in startup is one too many.
      const fourth = await RawConnection.open(gated.port);
      fourth.write(startup.subarray(0, 1));
      assert.match(await expectFatal(fourth, '53300'), /still starting up: 3, the limit \(limits\.maxStartupConnections\) is 3/);
      // The slow ones are cut by the startup timeout, each with a FATAL that says so.
      for (const connection of slow) {
        assert.match(await expectFatal(connection, '08P01'), /the startup did not complete within 1500 ms \(limits\.startupTimeoutMs\)/);
      }
    } finally {
      stop = true;
      await trickle;
      for (const connection of slow) connection.close();
    }
  });
});

describe('slow and never-ending frames', () => {
  test('a Query sent a byte at a time, slower than partialFrameTimeoutMs: FATAL 08P01, and it never runs', async () => {
    const connection = await RawConnection.session(timed.port);
    const frame = serialize.query('INSERT INTO marker VALUES (701)');
    let stop = false;
    const trickle = (async () => {
      for (let i = 0; i < frame.length && !stop && !connection.isClosed; i++) {
        connection.write(frame.subarray(i, i + 1));
        await sleep(50);
      }
    })();
    try {
      assert.match(
        await expectFatal(connection, '08P01'),
        /a message was started but not completed within 400 ms \(limits\.partialFrameTimeoutMs\)/,
      );
    } finally {
      stop = true;
      await trickle;
    }
    assert.equal(await markerRows(701), 0);
  });

  test('a frame that declares 100 KiB and stops after 10 bytes: FATAL 08P01 at partialFrameTimeoutMs', async () => {
    const connection = await RawConnection.session(timed.port);
    const header = Buffer.alloc(5);
    header.write('Q', 0, 'latin1');
    header.writeInt32BE(100 * 1024, 1);
    connection.write(Buffer.concat([header, Buffer.from('SELECT')]));
    assert.match(await expectFatal(connection, '08P01'), /not completed within 400 ms/);
  });

  test('a frame split in two writes, and a statement that runs longer than the timeouts, are fine', async () => {
    const connection = await RawConnection.session(timed.port);
    const frame = serialize.query('SELECT pg_sleep(1.2)');
    connection.write(frame.subarray(0, 7));
    await sleep(50);
    connection.write(frame.subarray(7));
    assert.deepEqual(errorsOf(await connection.untilReady(1)), []);
    connection.close();
  });
});

describe('idle timeouts', () => {
  test('an idle session: FATAL 57P05 (as idle_session_timeout)', async () => {
    const connection = await RawConnection.session(timed.port);
    assert.deepEqual(errorsOf(await rawQuery(connection, 'SELECT 1')), []);
    assert.match(await expectFatal(connection, '57P05'), /idle-session timeout \(limits\.idleSessionTimeoutMs, 600 ms\)/);
  });

  test('idle in a transaction: FATAL 25P03 and the transaction is rolled back', async () => {
    const connection = await RawConnection.session(timed.port);
    assert.deepEqual(errorsOf(await rawQuery(connection, 'BEGIN')), []);
    assert.deepEqual(errorsOf(await rawQuery(connection, 'INSERT INTO marker VALUES (702)')), []);
    assert.match(await expectFatal(connection, '25P03'), /idle-in-transaction timeout \(limits\.idleInTransactionTimeoutMs, 600 ms\)/);
    assert.equal(await markerRows(702), 0);
  });
});

describe('pending frames behind a held statement', () => {
  test('past maxPendingBytes the sidecar stops reading: the agent cannot push more into its memory', async () => {
    const connection = await RawConnection.session(timed.port);
    const requested = new Promise<string>((resolve) => timed.gate.onRequest((request) => resolve(request.name)));
    connection.write(serialize.query('CREATE TABLE held_behind (id int)'));
    const name = await requested;
    // 64 MiB of statements queue behind the held one; the sidecar reads about maxPendingBytes (1 MiB)
    // of them, the kernel's socket buffers hold a few MiB more, the rest stays with the agent.
    const big = serialize.query(`SELECT '${'x'.repeat(1024 * 1024 - 64)}'`);
    for (let i = 0; i < 64; i++) connection.write(big);
    await sleep(1000);
    assert.ok(
      connection.socket.writableLength > 40 * 1024 * 1024,
      `the sidecar read ${64 * big.length - connection.socket.writableLength} bytes behind a held statement`,
    );
    // A paused socket does not see the agent's close either: settle the hold, then the rest is refused by size.
    timed.gate.deny(name, { user: 'bob@example.com', groups: ['db-owners'] }, 'not now');
    connection.close();
  });
});

describe('prepared statements and portals', () => {
  const parse = (name: string, sql = 'SELECT 1') => serialize.parse({ name, text: sql, types: [] });

  test('a flood of named Parses: the one past maxPreparedStatements gets 53400, Close makes room, the session goes on', async () => {
    const connection = await RawConnection.session(prepared.port);
    connection.write(Buffer.concat([...Array.from({ length: 25 }, (_, i) => parse(`s${i}`)), serialize.sync()]));
    const frames = await connection.untilReady(1);
    assert.equal(frames.filter((f) => f.type === '1').length, 20);
    const errors = errorsOf(frames);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, '53400');
    assert.match(errors[0]!.message, /already has 20 named prepared statements, the limit \(limits\.maxPreparedStatements\)/);
    assert.deepEqual(errorsOf(await rawQuery(connection, 'SELECT 1')), []);
    // Close releases the room; a Parse after it works.
    connection.write(Buffer.concat([serialize.close({ type: 'S', name: 's0' }), parse('s20'), serialize.sync()]));
    const after = await connection.untilReady(1);
    assert.deepEqual(errorsOf(after), []);
    assert.equal(after.filter((f) => f.type === '1').length, 1);
    connection.close();
  });

  test('large statements: the one past maxPreparedBytes gets 53400 naming the limit', async () => {
    const connection = await RawConnection.session(prepared.port);
    const sql = `SELECT '${'y'.repeat(100 * 1024)}'`;
    connection.write(Buffer.concat([parse('big1', sql), parse('big2', sql), parse('big3', sql), serialize.sync()]));
    const frames = await connection.untilReady(1);
    assert.equal(frames.filter((f) => f.type === '1').length, 2);
    const errors = errorsOf(frames);
    assert.equal(errors[0]?.code, '53400');
    assert.match(errors[0]!.message, /limit \(limits\.maxPreparedBytes\) is 262144/);
    connection.close();
  });

  test('named portals: the one past maxPortals gets 53400; the end of the transaction releases them', async () => {
    const connection = await RawConnection.session(prepared.port);
    const binds = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => serialize.bind({ portal: `${prefix}${i}`, statement: 'p' }));
    assert.deepEqual(errorsOf(await rawQuery(connection, 'BEGIN')), []);
    connection.write(Buffer.concat([parse('p'), ...binds('a', 6), serialize.sync()]));
    const frames = await connection.untilReady(1);
    assert.equal(frames.filter((f) => f.type === '2').length, 5);
    assert.match(errorsOf(frames)[0]?.message ?? '', /already has 5 named portals, the limit \(limits\.maxPortals\)/);
    assert.deepEqual(errorsOf(await rawQuery(connection, 'ROLLBACK')), []);
    // The server dropped the portals with the transaction; so did the sidecar.
    assert.deepEqual(errorsOf(await rawQuery(connection, 'BEGIN')), []);
    connection.write(Buffer.concat([...binds('b', 5), serialize.sync()]));
    assert.deepEqual(errorsOf(await connection.untilReady(1)), []);
    connection.close();
  });

  test('a Parse that reuses a name is refused (42P05), so the sidecar never decides by one text while the server runs another', async () => {
    const connection = await RawConnection.session(prepared.port);
    const requested: string[] = [];
    const unsubscribe = prepared.gate.onRequest((request) => requested.push(request.spec.operation.text));
    try {
      // DDL needs approval at Execute; its Parse goes upstream.
      connection.write(Buffer.concat([parse('s', 'CREATE TABLE reused_name (id int)'), serialize.sync()]));
      assert.deepEqual(errorsOf(await connection.untilReady(1)), []);
      connection.write(Buffer.concat([parse('s', 'SELECT 1'), serialize.sync()]));
      const errors = errorsOf(await connection.untilReady(1));
      assert.equal(errors[0]?.code, '42P05');
      assert.match(errors[0]!.message, /prepared statement "s" already exists/);
      // Executing "s" is still the held DDL, not an allowed SELECT.
      connection.write(Buffer.concat([serialize.bind({ statement: 's' }), serialize.execute({}), serialize.sync()]));
      await waitFor(() => requested.length > 0);
      assert.match(requested[0]!, /CREATE TABLE reused_name/);
    } finally {
      unsubscribe();
      connection.close();
    }
  });
});

describe('a protocol error after pipelined valid statements (ADR 0013)', () => {
  test('fails closed: FATAL 08P01 whose hint says what was not run, and none of the batch runs', async () => {
    const connection = await RawConnection.session(timed.port);
    const garbage = Buffer.from([0x51, 0xff, 0xff, 0xff, 0xff]); // 'Q' with a negative length
    connection.write(
      Buffer.concat([serialize.query('INSERT INTO marker VALUES (705)'), serialize.query('INSERT INTO marker VALUES (706)'), garbage]),
    );
    const frames = await connection.untilClosed();
    const fatal = frames.filter((f) => f.type === 'E').map((f) => errorFields(f.payload));
    assert.equal(fatal.length, 1, summary(frames));
    assert.equal(fatal[0]!.get('C'), '08P01');
    assert.match(fatal[0]!.get('H') ?? '', /not yet forwarded was run, including valid messages sent just before the bad bytes/);
    assert.equal(await markerRows(705), 0);
    assert.equal(await markerRows(706), 0);
  });
});

describe('statement size', () => {
  /** An INSERT of about `bytes` bytes, all rows with this id. */
  const bulkInsert = (id: number, bytes: number): string => {
    const row = `(${id}, '${'x'.repeat(90)}')`;
    const head = 'INSERT INTO marker (id, padding) VALUES ';
    return head + Array.from({ length: Math.floor((bytes - head.length) / (row.length + 2)) }, () => row).join(', ');
  };

  test('the default maxStatementBytes (64 KiB): a bulk INSERT under it runs, one over it is refused unclassified', async () => {
    // capped runs with the default limits; only its upstream cap is changed.
    const connection = await RawConnection.session(capped.port);
    try {
      const under = bulkInsert(707, 64 * 1024 - 100);
      assert.deepEqual(errorsOf(await rawQuery(connection, under)), []);
      assert.ok((await markerRows(707)) > 500);
      const over = bulkInsert(708, 64 * 1024 + 100);
      const [refused] = errorsOf(await rawQuery(connection, over));
      assert.equal(refused?.code, '42501');
      assert.match(refused?.message ?? '', /65536/);
      assert.equal(await markerRows(708), 0);
    } finally {
      connection.close();
    }
  });
});

describe('upstream connection cap', () => {
  test('the session past spec.postgres.maxConnections gets 53300 from the sidecar; the others still work', async () => {
    const open = await Promise.all(Array.from({ length: 3 }, () => RawConnection.session(capped.port)));
    try {
      const extra = await RawConnection.open(capped.port);
      extra.write(serialize.startup({ user: 'agent', database: 'x' }));
      assert.match(
        await expectFatal(extra, '53300'),
        /^airlock: too many connections to target orders-db: this sidecar already holds 3 upstream connections, the cap \(Target spec\.postgres\.maxConnections\)/,
      );
      for (const connection of open) assert.deepEqual(errorsOf(await rawQuery(connection, 'SELECT 1')), []);
    } finally {
      for (const connection of open) connection.close();
    }
  });
});
