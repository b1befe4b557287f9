/**
 * A PostgreSQL session authenticated with the agent's own token ends when the token expires
 * (core/session/token-expiry.ts), end to end in broker mode: node-postgres through the sidecar's
 * real listener to a real PostgreSQL, the broker a real HTTPS server (broker/testing/fake-broker.ts)
 * that answers each token with a principal expiring a few seconds later. The session ends the way
 * a graceful drain ends it: an idle one at once, one with a statement in flight once the statement
 * is answered, or cut when the grace is over; the agent reads FATAL 28000 saying so, the upstream
 * connection closes, and the recording's session.close says `token-expired`. A session of the
 * pod's own identity is untouched. No assertion is on time: the tests wait for the event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentPrincipal, POD_IDENTITY_PASSWORD, type SidecarConfig } from '@airlock/contracts/broker';
import type { StoredRecord } from '@airlock/contracts/recording';
import { createLogger } from '@airlock/runtime';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { type BrokerSidecar, startBrokerSidecar } from '../../broker/broker-sidecar.ts';
import { type FakeBroker, startFakeBroker } from '../../broker/testing/fake-broker.ts';
import type { TargetConfig } from '../../core/ports.ts';
import { TOKEN_EXPIRED_CODE, TOKEN_EXPIRED_REASON } from '../../core/session/token-expiry.ts';
import { SqlClassifier } from './sql/classifier.ts';
import { waitFor } from './testing/raw-session.ts';

const POD: AgentPrincipal = {
  identity: 'ci-runner',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:runner',
  pod: { name: 'runner-1', uid: 'uid-1' },
  groups: [],
  targets: ['orders-db'],
};

/** Generous: the tests wait for events, and a slow machine must not fail them. */
const EVENT_TIMEOUT_MS = 30_000;
/** How long after the broker's answer a token expires: long enough to connect and send a statement first. */
const TOKEN_LIFE_MS = 2_500;

let server: PostgresServer;
let broker: FakeBroker;
let sidecar: BrokerSidecar;
let port: number;
/** The expiry the broker answered for each token. */
const expiries = new Map<string, string>();

before(async () => {
  server = await PostgresServer.start();
  const target: TargetConfig = {
    name: 'orders-db',
    namespace: 'agents',
    labels: {},
    spec: { type: 'postgres', localPort: 5432, postgres: { host: server.host, port: server.port, database: server.database } },
  };
  const config: SidecarConfig = {
    principal: POD,
    tokenTargets: ['orders-db'],
    targets: [target],
    policies: [
      {
        name: 'allow-all',
        namespace: 'agents',
        // Advisory locks count as writes: everything is allowed, the token's expiry is what ends sessions here.
        spec: { rules: [], defaultAction: 'allow' },
      },
    ],
    maskingKeys: {},
  };
  const user = server.users.scram_user;
  broker = await startFakeBroker({
    config,
    // Every token is good, and expires TOKEN_LIFE_MS after the broker answered for it.
    agentTokens: (token) => {
      const expiresAt = new Date(Date.now() + TOKEN_LIFE_MS).toISOString();
      expiries.set(token, expiresAt);
      return { principal: { ...POD, identity: 'repo-main', issuer: 'https://ci.example', expiresAt } };
    },
    credentials: { 'orders-db': { type: 'postgres', username: user.user, password: user.password } },
  });
  sidecar = await startBrokerSidecar({
    broker: broker.client,
    classifier: await SqlClassifier.create(),
    logger: createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' }),
    listenHost: '127.0.0.1',
    ports: { 'orders-db': 0 },
    limits: { connectTimeoutMs: 5000, startupTimeoutMs: 5000 },
    recorderOptions: { maxBatchDelayMs: 5 },
  });
  port = sidecar.sidecar.ports['orders-db'] ?? 0;
});

after(async () => {
  await sidecar?.close();
  await broker?.close();
  await server?.stop();
});

interface AgentClient {
  readonly client: pg.Client;
  /** The first error the client emitted outside a query: the FATAL that ends the session. */
  readonly fatal: Promise<pg.DatabaseError>;
  /** Resolves when the connection has ended. */
  readonly ended: Promise<void>;
}

async function agent(password: string, applicationName: string): Promise<AgentClient> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'any', password, application_name: applicationName });
  // The FATAL comes first; node-postgres then also reports the close as an error, which must have a listener too.
  const fatal = new Promise<pg.DatabaseError>((resolve) => client.on('error', (error) => resolve(error as pg.DatabaseError)));
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  await client.connect();
  return { client, fatal, ended };
}

/** A client straight to the server, bypassing the sidecar. */
async function direct(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.connectionString() });
  await client.connect();
  return client;
}

/** Server backends of the sessions that connected with `applicationName`. */
async function backends(applicationName: string): Promise<number> {
  const client = await direct();
  try {
    const result = await client.query<{ count: string }>('SELECT count(*) FROM pg_stat_activity WHERE application_name = $1', [
      applicationName,
    ]);
    return Number(result.rows[0]?.count);
  } finally {
    await client.end();
  }
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + EVENT_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('the condition was not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The records of the session that connected with `applicationName`, as the broker stored them. */
function recordsOf(applicationName: string): StoredRecord[] {
  for (const records of broker.recordings.values()) {
    const open = records.find((record) => record.event.type === 'session.open')?.event as
      | { startupParameters?: Record<string, string> }
      | undefined;
    if (open?.startupParameters?.application_name === applicationName) return records;
  }
  return [];
}

const closeOf = (records: StoredRecord[]) =>
  records.find((record) => record.event.type === 'session.close')?.event as { reason?: string } | undefined;

const expiredMessage = (token: string) => `airlock: your token expired at ${expiries.get(token)}; reconnect with a fresh token`;

describe('a PostgreSQL session ends when the agent’s token expires', { timeout: 3 * EVENT_TIMEOUT_MS }, () => {
  test('an idle session: FATAL 28000 saying so, both connections close, token-expired recorded; a pod-identity session goes on', async () => {
    const token = 'token-idle';
    const pod = await agent(POD_IDENTITY_PASSWORD, 'expiry-pod');
    const session = await agent(token, 'expiry-idle');
    try {
      assert.equal((await session.client.query('SELECT 41 + 1 AS answer')).rows[0]?.answer, 42);
      const fatal = await session.fatal;
      assert.deepEqual(
        { severity: fatal.severity, code: fatal.code, message: fatal.message },
        { severity: 'FATAL', code: '28000', message: expiredMessage(token) },
      );
      await session.ended;
      await eventually(async () => (await backends('expiry-idle')) === 0);
      await waitFor(() => closeOf(recordsOf('expiry-idle')) !== undefined, EVENT_TIMEOUT_MS);
      const records = recordsOf('expiry-idle');
      assert.equal(closeOf(records)?.reason, TOKEN_EXPIRED_REASON);
      assert.ok(
        records.some((record) => record.event.type === 'error' && record.event.code === TOKEN_EXPIRED_CODE),
        'the expiry is recorded as an error of the session',
      );
      // The pod's own identity has no expiry: its session outlived the token's and still works.
      assert.equal((await pod.client.query('SELECT 1 AS one')).rows[0]?.one, 1);
      assert.equal(await backends('expiry-pod'), 1);
    } finally {
      await pod.client.end();
      await session.client.end().catch(() => undefined);
    }
  });

  test('a statement in flight at the expiry is answered, then the session ends (as in a graceful drain)', async () => {
    const token = 'token-in-flight';
    const locker = await direct();
    await locker.query('SELECT pg_advisory_lock(4242)');
    const session = await agent(token, 'expiry-in-flight');
    try {
      // Blocks on the lock the test holds, until the test lets it go after the expiry.
      const answer = session.client.query('SELECT pg_advisory_lock(4242), 7 AS seven');
      await waitFor(
        () => recordsOf('expiry-in-flight').some((r) => r.event.type === 'error' && r.event.code === TOKEN_EXPIRED_CODE),
        EVENT_TIMEOUT_MS,
      );
      const order = recordsOf('expiry-in-flight').map((r) => r.event.type);
      assert.ok(order.indexOf('statement') < order.indexOf('error'), `the statement went before the expiry: ${order.join(', ')}`);
      await locker.query('SELECT pg_advisory_unlock(4242)');
      assert.equal((await answer).rows[0]?.seven, 7, 'the statement in flight was answered');
      const fatal = await session.fatal;
      assert.deepEqual(
        { code: fatal.code, message: fatal.message, hint: fatal.hint },
        {
          code: '28000',
          message: expiredMessage(token),
          hint: undefined,
        },
      );
      await session.ended;
      await eventually(async () => (await backends('expiry-in-flight')) === 0);
    } finally {
      await locker.end();
      await session.client.end().catch(() => undefined);
    }
  });

  test('a statement still running when the grace is over is cut: FATAL 28000 says it may or may not have run', async () => {
    const token = 'token-cut';
    const locker = await direct();
    await locker.query('SELECT pg_advisory_lock(4343)');
    const session = await agent(token, 'expiry-cut');
    try {
      // The FATAL answers the statement that was running: node-postgres rejects the query with it.
      const fatal = (await session.client.query('SELECT pg_advisory_lock(4343)').then(
        () => assert.fail('the statement was answered'),
        (error: pg.DatabaseError) => error,
      )) as pg.DatabaseError;
      assert.deepEqual(
        { severity: fatal.severity, code: fatal.code, message: fatal.message },
        {
          severity: 'FATAL',
          code: '28000',
          message: expiredMessage(token),
        },
      );
      assert.match(fatal.hint ?? '', /may or may not have run/);
      await session.ended;
      await waitFor(() => closeOf(recordsOf('expiry-cut')) !== undefined, EVENT_TIMEOUT_MS);
      assert.equal(closeOf(recordsOf('expiry-cut'))?.reason, TOKEN_EXPIRED_REASON);
      // The server's backend notices the closed connection once the lock lets it go on.
      await locker.query('SELECT pg_advisory_unlock(4343)');
      await eventually(async () => (await backends('expiry-cut')) === 0);
    } finally {
      await locker.end();
      await session.client.end().catch(() => undefined);
    }
  });
});
