/**
 * An Execute held for approval while an earlier message of the same pipeline fails: the server
 * skips to Sync, so the approved Execute must not be forwarded (it would never be answered, and
 * every later reply would be matched to the wrong message). The session stays in step.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PostgresServer } from '@airlock/testkit';
import { serialize } from 'pg-protocol';
import { directQuery, type ProxyFixture, startProxy } from './testing/proxy-fixture.ts';
import { errorFields, RawConnection } from './testing/raw-session.ts';

let server: PostgresServer;
let proxy: ProxyFixture;

before(async () => {
  server = await PostgresServer.start();
  await directQuery(server, 'CREATE TABLE held_victim (id int)');
  proxy = await startProxy(server);
});

after(async () => {
  await proxy?.close();
  await server?.stop();
});

test('an Execute approved after an earlier message failed is dropped like the server drops it', async () => {
  const connection = await RawConnection.session(proxy.port);
  const early: { type: string; payload: Buffer }[] = [];
  let requestName = '';
  const approved = new Promise<void>((resolve) =>
    proxy.gate.onRequest((request) => {
      requestName = request.name;
      // Approve once the failure of the first Execute has reached the agent.
      void connection.untilQuiet(200).then((frames) => {
        early.push(...frames);
        assert.ok(
          frames.some((f) => f.type === 'E'),
          `the division by zero was answered first, got ${frames.map((f) => f.type).join('')}`,
        );
        proxy.gate.approve(request.name, { user: 'alice@example.com', groups: ['db-owners'] });
        resolve();
      });
    }),
  );
  connection.write(
    Buffer.concat([
      serialize.parse({ text: 'SELECT 1/0' }),
      serialize.bind(),
      serialize.execute(),
      serialize.parse({ name: 'drop', text: 'DROP TABLE held_victim' }),
      serialize.bind({ statement: 'drop' }),
      serialize.execute(),
      serialize.sync(),
    ]),
  );
  await approved;
  const frames = [...early, ...(await connection.untilReady(1))];
  const error = frames.find((f) => f.type === 'E');
  assert.equal(error && errorFields(error.payload).get('C'), '22012', 'division by zero');
  assert.equal((await directQuery(server, "SELECT to_regclass('held_victim') IS NOT NULL AS present")).rows[0].present, true);

  // In step: the next query gets its own answer.
  connection.write(serialize.query('SELECT 42 AS answer'));
  const next = await connection.untilReady(1);
  assert.deepEqual(
    next.map((f) => f.type),
    ['T', 'D', 'C', 'Z'],
  );
  assert.match(next[1]?.payload.toString('latin1') ?? '', /42/);

  // In step for the extended protocol too, where masking follows the portal's description.
  connection.write(
    Buffer.concat([
      serialize.parse({ text: "SELECT 'ada@example.com'::text AS email" }),
      serialize.bind(),
      serialize.describe({ type: 'P' }),
      serialize.execute(),
      serialize.sync(),
    ]),
  );
  const extended = await connection.untilReady(1);
  assert.deepEqual(
    extended.map((f) => f.type),
    ['1', '2', 'T', 'D', 'C', 'Z'],
  );
  assert.doesNotMatch(extended[3]?.payload.toString('latin1') ?? '', /ada@example\.com/, 'the e-mail is masked');
  connection.close();

  // The approval's execution report says what happened: the DROP never ran.
  const request = proxy.gate.get(requestName);
  assert.equal(request?.phase, 'Failed', `reported ${request?.phase}: ${request?.result}`);
  assert.match(request?.result ?? '', /not run: an earlier message in the pipeline failed/);
});
