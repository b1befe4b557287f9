/**
 * The recording store failing for real: the sidecar's recordings on a small tmpfs this test
 * mounts, filled up (ENOSPC) or remounted read-only (EROFS), a real PostgreSQL behind it, and the
 * server asked afterwards whether a DROP the policy allows reached it.
 *
 * - Block: neither an open session's statement nor a new session's first (pipelined) statement
 *   reaches the server; the agent gets a FATAL 53100 / 58030 within recording.blockTimeout;
 *   /readyz is 503 with the reason; once space is back, a new session works and /readyz is 200.
 * - Continue: traffic goes on and the lost records are counted.
 * - Shutdown while blocked ends within recording.flushTimeout.
 *
 * Each test mounts its own tmpfs and unmounts it in a finally; a watchdog does it if the test
 * process dies. Needs root; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ApprovalPolicySpec, TargetSpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { PostgresServer, TmpfsMount } from '@airlock/testkit';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { startStaticSidecar } from '../../in-process/static-sidecar.ts';
import { SqlClassifier } from './sql/classifier.ts';
import { directQuery as directQueryOn, PRINCIPAL } from './testing/proxy-fixture.ts';
import { errorFields, RawConnection, sqlError } from './testing/raw-session.ts';

const BLOCK_TIMEOUT_MS = 1000;
const FLUSH_TIMEOUT_MS = 1000;
/** How late after the deadline the agent's error may come (scheduling, retries in flight). */
const SLACK_MS = 1500;

/** DROP is allowed: whether it ran is the recording's decision alone. */
const ALLOW_DDL: ApprovalPolicySpec = {
  rules: [{ name: 'anything', match: { sql: { statementKinds: ['read', 'write', 'ddl', 'transaction', 'session'] } }, action: 'allow' }],
  defaultAction: 'deny',
};

/** Records bigger than a page: a tmpfs page the session file already has cannot absorb them. */
const BIG_COMMENT = `/* ${'x'.repeat(16 * 1024)} */`;

let server: PostgresServer;
let classifier: SqlClassifier;
const mountable = TmpfsMount.available();

before(async () => {
  if (!mountable) return;
  server = await PostgresServer.start();
  classifier = await SqlClassifier.create();
});

after(async () => {
  await server?.stop();
});

const directQuery = (sql: string) => directQueryOn(server, sql);
const tableExists = async (name: string) => (await directQuery(`SELECT to_regclass('${name}') AS t`)).rows[0].t !== null;

interface Fixture {
  readonly port: number;
  readonly healthUrl: string;
  readonly mount: TmpfsMount;
  readonly dir: string;
  close(): Promise<void>;
}

async function withSidecar(recording: NonNullable<TargetSpec['recording']>, run: (fixture: Fixture) => Promise<void>): Promise<void> {
  const mount = TmpfsMount.mount({ sizeBytes: 1024 * 1024, prefix: 'airlock-store-tmpfs-' });
  let close: () => Promise<void> = async () => undefined;
  try {
    const dir = join(mount.path, 'recordings');
    const started = await startStaticSidecar({
      config: {
        principal: PRINCIPAL,
        targets: [
          {
            name: 'orders-db',
            namespace: 'agents',
            labels: {},
            spec: {
              type: 'postgres',
              localPort: 5432,
              postgres: { host: server.host, port: server.port, database: server.database },
              recording,
            },
          },
        ],
        policies: [{ name: 'allow-ddl', namespace: 'agents', spec: ALLOW_DDL }],
        maskingKeys: {},
      },
      credentials: { 'orders-db': { username: server.users.scram_user.user, password: server.users.scram_user.password } },
      // The production setting: every batch fdatasync'd before the proxy goes on.
      recordings: { directory: dir, fsync: 'batch' },
      classifier,
      logger: createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' }),
      listenHost: '127.0.0.1',
      ports: { 'orders-db': 0 },
      health: { host: '127.0.0.1', port: 0 },
      limits: { connectTimeoutMs: 5000, startupTimeoutMs: 5000 },
      recorderOptions: { maxBatchDelayMs: 5, initialRetryDelayMs: 20, maxRetryDelayMs: 200 },
    });
    let closing: Promise<void> | undefined;
    close = () => {
      closing ??= started.close();
      return closing;
    };
    await run({ port: started.sidecar.ports['orders-db'] ?? 0, healthUrl: started.sidecar.health?.url ?? '', mount, dir, close });
  } finally {
    await close();
    mount.unmount();
  }
}

/** Fills the file system under `dir` to the last page; returns the filler to delete for space. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  // The last partial chunk: byte by byte is too slow, pages are enough.
  try {
    for (;;) writeSync(fd, chunk, 0, 4096);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  closeSync(fd);
  return filler;
}

async function agent(port: number): Promise<pg.Client> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'x' });
  // A FATAL also arrives as an 'error' event on an idle client.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function readiness(url: string): Promise<{ status: number; reasons: string[] }> {
  const response = await fetch(`${url}/readyz`);
  const body = (await response.json()) as { reasons: string[] };
  return { status: response.status, reasons: body.reasons };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await run();
  return { value, ms: performance.now() - started };
}

/** A new session whose StartupMessage and first Query arrive in one write: the old ~50 ms window. */
async function pipelinedFirstStatement(port: number, sql: string): Promise<{ fields: Map<string, string>; ms: number; frames: string }> {
  const { value, ms } = await timed(async () => {
    const connection = await RawConnection.open(port);
    connection.write(Buffer.concat([serialize.startup({ user: 'agent', database: 'x' }), serialize.query(sql)]));
    return connection.untilClosed(BLOCK_TIMEOUT_MS + 5000);
  });
  const error = value.find((frame) => frame.type === 'E');
  assert.ok(error, `expected an ErrorResponse, got ${value.map((f) => f.type).join('')}`);
  return { fields: errorFields(error.payload), ms, frames: value.map((f) => f.type).join('') };
}

function assertStoreFatal(error: { code: string; message: string; hint?: string; severity?: string }, sqlState: string): void {
  assert.equal(error.code, sqlState, error.message);
  assert.match(error.message, /recordings for target orders-db cannot be stored/);
  assert.match(error.hint ?? '', /Free space in or repair the sidecar recording store, then reconnect/);
}

describe('recording store full or read-only', { skip: mountable ? false : 'needs root to mount a tmpfs' }, () => {
  test('Block, store full: nothing reaches the server, the agent hears 53100 within blockTimeout, /readyz turns false, and all recovers', async () => {
    await directQuery('CREATE TABLE victim_full (id int)');
    await withSidecar(
      { onStoreFailure: 'Block', blockTimeout: `${BLOCK_TIMEOUT_MS}ms`, flushTimeout: `${FLUSH_TIMEOUT_MS}ms` },
      async (fx) => {
        const open = await agent(fx.port);
        assert.equal((await open.query('SELECT 1 AS one')).rows[0].one, 1);
        assert.equal((await readiness(fx.healthUrl)).status, 200);
        const filler = fill(fx.mount.path);

        // An open session: its DROP is decided (allowed) but its records cannot be stored.
        const { value: error, ms } = await timed(() => sqlError(open.query(`${BIG_COMMENT} DROP TABLE victim_full`)));
        assertStoreFatal(error, '53100');
        assert.equal(error.severity, 'FATAL');
        assert.ok(ms >= BLOCK_TIMEOUT_MS - 50 && ms < BLOCK_TIMEOUT_MS + SLACK_MS, `the error came after ${ms} ms`);
        assert.ok(await tableExists('victim_full'), 'the DROP reached the server');

        const notReady = await readiness(fx.healthUrl);
        assert.equal(notReady.status, 503);
        assert.match(notReady.reasons.join('\n'), /recording store fail.*ENOSPC/);
        assert.ok((await metric(fx.healthUrl, 'airlock_sidecar_recording_store_failures_total')) >= 1);

        // A new session whose first statement is pipelined with its startup.
        const fresh = await pipelinedFirstStatement(fx.port, 'DROP TABLE victim_full');
        assert.equal(fresh.fields.get('S'), 'FATAL');
        assert.equal(fresh.fields.get('C'), '53100', fresh.fields.get('M'));
        assert.match(fresh.fields.get('M') ?? '', /the session was not opened/);
        assert.ok(!fresh.frames.includes('R'), `no AuthenticationOk before the FATAL: ${fresh.frames}`);
        assert.ok(fresh.ms < BLOCK_TIMEOUT_MS + SLACK_MS, `the FATAL came after ${fresh.ms} ms`);
        assert.ok(await tableExists('victim_full'), 'the pipelined DROP reached the server');
        // The closed sessions' recorders give up after flushTimeout and count what they lost.
        await waitUntil(
          async () =>
            (await metric(fx.healthUrl, 'airlock_sidecar_recording_lost_records_total')) > 0 &&
            (await metric(fx.healthUrl, 'airlock_sidecar_recording_blocked')) === 0,
          FLUSH_TIMEOUT_MS + 3000,
        );
        assert.equal((await readiness(fx.healthUrl)).status, 503, 'still not ready: nothing was stored since');

        rmSync(filler);
        const recovered = await agent(fx.port);
        try {
          assert.equal((await recovered.query('SELECT 1 AS one')).rows[0].one, 1);
        } finally {
          await recovered.end();
        }
        await waitUntil(async () => (await readiness(fx.healthUrl)).status === 200, 3000);
      },
    );
    assert.ok(await tableExists('victim_full'));
  });

  test('Continue, store full: traffic goes on and the lost records are counted', async () => {
    await directQuery('CREATE TABLE victim_continue (id int)');
    await withSidecar(
      { onStoreFailure: 'Continue', blockTimeout: `${BLOCK_TIMEOUT_MS}ms`, flushTimeout: `${FLUSH_TIMEOUT_MS}ms` },
      async (fx) => {
        const open = await agent(fx.port);
        await open.query('SELECT 1');
        fill(fx.mount.path);
        const { ms } = await timed(() => open.query(`${BIG_COMMENT} DROP TABLE victim_continue`));
        assert.ok(ms < BLOCK_TIMEOUT_MS, `Continue must not wait for the store (${ms} ms)`);
        assert.equal(await tableExists('victim_continue'), false, 'Continue forwards');
        // A new session opens although its session-open record is lost.
        const fresh = await agent(fx.port);
        assert.equal((await fresh.query('SELECT 2 AS two')).rows[0].two, 2);
        await waitUntil(async () => (await metric(fx.healthUrl, 'airlock_sidecar_recording_lost_records_total')) >= 4, 3000);
        assert.equal(await metric(fx.healthUrl, 'airlock_sidecar_recording_blocked'), 0);
        const notReady = await readiness(fx.healthUrl);
        assert.equal(notReady.status, 503, 'a failing store is visible under Continue too');
        assert.match(notReady.reasons.join('\n'), /ENOSPC/);
        await Promise.all([open.end(), fresh.end()]);
      },
    );
  });

  test('Block, store read-only: a new session gets 58030 and sends nothing upstream; shutdown while recorders retry ends within flushTimeout', async () => {
    await directQuery('CREATE TABLE victim_ro (id int)');
    await withSidecar(
      { onStoreFailure: 'Block', blockTimeout: `${BLOCK_TIMEOUT_MS}ms`, flushTimeout: `${FLUSH_TIMEOUT_MS}ms` },
      async (fx) => {
        const before = await agent(fx.port);
        await before.query('SELECT 1');
        await before.end();
        // Linux refuses to make a file system read-only while a file on it is open for writing: wait
        // until the closed session's recorder released its file.
        await waitUntil(async () => {
          try {
            fx.mount.remount('ro');
            return true;
          } catch {
            return false;
          }
        }, 5000);

        const fresh = await pipelinedFirstStatement(fx.port, 'DROP TABLE victim_ro');
        assert.equal(fresh.fields.get('S'), 'FATAL');
        assert.equal(fresh.fields.get('C'), '58030', fresh.fields.get('M'));
        assert.ok(fresh.ms < BLOCK_TIMEOUT_MS + SLACK_MS, `the FATAL came after ${fresh.ms} ms`);
        assert.ok(await tableExists('victim_ro'), 'the pipelined DROP reached the server');
        const { value: error, ms } = await timed(() => sqlError(agent(fx.port)));
        assertStoreFatal(error, '58030');
        assert.ok(ms < BLOCK_TIMEOUT_MS + SLACK_MS, `the FATAL came after ${ms} ms`);
        const notReady = await readiness(fx.healthUrl);
        assert.equal(notReady.status, 503);
        assert.match(notReady.reasons.join('\n'), /EROFS/);

        // Shut down while the refused sessions' recorders still retry.
        const third = pipelinedFirstStatement(fx.port, 'SELECT 1').catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 100));
        const { ms: closeMs } = await timed(() => fx.close());
        assert.ok(closeMs < FLUSH_TIMEOUT_MS + SLACK_MS, `shutdown took ${closeMs} ms`);
        await third;
        fx.mount.remount('rw');
      },
    );
    assert.ok(await tableExists('victim_ro'));
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
