/**
 * The sidecar's peak memory stays inside the limit the webhook injects, run the way the pod runs
 * it: a child process with the production Node flags (the operator's default command), a real
 * PostgreSQL, and the process's own high-water mark (getrusage maxrss via /metrics). Scenarios
 * from issue 11: the first statement (V8 compiles the parser's WebAssembly), 200 idle sessions,
 * a million-row masked result streamed through. The peak only grows, so each check covers the
 * scenarios before it as well. Memory is not a timing: the bound is the limit minus headroom.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { SidecarProcess } from './protocols/postgres/testing/sidecar-process.ts';
import { streamQuery } from './protocols/postgres/testing/streamed-query.ts';

/**
 * The operator's default memory limit (DEFAULT_SIDECAR_RESOURCES, 256Mi); its command is `node
 * sidecarNodeFlags(limit) main.ts` (the operator's sidecar-template test checks that side).
 */
const LIMIT_BYTES = 256 * 2 ** 20;
/** Room left under the limit for what this test does not exercise (a burst of Parses, TLS, a bigger policy). */
const HEADROOM = 0.25;
const BUDGET = LIMIT_BYTES * (1 - HEADROOM);
const IDLE_SESSIONS = 200;
const ROWS = 1_000_000;

let server: PostgresServer;
let sidecar: SidecarProcess;
const MiB = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

before(async () => {
  server = await PostgresServer.start({ settings: { max_connections: IDLE_SESSIONS + 50 } });
  sidecar = await SidecarProcess.start(server, {
    nodeFlags: sidecarNodeFlags(LIMIT_BYTES),
    // Room for the 200 sessions; everything else stays at its default.
    limits: { maxConnections: IDLE_SESSIONS + 10, maxStartupConnections: IDLE_SESSIONS + 10, acceptRatePerSecond: 10_000 },
    upstreamConnections: IDLE_SESSIONS + 10,
  });
});

after(async () => {
  await sidecar?.stop();
  await server?.stop();
});

async function assertPeakWithinBudget(scenario: string): Promise<void> {
  const peak = await sidecar.peakRssBytes();
  assert.ok(
    peak < BUDGET,
    `${scenario}: peak RSS ${MiB(peak)} is not below ${MiB(BUDGET)} (the ${MiB(LIMIT_BYTES)} limit minus ${HEADROOM * 100}%)\n${sidecar.log.slice(-3000)}`,
  );
}

test('the first statement: the parser compiles without the optimizing tier', async () => {
  const client = new pg.Client({ host: '127.0.0.1', port: sidecar.port, user: 'agent', database: 'x' });
  await client.connect();
  try {
    await client.query("SELECT id, status FROM (VALUES (1, 'new')) AS orders(id, status) WHERE id = 1");
    // The optimizing tier used to compile in the background right after the first statements.
    for (let i = 0; i < 50; i++) await client.query(`SELECT ${i} AS n, now() - interval '${i} seconds' AS t`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } finally {
    await client.end();
  }
  await assertPeakWithinBudget('first statement');
});

test(`${IDLE_SESSIONS} idle sessions`, async () => {
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < IDLE_SESSIONS; i++) {
      const client = new pg.Client({ host: '127.0.0.1', port: sidecar.port, user: 'agent', database: 'x' });
      await client.connect();
      clients.push(client);
    }
    await clients[0]!.query('SELECT 1');
    await assertPeakWithinBudget(`${IDLE_SESSIONS} idle sessions`);
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
  }
});

test('a million-row result, masked, streamed through', async () => {
  const result = await streamQuery(
    sidecar.port,
    `SELECT g AS id, 'user' || g || '@example.com' AS email FROM generate_series(1, ${ROWS}) AS g`,
  );
  assert.equal(result.error, undefined);
  assert.equal(result.rows, ROWS);
  await assertPeakWithinBudget(`${ROWS} masked rows`);
});
