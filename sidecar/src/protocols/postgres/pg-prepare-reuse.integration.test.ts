/**
 * A SQL-level PREPARE of a name the session already holds is refused by the sidecar, as the
 * server refuses it. Before, the sidecar replaced its record of the name while the server kept
 * the old statement, so an approved `PREPARE p AS DELETE ...` followed by `PREPARE p AS SELECT 1`
 * made `EXECUTE p` look like a read while the server ran the DELETE.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { directQuery, type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';

let server: PostgresServer;
let proxy: ProxyFixture;

before(async () => {
  server = await PostgresServer.start();
  await directQuery(server, 'CREATE TABLE ledger (id int); INSERT INTO ledger VALUES (1), (2), (3)');
  proxy = await startProxy(server);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
});

const count = async (): Promise<number> => (await directQuery(server, 'SELECT count(*)::int AS n FROM ledger')).rows[0].n;

test('an approved PREPARE cannot be swapped for a harmless one under the same name', async () => {
  const c = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'any' });
  await c.connect();
  const held: string[] = [];
  const stop = proxy.gate.onRequest((request) => {
    held.push(request.spec.operation.text);
    // The reviewer approves the PREPARE, and denies anything else.
    if (held.length === 1) proxy.gate.approve(request.name, { user: 'alice@example.com', groups: ['db-owners'] });
    else proxy.gate.deny(request.name, { user: 'alice@example.com', groups: ['db-owners'] }, 'only the PREPARE was approved');
  });
  try {
    await c.query('PREPARE wipe AS DELETE FROM ledger');
    await assert.rejects(c.query('PREPARE wipe AS SELECT 1'), (error: Error & { code?: string }) => {
      assert.equal(error.code, '42P05');
      assert.match(error.message, /airlock: prepared statement "wipe" already exists/);
      return true;
    });
    await assert.rejects(c.query('PREPARE other AS SELECT 1; PREPARE other AS SELECT 2'), { code: '42P05' }, 'twice in one message');
    // EXECUTE is decided as what the server holds: the DELETE, which needs approval again.
    await assert.rejects(c.query('EXECUTE wipe'), /only the PREPARE was approved/);
    assert.equal(await count(), 3, 'the DELETE never ran');
    assert.equal(held.length, 2);
    assert.match(held[1] ?? '', /EXECUTE wipe/);
    // After DEALLOCATE the name is free again.
    await c.query('DEALLOCATE wipe');
    await c.query('PREPARE wipe AS SELECT 1');
    assert.equal((await c.query('EXECUTE wipe')).rowCount, 1);
  } finally {
    stop();
    await c.end();
  }
});
