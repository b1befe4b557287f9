/**
 * Malformed and adversarial agent input against the sidecar, over raw sockets, with a real
 * PostgreSQL behind it: bad frame lengths, oversize frames, unknown message types, old protocol
 * versions, non-PostgreSQL bytes, oversize statements, half frames and frames split across
 * writes. Each bad connection gets a FATAL 08P01 (or just a close) and nothing of it goes upstream;
 * after each, a well-behaved session through the same sidecar still works.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { directQuery as directQueryOn, type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';
import { type BackendFrame, errorFields, RawConnection } from './testing/raw-session.ts';

const MAX_FRAME_BYTES = 65_536;
const MAX_STATEMENT_BYTES = 2048;

let server: PostgresServer;
/** maxFrameBytes 64 KiB, statements up to the default 1 MiB: frame-level checks. */
let framed: ProxyFixture;
/** maxStatementBytes 2 KiB. */
let statements: ProxyFixture;

const directQuery = (sql: string): Promise<pg.QueryResult> => directQueryOn(server, sql);

before(async () => {
  server = await PostgresServer.start();
  await directQuery('CREATE TABLE marker (id int, padding text)');
  framed = await startProxy(server, { limits: { maxFrameBytes: MAX_FRAME_BYTES } });
  statements = await startProxy(server, { limits: { maxStatementBytes: MAX_STATEMENT_BYTES } });
});

after(async () => {
  await Promise.allSettled([framed?.close(), statements?.close()]);
  await server?.stop();
});

/** (g) After every test, a fresh well-behaved session through each sidecar still works. */
afterEach(async () => {
  for (const proxy of [framed, statements]) {
    const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'x' });
    await c.connect();
    try {
      assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await c.end();
    }
  }
});

/** A typed frame: type byte, int32 length (as declared, default the real one), payload. */
function typedFrame(type: string, payload: Buffer, declaredLength = 4 + payload.length): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeInt32BE(declaredLength, 1);
  return Buffer.concat([header, payload]);
}

/** Asserts the connection got one FATAL ErrorResponse with `sqlState` and was closed; returns its message. */
async function expectFatal(connection: RawConnection, sqlState: string): Promise<string> {
  const frames = await connection.untilClosed();
  const errors = frames.filter((f) => f.type === 'E');
  assert.equal(errors.length, 1, `expected one ErrorResponse, got ${summary(frames)}`);
  const fields = errorFields(errors[0]!.payload);
  assert.equal(fields.get('S'), 'FATAL');
  assert.equal(fields.get('C'), sqlState, fields.get('M'));
  return fields.get('M') ?? '';
}

const summary = (frames: readonly BackendFrame[]) => JSON.stringify(frames.map((f) => `${f.type}:${f.payload.toString('latin1')}`));

const markerRows = async (id: number): Promise<number> =>
  (await directQuery(`SELECT count(*)::int AS n FROM marker WHERE id = ${id}`)).rows[0].n;

describe('bad frames after startup', () => {
  test('a typed frame with a length field under 4: FATAL 08P01 and close', async () => {
    const connection = await RawConnection.session(framed.port);
    connection.write(typedFrame('Q', Buffer.alloc(0), 2));
    const message = await expectFatal(connection, '08P01');
    assert.match(message, /invalid message length 2/);
  });

  test('a negative length field: FATAL 08P01 and close', async () => {
    const connection = await RawConnection.session(framed.port);
    connection.write(typedFrame('Q', Buffer.alloc(0), -1));
    await expectFatal(connection, '08P01');
  });

  test('a frame over maxFrameBytes: FATAL 08P01, close, and nothing reaches the server', async () => {
    // Control: a Query of ~60 KB, under the frame limit, runs (and shows the marker check works).
    const under = await RawConnection.session(framed.port);
    const small = `INSERT INTO marker VALUES (1, '${'x'.repeat(60_000)}')`;
    const frames = await (async () => {
      under.write(serialize.query(small));
      return under.untilReady();
    })();
    assert.ok(
      frames.some((f) => f.type === 'C' && f.payload.toString('latin1').startsWith('INSERT 0 1')),
      summary(frames.map((f) => ({ ...f, payload: f.payload.subarray(0, 200) }))),
    );
    under.close();
    assert.equal(await markerRows(1), 1);

    // The same statement, as a complete Query frame whose length is over the limit.
    const connection = await RawConnection.session(framed.port);
    const big = serialize.query(`INSERT INTO marker VALUES (2, '${'x'.repeat(MAX_FRAME_BYTES)}')`);
    assert.ok(big.readInt32BE(1) > MAX_FRAME_BYTES);
    connection.write(big);
    const message = await expectFatal(connection, '08P01');
    assert.match(message, new RegExp(`exceeds the limit of ${MAX_FRAME_BYTES}`));
    assert.equal(await markerRows(2), 0);
  });

  test('a declared length over maxFrameBytes is refused from the header alone', async () => {
    const connection = await RawConnection.session(framed.port);
    // Only the header and a little: the sidecar must not wait for (or buffer) 1 GB.
    connection.write(typedFrame('Q', Buffer.from('INSERT INTO marker VALUES (3, null)\0'), 1024 * 1024 * 1024));
    await expectFatal(connection, '08P01');
    assert.equal(await markerRows(3), 0);
  });

  test("an unknown message type ('z'): FATAL 08P01 and close", async () => {
    const connection = await RawConnection.session(framed.port);
    connection.write(typedFrame('z', Buffer.alloc(0)));
    const message = await expectFatal(connection, '08P01');
    assert.match(message, /protocol violation/);
  });

  test('an unknown message type in the middle of a batch: nothing after it runs', async () => {
    const connection = await RawConnection.session(framed.port);
    connection.write(
      Buffer.concat([
        serialize.query('SELECT 1'),
        typedFrame('z', Buffer.from('junk')),
        serialize.query('INSERT INTO marker VALUES (4, null)'),
      ]),
    );
    const frames = await connection.untilClosed();
    assert.ok(
      frames.some((f) => f.type === 'E' && errorFields(f.payload).get('C') === '08P01'),
      summary(frames),
    );
    assert.equal(await markerRows(4), 0);
  });
});

describe('bad startups', () => {
  test('a StartupMessage for protocol 2.0: an error naming the unsupported protocol, then close', async () => {
    const connection = await RawConnection.open(framed.port);
    const body = Buffer.from('user\0agent\0database\0x\0\0', 'latin1');
    const startup = Buffer.alloc(8);
    startup.writeInt32BE(8 + body.length, 0);
    startup.writeInt32BE(0x00020000, 4);
    connection.write(Buffer.concat([startup, body]));
    const frames = await connection.untilClosed();
    const error = frames.find((f) => f.type === 'E');
    assert.ok(error, summary(frames));
    const fields = errorFields(error.payload);
    assert.equal(fields.get('S'), 'FATAL');
    assert.match(fields.get('M') ?? '', /unsupported frontend protocol 2\.0/);
  });

  test('an HTTP request instead of a startup message: an error or a close, and the sidecar lives', async () => {
    const connection = await RawConnection.open(framed.port);
    connection.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const frames = await connection.untilClosed();
    for (const frame of frames) assert.equal(frame.type, 'E', summary(frames));
    if (frames[0]) assert.equal(errorFields(frames[0].payload).get('C'), '08P01');
  });

  test('random bytes instead of a startup message', async () => {
    const connection = await RawConnection.open(framed.port);
    // A plausible length (40) and a nonsense protocol code, then junk.
    const junk = Buffer.alloc(40, 0xab);
    junk.writeInt32BE(40, 0);
    connection.write(junk);
    await connection.untilClosed();
  });

  test('half a startup message, then close', async () => {
    const connection = await RawConnection.open(framed.port);
    connection.write(serialize.startup({ user: 'agent', database: 'x' }).subarray(0, 11));
    await new Promise((resolve) => setTimeout(resolve, 50));
    connection.close();
    await connection.closed;
  });
});

describe('statements and partial frames', () => {
  test('a statement over maxStatementBytes: 42501 naming the limit, and the session goes on', async () => {
    const connection = await RawConnection.session(statements.port);
    const text = `SELECT 1 AS n /* ${'p'.repeat(5000)} */`;
    assert.ok(Buffer.byteLength(text) > MAX_STATEMENT_BYTES);
    connection.write(serialize.query(text));
    const frames = await connection.untilReady();
    const error = frames.find((f) => f.type === 'E');
    assert.ok(error, summary(frames));
    const fields = errorFields(error.payload);
    assert.equal(fields.get('C'), '42501');
    assert.equal(fields.get('S'), 'ERROR');
    assert.match(fields.get('M') ?? '', new RegExp(`${MAX_STATEMENT_BYTES}`));
    connection.write(serialize.query('SELECT 5 AS five'));
    const next = await connection.untilReady();
    assert.ok(
      next.some((f) => f.type === 'D' && f.payload.toString('latin1').endsWith('5')),
      summary(next),
    );
    assert.ok(!connection.isClosed);
    connection.close();
  });

  test('a statement over maxStatementBytes through node-postgres (extended protocol)', async () => {
    const c = new pg.Client({ host: '127.0.0.1', port: statements.port, user: 'agent', database: 'x' });
    await c.connect();
    try {
      const error = await c.query(`SELECT $1::text AS t /* ${'p'.repeat(5000)} */`, ['a']).then(
        () => assert.fail('expected a denial'),
        (e: { code: string; message: string }) => e,
      );
      assert.equal(error.code, '42501');
      assert.match(error.message, new RegExp(`${MAX_STATEMENT_BYTES}`));
      assert.equal((await c.query('SELECT $1::int AS n', [6])).rows[0].n, 6);
    } finally {
      await c.end();
    }
  });

  test('half a frame, then close: no crash', async () => {
    const connection = await RawConnection.session(framed.port);
    connection.write(serialize.query('INSERT INTO marker VALUES (5, null)').subarray(0, 12));
    await new Promise((resolve) => setTimeout(resolve, 50));
    connection.close();
    await connection.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await markerRows(5), 0);
  });

  test('a Query split at every byte offset across two writes still gives the right result', async () => {
    const connection = await RawConnection.session(framed.port);
    const query = serialize.query('SELECT 40 + 2 AS answer');
    for (let split = 1; split < query.length; split++) {
      connection.write(query.subarray(0, split));
      await new Promise((resolve) => setTimeout(resolve, 5));
      connection.write(query.subarray(split));
      const frames = await connection.untilReady();
      const row = frames.find((f) => f.type === 'D');
      assert.ok(row?.payload.toString('latin1').endsWith('42'), `split at ${split}: ${summary(frames)}`);
    }
    connection.close();
  });

  test('a Parse/Bind/Execute/Sync pipeline written one byte at a time', async () => {
    const connection = await RawConnection.session(framed.port);
    const bytes = Buffer.concat([
      serialize.parse({ text: 'SELECT $1::int * 2 AS doubled', types: [23] }),
      serialize.bind({ values: ['21'] }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    ]);
    for (let i = 0; i < bytes.length; i++) {
      connection.write(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const frames = await connection.untilReady();
    assert.equal(frames.map((f) => f.type).join(''), '12TDCZ');
    assert.ok(
      frames
        .find((f) => f.type === 'D')
        ?.payload.toString('latin1')
        .endsWith('42'),
    );
    connection.close();
  });
});
