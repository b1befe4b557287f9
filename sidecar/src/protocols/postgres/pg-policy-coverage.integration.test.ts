/**
 * The "read-only agent" policy against a real PostgreSQL: statements that read but also write,
 * signal backends, take locks, notify, touch large objects or change the session's role are
 * refused by the sidecar, and the server shows they never ran. Harmless reads pass.
 * (docs/adr/0011-allow-covers-every-facet.md)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { directQuery as directQueryOn, type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';
import { errorFields, RawConnection, startupPacket } from './testing/raw-session.ts';

const SETUP = `
CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, total numeric);
INSERT INTO orders (customer_id, total) VALUES (1, 10.5), (2, 20);
`;

const readsOnly: ApprovalPolicySpec = {
  rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }],
  defaultAction: 'deny',
};
const readsAndSession: ApprovalPolicySpec = {
  rules: [{ name: 'reads', match: { sql: { statementKinds: ['read', 'transaction', 'session'] } }, action: 'allow' }],
  defaultAction: 'deny',
};

let server: PostgresServer;
let readsOnlyProxy: ProxyFixture;
let sessionProxy: ProxyFixture;

const directQuery = (sql: string): Promise<pg.QueryResult> => directQueryOn(server, sql);

async function agent(proxy: ProxyFixture): Promise<pg.Client> {
  const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'any' });
  await c.connect();
  return c;
}

/** Runs `sql` through the sidecar and expects airlock's denial (42501, naming the policy). */
async function assertRefused(c: pg.Client, sql: string, values?: unknown[]): Promise<void> {
  await assert.rejects(
    c.query(sql, values),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, '42501', `${sql}: ${error.message}`);
      assert.match(error.message, /airlock: denied by ApprovalPolicy test-policy/);
      return true;
    },
    sql,
  );
}

/** What the attacks below would change, read straight from the server. */
async function serverState(): Promise<string> {
  const result = await directQuery(`
    SELECT (SELECT json_agg(o ORDER BY id) FROM orders o) AS orders,
           (SELECT json_agg(c ORDER BY id) FROM customers c) AS customers,
           (SELECT last_value FROM orders_id_seq) AS sequence,
           (SELECT count(*) FROM pg_largeobject_metadata) AS large_objects,
           (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory') AS advisory_locks`);
  return JSON.stringify(result.rows[0]);
}

before(async () => {
  server = await PostgresServer.start();
  await directQuery(SETUP);
  readsOnlyProxy = await startProxy(server, { policy: readsOnly });
  sessionProxy = await startProxy(server, { policy: readsAndSession });
});

after(async () => {
  await readsOnlyProxy?.close();
  await sessionProxy?.close();
  await server?.stop();
});

describe('a read-only policy (statementKinds [read], default deny)', () => {
  test('reads pass', async () => {
    const c = await agent(readsOnlyProxy);
    try {
      assert.equal((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
      assert.equal((await c.query("SELECT lower(name) AS n FROM customers WHERE email LIKE '%ada%'")).rows[0].n, 'ada');
      assert.equal(
        (await c.query('SELECT o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.id = $1', [2])).rowCount,
        1,
      );
    } finally {
      await c.end();
    }
  });

  test('reads that also write, signal, lock, notify or touch large objects never reach the server', async () => {
    const before = await serverState();
    const victim = new pg.Client({ connectionString: server.connectionString('scram_user'), application_name: 'airlock-victim' });
    await victim.connect();
    const listener = new pg.Client({ connectionString: server.connectionString('scram_user') });
    await listener.connect();
    await listener.query('LISTEN airlock_channel');
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    const c = await agent(readsOnlyProxy);
    try {
      for (const sql of [
        'WITH gone AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM gone',
        "WITH blank AS (UPDATE customers SET email = '' RETURNING id) SELECT * FROM blank",
        'SELECT * FROM customers WHERE id IN (WITH x AS (UPDATE orders SET total = 0 RETURNING customer_id) SELECT customer_id FROM x)',
        "SELECT nextval('orders_id_seq')",
        "SELECT setval('orders_id_seq', 1000)",
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'airlock-victim'",
        "SELECT pg_catalog.pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'airlock-victim'",
        'SELECT lo_create(4242)',
        "SELECT lo_from_bytea(0, 'x')",
        "SELECT pg_read_file('postgresql.conf')",
        'SELECT pg_advisory_lock(42)',
        "SELECT pg_notify('airlock_channel', 'from the agent')",
        "SELECT set_config('default_transaction_read_only', 'off', false)",
        'SELECT * FROM orders FOR UPDATE',
        'SELECT * FROM customers WHERE id IN (SELECT customer_id FROM orders FOR SHARE)',
        'SELECT 1; DELETE FROM orders',
        'EXPLAIN ANALYZE DELETE FROM orders',
        'DO $$ BEGIN DELETE FROM orders; END $$',
        "NOTIFY airlock_channel, 'x'",
        'LISTEN airlock_channel',
        'SET ROLE md5_user',
      ]) {
        await assertRefused(c, sql);
      }
      // The extended protocol (a parameter, a named statement) is decided the same way.
      await assertRefused(c, 'WITH gone AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM gone', [1]);
      await assertRefused(c, "SELECT setval('orders_id_seq', $1)", [99]);
      // The session stayed usable and nothing changed on the server.
      assert.equal((await c.query('SELECT count(*)::int AS n FROM orders')).rows[0].n, 2);
    } finally {
      await c.end();
    }
    assert.equal((await victim.query('SELECT 1 AS alive')).rows[0].alive, 1, 'the victim backend was not terminated');
    await victim.end();
    await listener.query('SELECT 1'); // delivers any pending notification
    await listener.end();
    assert.deepEqual(notified, [], 'no notification reached the listener');
    assert.equal(await serverState(), before, 'orders, customers, the sequence, large objects and advisory locks are unchanged');
  });
});

describe('reads, transactions and session settings allowed ([read, transaction, session])', () => {
  test('privilege changes hidden in session statements are refused; the role stays', async () => {
    const c = await agent(sessionProxy);
    try {
      const me = (await c.query('SELECT current_user AS u')).rows[0].u;
      await c.query("SET application_name = 'reporting'");
      for (const sql of [
        'SET ROLE md5_user',
        'SET SESSION AUTHORIZATION md5_user',
        'RESET ROLE',
        'SET LOCAL ROLE md5_user',
        "SELECT set_config('role', 'md5_user', false)",
        "SELECT set_config('session_authorization', 'md5_user', false)",
        "SET session_replication_role = 'replica'",
      ]) {
        await assertRefused(c, sql);
      }
      assert.equal((await c.query('SELECT current_user AS u')).rows[0].u, me);
    } finally {
      await c.end();
    }
  });

  test('a locking read inside an allowed transaction is refused, and holds no lock', async () => {
    const c = await agent(sessionProxy);
    try {
      await c.query('BEGIN');
      await assertRefused(c, 'SELECT * FROM orders WHERE id = 1 FOR UPDATE');
      await c.query('ROLLBACK');
      await c.query('BEGIN');
      await assert.rejects(c.query('SELECT * FROM orders WHERE id = 1 FOR NO KEY UPDATE'), /42501|denied/);
      // The denial happened in an open transaction; another session can still update the row.
      await directQuery("SET lock_timeout = '2s'; UPDATE orders SET total = total WHERE id = 1");
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
  });
});

describe('startup parameters cannot do what policy stops after connecting', () => {
  for (const [name, value] of [
    ['search_path', 'pg_temp, public'],
    ['client_encoding', 'SJIS'],
    ['standard_conforming_strings', 'off'],
  ] as const) {
    test(`${name}=${value} in the startup packet is refused with a FATAL that says what to do`, async () => {
      const connection = await RawConnection.open(sessionProxy.port);
      connection.write(startupPacket({ user: 'agent', database: 'x', [name]: value }));
      const frames = await connection.untilClosed();
      const error = frames.find((frame) => frame.type === 'E');
      assert.ok(error, `an ErrorResponse, got ${frames.map((f) => f.type).join('')}`);
      const fields = errorFields(error.payload);
      assert.equal(fields.get('S'), 'FATAL');
      // The pinned settings say they are pinned; search_path is left to policy after connecting.
      const advice = name === 'search_path' ? 'run SET after connecting' : `airlock pins ${name}`;
      assert.match(fields.get('M') ?? '', new RegExp(`startup parameter ${name}=.*${advice}`));
    });
  }
});
