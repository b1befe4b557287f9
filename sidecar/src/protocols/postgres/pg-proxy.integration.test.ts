/**
 * The PostgreSQL data path against a real PostgreSQL: psql and node-postgres through the sidecar,
 * simple and extended protocol, denial, approval holds, masking, COPY, cancel, pipelining and
 * recording. The server and the sidecar run on loopback with random ports and stop after the file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { verifyRecords } from '@airlock/contracts/recording';
import { PostgresServer, runPsql } from '@airlock/testkit';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { serialize } from 'pg-protocol';
import { directQuery as directQueryOn, type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';
import { rawSession as rawSessionAt, sendCancel as sendCancelAt, sqlError, waitFor } from './testing/raw-session.ts';

let server: PostgresServer;
let proxy: ProxyFixture;

const SETUP = `
CREATE TABLE customers (id int PRIMARY KEY, name text, email text, card_number text);
INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com', '4111111111111111'), (2, 'Bob', 'bob@example.com', '5500005555555559');
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, total numeric);
INSERT INTO orders (customer_id, total) VALUES (1, 10.5), (2, 20);
CREATE TABLE scratch (id int);
`;

const rawSession = () => rawSessionAt(proxy.port);
const sendCancel = (processId: number, secretKey: number) => sendCancelAt(proxy.port, processId, secretKey);

const client = async (): Promise<pg.Client> => {
  const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'whatever' });
  await c.connect();
  return c;
};

const psql = (sql: string, extra: string[] = []) =>
  runPsql('psql', { host: '127.0.0.1', port: proxy.port, database: 'any', user: 'agent', password: undefined }, [
    '-X',
    '-v',
    'ON_ERROR_STOP=0',
    ...extra,
    '-c',
    sql,
  ]);

const directQuery = (sql: string): Promise<pg.QueryResult> => directQueryOn(server, sql);

before(async () => {
  server = await PostgresServer.start();
  await directQuery(SETUP);
  proxy = await startProxy(server);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
});

describe('reads and masking', () => {
  test('psql (simple protocol) reads through the sidecar with e-mails hashed and cards cut to the last four', async () => {
    const result = await psql('SELECT id, name, email, card_number FROM customers ORDER BY id', ['-A', '-t']);
    assert.equal(result.code, 0, result.stderr);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.[1], 'Ada');
    assert.match(rows[0]?.[2] ?? '', /^h:[0-9a-f]{16}$/);
    assert.notEqual(rows[0]?.[2], rows[1]?.[2]);
    assert.doesNotMatch(result.stdout, /example\.com|4111111111111111/);
    assert.match(rows[0]?.[3] ?? '', /1111$/);
  });

  test('node-postgres (extended protocol, parameters) gets the same masked values, so hashed joins still work', async () => {
    const c = await client();
    try {
      const a = await c.query('SELECT email FROM customers WHERE id = $1', [1]);
      const b = await c.query({ text: 'SELECT email FROM customers WHERE name = $1', values: ['Ada'], name: 'by-name' });
      const again = await c.query({ name: 'by-name', text: 'SELECT email FROM customers WHERE name = $1', values: ['Ada'] });
      assert.equal(a.rows[0].email, b.rows[0].email);
      assert.equal(b.rows[0].email, again.rows[0].email);
      assert.match(a.rows[0].email, /^h:/);
      const binary = await c.query({ text: 'SELECT id, name FROM customers WHERE id = 2', rowMode: 'array' });
      assert.deepEqual(binary.rows, [[2, 'Bob']]);
    } finally {
      await c.end();
    }
  });
});

describe('denial keeps the session usable', () => {
  test('a denied statement gets 42501 naming the policy and rule; the next statement runs', async () => {
    const c = await client();
    try {
      const error = await sqlError(c.query('TRUNCATE orders'));
      assert.equal(error.code, '42501');
      assert.match(error.message, /ApprovalPolicy test-policy rule no-truncate/);
      assert.equal(error.hint, 'Use DELETE with a WHERE clause.');
      const ok = await c.query('SELECT count(*)::int AS n FROM orders');
      assert.equal(ok.rows[0].n, 2);
      const parameterised = await sqlError(c.query('SELECT pg_terminate_backend($1)', [1]));
      assert.equal(parameterised.code, '42501');
      assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
    } finally {
      await c.end();
    }
    assert.equal((await directQuery('SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
  });

  test('a denial inside a transaction block leaves it failed, as a server error would', async () => {
    const c = await client();
    try {
      await c.query('BEGIN');
      await c.query('INSERT INTO scratch VALUES (1)');
      assert.equal((await sqlError(c.query('TRUNCATE scratch'))).code, '42501');
      assert.equal((await sqlError(c.query('SELECT 1'))).code, '25P02');
      await c.query('ROLLBACK');
      assert.equal((await c.query('SELECT count(*)::int AS n FROM scratch')).rows[0].n, 0);
    } finally {
      await c.end();
    }
  });

  test('unparseable SQL fails closed and says why', async () => {
    const c = await client();
    try {
      const error = await sqlError(c.query('SELEC * FROM customers'));
      assert.equal(error.code, '42501');
      assert.match(error.message, /could not be classified/);
      assert.equal((await c.query('SELECT 2 AS two')).rows[0].two, 2);
    } finally {
      await c.end();
    }
  });

  test('COPY TO STDOUT is refused while masking applies; COPY FROM STDIN works', async () => {
    const c = await client();
    try {
      const error = await sqlError(c.query('COPY customers TO STDOUT'));
      assert.equal(error.code, '0A000');
      const stream = c.query(copyFrom('COPY scratch (id) FROM STDIN'));
      await pipeline(Readable.from(['10\n', '11\n', '12\n']), stream);
      assert.equal((await c.query('SELECT count(*)::int AS n FROM scratch WHERE id >= 10')).rows[0].n, 3);
      await c.query('DELETE FROM scratch WHERE id >= 10');
    } finally {
      await c.end();
    }
  });

  test('the function-call message is denied and the session goes on', async () => {
    const socket = await rawSession();
    const replies = await socket.exchange(functionCall(1598 /* md5(text) */));
    assert.match(replies, /function-call message is not allowed/);
    assert.match(await socket.exchange(serialize.query('SELECT 1')), /SELECT 1/);
    socket.close();
  });
});

describe('approval holds', () => {
  test('DDL is held with a notice naming the request; approval releases it exactly once', async () => {
    await directQuery('CREATE TABLE IF NOT EXISTS doomed (id int)');
    const c = await client();
    const notices: string[] = [];
    c.on('notice', (notice) => notices.push(`${notice.message}\n${(notice as { detail?: string }).detail ?? ''}`));
    const requested = new Promise<string>((resolve) => proxy.gate.onRequest((request) => resolve(request.name)));
    try {
      const query = c.query('DROP TABLE doomed');
      const name = await requested;
      const request = proxy.gate.get(name);
      assert.equal(request?.spec.operation.text, 'DROP TABLE doomed');
      assert.match(request?.spec.operation.digest ?? '', /^sha256:[0-9a-f]{64}$/);
      assert.equal(request?.spec.policy.rule, 'ddl');
      assert.equal(request?.spec.requester.pod.name, 'migrate-7kq2x');
      assert.throws(() => proxy.gate.approve(name, { user: 'system:serviceaccount:agents:ci-migrations', groups: ['db-owners'] }), {
        code: 'SelfApproval',
      });
      proxy.gate.approve(name, { user: 'alice@example.com', groups: ['db-owners'] });
      await query;
      assert.ok(
        notices.some((n) => n.includes(`kubectl approve ${name} -n agents`)),
        notices.join('\n'),
      );
      assert.equal((await directQuery("SELECT to_regclass('doomed') IS NULL AS gone")).rows[0].gone, true);
      await waitFor(() => proxy.gate.get(name)?.phase === 'Executed');
      assert.equal(proxy.gate.get(name)?.result, 'DROP TABLE');
    } finally {
      await c.end();
    }
  });

  test('a denied approval gives the reviewer and reason; nothing ran', async () => {
    await directQuery('CREATE TABLE IF NOT EXISTS kept (id int)');
    const c = await client();
    const requested = new Promise<string>((resolve) => proxy.gate.onRequest((request) => resolve(request.name)));
    try {
      const query = sqlError(c.query('DROP TABLE kept'));
      const name = await requested;
      proxy.gate.deny(name, { user: 'bob@example.com', groups: ['db-owners'] }, 'not on a Friday');
      const error = await query;
      assert.equal(error.code, '42501');
      assert.match(error.message, new RegExp(`ApprovalRequest ${name} was denied by bob@example.com: not on a Friday`));
      assert.equal((await directQuery("SELECT to_regclass('kept') IS NOT NULL AS present")).rows[0].present, true);
      assert.equal((await c.query('SELECT 3 AS three')).rows[0].three, 3);
    } finally {
      await c.end();
    }
  });

  test('an extended-protocol write without WHERE is held with its parameters in the digest', async () => {
    const c = await client();
    const requested = new Promise<string>((resolve) => proxy.gate.onRequest((request) => resolve(request.name)));
    try {
      const query = c.query('UPDATE orders SET total = total + $1', [1]);
      const name = await requested;
      const request = proxy.gate.get(name);
      assert.deepEqual(request?.spec.operation.parameters, [{ value: '1', format: 'text' }]);
      proxy.gate.approve(name, { user: 'carol@example.com', groups: ['db-owners'] });
      const result = await query;
      assert.equal(result.rowCount, 2);
    } finally {
      await c.end();
    }
  });

  test('cancelling a held statement withdraws the request', async () => {
    const c = await client();
    const requested = new Promise<string>((resolve) => proxy.gate.onRequest((request) => resolve(request.name)));
    try {
      const query = sqlError(c.query('DROP TABLE orders'));
      const name = await requested;
      await sendCancel((c as unknown as { processID: number }).processID, (c as unknown as { secretKey: number }).secretKey);
      const error = await query;
      assert.equal(error.code, '57014');
      assert.equal(proxy.gate.get(name)?.phase, 'Withdrawn');
      assert.equal((await c.query('SELECT 4 AS four')).rows[0].four, 4);
    } finally {
      await c.end();
    }
  });

  test('disconnecting during a hold withdraws the request', async () => {
    const c = await client();
    c.on('error', () => undefined);
    const requested = new Promise<string>((resolve) => proxy.gate.onRequest((request) => resolve(request.name)));
    c.query('DROP TABLE orders').catch(() => undefined);
    const name = await requested;
    (c as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await waitFor(() => proxy.gate.get(name)?.phase === 'Withdrawn');
  });
});

describe('cancel, pipelining, recording', () => {
  test("a cancel reaches the agent's own upstream backend", async () => {
    const c = await client();
    try {
      const running = sqlError(c.query('SELECT pg_sleep(30)'));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await sendCancel((c as unknown as { processID: number }).processID, (c as unknown as { secretKey: number }).secretKey);
      const error = await running;
      assert.equal(error.code, '57014');
      assert.match(error.message, /canceling statement due to user request/);
    } finally {
      await c.end();
    }
  });

  test('a pipeline of Parse/Bind/Execute with a denied statement in the middle skips to Sync like a server', async () => {
    const socket = await rawSession();
    const pipelineBytes = Buffer.concat([
      serialize.parse({ text: 'SELECT 1 AS a' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
      serialize.parse({ text: 'TRUNCATE orders' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.parse({ text: 'SELECT 2 AS b' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
      serialize.parse({ text: 'SELECT 3 AS c' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    ]);
    const replies = await socket.exchange(pipelineBytes, 3);
    const types = socket.types;
    assert.deepEqual(types.join(''), '12DCZ' + 'EZ' + '12DCZ');
    assert.match(replies, /no-truncate/);
    socket.close();
  });

  test('every session is recorded and its chain verifies', async () => {
    const c = await client();
    await c.query('SELECT name FROM customers WHERE id = 1');
    await sqlError(c.query('TRUNCATE orders'));
    await c.end();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(proxy.recordingsDir).map((file) => join(proxy.recordingsDir, file));
    assert.ok(files.length > 0);
    const records = files.map((file) =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: { type: string; text?: string; action?: string } }),
    );
    const session = records.find((r) => r.some((record) => record.event.text === 'TRUNCATE orders'));
    assert.ok(session, 'the session with TRUNCATE is recorded');
    const types = session.map((record) => record.event.type);
    assert.equal(types[0], 'session.open');
    assert.equal(types.at(-1), 'session.close');
    assert.ok(types.includes('classification') && types.includes('decision') && types.includes('result'));
    assert.ok(session.some((record) => record.event.type === 'decision' && record.event.action === 'deny'));
    for (const r of records) {
      const result = verifyRecords(r);
      assert.ok(result.ok, `${JSON.stringify(result)} ${JSON.stringify(r.map((x) => x.event))}`);
    }
  });
});

// ---------------------------------------------------------------- helpers

/** FunctionCall: function OID, no argument formats, no arguments, text result. */
function functionCall(oid: number): Buffer {
  const message = Buffer.alloc(1 + 4 + 10);
  message.write('F');
  message.writeInt32BE(4 + 10, 1);
  message.writeInt32BE(oid, 5);
  return message;
}
