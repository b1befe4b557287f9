/**
 * Named prepared statements are one namespace on the server, whether an agent made them with a
 * Parse or with SQL PREPARE (session/named-statement-effects.ts), against a real PostgreSQL:
 * DEALLOCATE ALL, DISCARD ALL and DEALLOCATE name drop protocol-level statements and the sidecar
 * follows once the server confirms (no false 42P05 afterwards, the budget's room comes back); a
 * Parse pipelined behind DEALLOCATE ALL survives it, as on the server; SQL PREPARE is capped by
 * limits.maxPreparedStatements like Parse (53400), and a PREPARE the server refused gives its room
 * back. The server's own pg_prepared_statements is the check of what exists.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { PostgresServer } from '@airlock/testkit';
import { serialize } from 'pg-protocol';
import { type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';
import { errorsOf, RawConnection, rawQuery } from './testing/raw-session.ts';

/** DISCARD ALL is a privilege statement; this file is about bookkeeping, not policy. */
const ALLOW_ALL: ApprovalPolicySpec = { rules: [{ name: 'all', match: {}, action: 'allow' }], defaultAction: 'deny' };
const MAX_STATEMENTS = 3;

let server: PostgresServer;
let proxy: ProxyFixture;

before(async () => {
  server = await PostgresServer.start();
  proxy = await startProxy(server, { policy: ALLOW_ALL, limits: { maxPreparedStatements: MAX_STATEMENTS } });
});

after(async () => {
  await proxy?.close();
  await server?.stop();
});

/** Parse + Sync of a named statement; the ErrorResponses it got. */
async function parse(connection: RawConnection, name: string, text = 'SELECT 1'): Promise<ReturnType<typeof errorsOf>> {
  connection.write(Buffer.concat([serialize.parse({ name, text, types: [] }), serialize.sync()]));
  return errorsOf(await connection.untilReady(1));
}

/** The names the server holds for this session, sorted. */
async function serverNames(connection: RawConnection): Promise<string[]> {
  const frames = await rawQuery(connection, 'SELECT name FROM pg_prepared_statements ORDER BY name');
  assert.deepEqual(errorsOf(frames), []);
  return frames.filter((f) => f.type === 'D').map((f) => f.payload.subarray(6).toString('utf8'));
}

for (const release of ['DEALLOCATE ALL', 'DISCARD ALL']) {
  test(`${release} drops protocol-level statements: the names and the room come back`, async () => {
    const agent = await RawConnection.session(proxy.port);
    try {
      for (const name of ['a', 'b', 'c']) assert.deepEqual(await parse(agent, name), []);
      assert.equal((await parse(agent, 'd'))[0]?.code, '53400', 'the budget is full');
      assert.deepEqual(errorsOf(await rawQuery(agent, release)), []);
      assert.deepEqual(await serverNames(agent), []);
      // The same names again (no false 42P05), and as many as before (the room came back).
      for (const name of ['a', 'b', 'c']) assert.deepEqual(await parse(agent, name), [], `Parse ${name} after ${release}`);
      assert.deepEqual(await serverNames(agent), ['a', 'b', 'c']);
    } finally {
      agent.close();
    }
  });
}

test('DEALLOCATE name drops a protocol-level statement of that name', async () => {
  const agent = await RawConnection.session(proxy.port);
  try {
    for (const name of ['a', 'b', 'c']) assert.deepEqual(await parse(agent, name), []);
    assert.deepEqual(errorsOf(await rawQuery(agent, 'DEALLOCATE b')), []);
    assert.deepEqual(await parse(agent, 'b', 'SELECT 2'), []);
    assert.deepEqual(await serverNames(agent), ['a', 'b', 'c']);
    // A DEALLOCATE the server refuses (no such name) releases nothing.
    assert.equal(errorsOf(await rawQuery(agent, 'DEALLOCATE nothing_here'))[0]?.code, '26000');
    assert.equal((await parse(agent, 'd'))[0]?.code, '53400');
  } finally {
    agent.close();
  }
});

test('a Parse pipelined behind DEALLOCATE ALL survives it, as on the server', async () => {
  const agent = await RawConnection.session(proxy.port);
  try {
    assert.deepEqual(await parse(agent, 'old'), []);
    agent.write(
      Buffer.concat([
        serialize.query('DEALLOCATE ALL'),
        serialize.parse({ name: 'new', text: 'SELECT 3 AS three', types: [] }),
        serialize.sync(),
      ]),
    );
    assert.deepEqual(errorsOf(await agent.untilReady(2)), []);
    assert.deepEqual(await serverNames(agent), ['new']);
    // The sidecar still knows `new`: it binds and runs (an unknown portal would be refused).
    agent.write(Buffer.concat([serialize.bind({ statement: 'new', portal: '' }), serialize.execute({ portal: '' }), serialize.sync()]));
    const frames = await agent.untilReady(1);
    assert.deepEqual(errorsOf(frames), []);
    assert.ok(frames.some((f) => f.type === 'D'));
    // And `old` is free again.
    assert.deepEqual(await parse(agent, 'old'), []);
  } finally {
    agent.close();
  }
});

test('SQL PREPARE counts against maxPreparedStatements with Parse: 53400 past it, DEALLOCATE makes room', async () => {
  const agent = await RawConnection.session(proxy.port);
  try {
    assert.deepEqual(await parse(agent, 'proto'), []);
    assert.deepEqual(errorsOf(await rawQuery(agent, 'PREPARE p1 AS SELECT 1; PREPARE p2 AS SELECT 2')), []);
    const refused = errorsOf(await rawQuery(agent, 'PREPARE p3 AS SELECT 3'));
    assert.equal(refused[0]?.code, '53400');
    assert.match(refused[0]?.message ?? '', /already has 3 named prepared statements.*limits\.maxPreparedStatements/);
    assert.equal((await parse(agent, 'proto2'))[0]?.code, '53400', 'Parse and PREPARE share the count');
    assert.deepEqual(await serverNames(agent), ['p1', 'p2', 'proto']);
    assert.deepEqual(errorsOf(await rawQuery(agent, 'DEALLOCATE p1')), []);
    assert.deepEqual(errorsOf(await rawQuery(agent, 'PREPARE p3 AS SELECT 3')), []);
    assert.deepEqual(await serverNames(agent), ['p2', 'p3', 'proto']);
  } finally {
    agent.close();
  }
});

test('a PREPARE the server refuses, or never reaches, gives its room back', async () => {
  const agent = await RawConnection.session(proxy.port);
  try {
    for (let round = 0; round < MAX_STATEMENTS + 1; round++) {
      // The first fails in the server (no such table); the second is never run.
      const frames = await rawQuery(agent, `PREPARE gone${round} AS SELECT * FROM no_such_table; PREPARE skipped${round} AS SELECT 1`);
      assert.equal(errorsOf(frames)[0]?.code, '42P01');
    }
    assert.deepEqual(await serverNames(agent), []);
    assert.deepEqual(errorsOf(await rawQuery(agent, 'PREPARE x1 AS SELECT 1; PREPARE x2 AS SELECT 2; PREPARE x3 AS SELECT 3')), []);
  } finally {
    agent.close();
  }
});
