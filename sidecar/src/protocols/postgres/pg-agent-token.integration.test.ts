/**
 * An agent's own token as the PostgreSQL password, end to end in broker mode: psql and
 * node-postgres through the sidecar's real listener to a real PostgreSQL, the sidecar wired to a
 * real HTTPS server speaking the broker protocol (broker/testing/fake-broker.ts). The session is
 * the token's principal (as recorded), its credential and approval requests carry the token, a
 * refused token is a FATAL 28000 naming the reason, and the pod-identity password is the pod.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AgentPrincipal, BROKER_PATHS, POD_IDENTITY_PASSWORD, type SidecarConfig } from '@airlock/contracts/broker';
import type { StoredRecord } from '@airlock/contracts/recording';
import { createLogger } from '@airlock/runtime';
import { PostgresServer, runPsql } from '@airlock/testkit';
import pg from 'pg';
import { type BrokerSidecar, startBrokerSidecar } from '../../broker/broker-sidecar.ts';
import { type FakeBroker, startFakeBroker } from '../../broker/testing/fake-broker.ts';
import type { TargetConfig } from '../../core/ports.ts';
import { SqlClassifier } from './sql/classifier.ts';
import { sqlError, waitFor } from './testing/raw-session.ts';

const POD: AgentPrincipal = {
  identity: 'ci-runner',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:runner',
  pod: { name: 'runner-1', uid: 'uid-1' },
  groups: [],
  targets: ['orders-db'],
};

const AGENT: AgentPrincipal = {
  ...POD,
  identity: 'repo-main',
  groups: ['deployers'],
  onBehalfOf: 'alice@example.com',
  issuer: 'https://ci.example',
  targets: ['orders-db'],
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
};

const GOOD_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.agent-main.signature';

let server: PostgresServer;
let broker: FakeBroker;
let sidecar: BrokerSidecar;
let port: number;

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
        name: 'reads',
        namespace: 'agents',
        spec: {
          rules: [
            { name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' },
            { name: 'ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'requireApproval' },
          ],
          defaultAction: 'deny',
          approval: { approvers: { groups: ['db-owners'] }, requiredApprovals: 1, ttl: '5m' },
        },
      },
    ],
    maskingKeys: {},
  };
  const user = server.users.scram_user;
  broker = await startFakeBroker({
    config,
    agentTokens: (token) =>
      token === GOOD_TOKEN
        ? { principal: AGENT }
        : { refuse: { code: 'AgentTokenRefused', reason: 'WrongAudience', message: 'the token is for audience other-app, not airlock' } },
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

const psql = (password: string, sql: string) =>
  runPsql('psql', { host: '127.0.0.1', port, database: 'any', user: 'agent', password }, ['-X', '-At', '-c', sql]);

/** Every session.open the broker stored, once it holds at least `count` sessions that opened. */
async function openedSessions(count: number): Promise<StoredRecord[]> {
  await waitFor(
    () => [...broker.recordings.values()].filter((records) => records.some((r) => r.event.type === 'session.open')).length >= count,
  );
  return [...broker.recordings.values()].flatMap((records) => records.filter((r) => r.event.type === 'session.open'));
}

const principalOf = (record: StoredRecord) => (record.event as { principal?: { identity?: string; onBehalfOf?: string } }).principal;

describe('an agent token as the PostgreSQL password', () => {
  test('psql with the token: the session is the token’s principal, and its credentials were asked for with the token', async () => {
    const sessionsBefore = broker.recordings.size;
    const result = await psql(GOOD_TOKEN, 'SELECT 40 + 2');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '42');
    const opened = await openedSessions(sessionsBefore + 1);
    const last = opened.at(-1);
    assert.ok(last);
    assert.deepEqual(
      { identity: principalOf(last)?.identity, onBehalfOf: principalOf(last)?.onBehalfOf },
      { identity: 'repo-main', onBehalfOf: 'alice@example.com' },
    );
    assert.deepEqual(broker.callsTo(BROKER_PATHS.agentTokens).at(-1)?.body, { token: GOOD_TOKEN });
    assert.deepEqual(broker.callsTo(BROKER_PATHS.credentials).at(-1)?.body, { target: 'orders-db', agentToken: GOOD_TOKEN });
    assert.doesNotMatch(JSON.stringify([...broker.recordings.values()]), /agent-main\.signature/, 'the token is never recorded');
  });

  test('a held statement’s approval request carries the token, so the broker makes its identity the requester', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'any', password: GOOD_TOKEN });
    await client.connect();
    try {
      const error = await sqlError(client.query('CREATE TABLE held_for_review (id int)'));
      assert.match(error.message, /denied/i);
      const created = broker.callsTo(BROKER_PATHS.approvals).at(-1)?.body as { agentToken?: string; draft?: unknown } | undefined;
      assert.equal(created?.agentToken, GOOD_TOKEN);
      assert.ok(created?.draft, 'the draft was sent');
    } finally {
      await client.end();
    }
  });

  test('a refused token: FATAL 28000 with the reason and the broker’s message, nothing reaches the server', async () => {
    const credentialCalls = broker.callsTo(BROKER_PATHS.credentials).length;
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'any', password: 'a-token-for-another-app' });
    const error = await sqlError(client.connect());
    assert.equal(error.code, '28000');
    assert.equal(error.severity, 'FATAL');
    assert.equal(error.message, 'airlock: token refused (WrongAudience): the token is for audience other-app, not airlock');
    assert.equal(broker.callsTo(BROKER_PATHS.credentials).length, credentialCalls, 'no credentials were fetched for a refused agent');
    const viaPsql = await psql('a-token-for-another-app', 'SELECT 1');
    assert.notEqual(viaPsql.code, 0);
    assert.match(viaPsql.stderr, /token refused \(WrongAudience\)/);
  });

  test('the pod-identity password is the pod’s own principal; its credentials are asked for without a token', async () => {
    const sessionsBefore = broker.recordings.size;
    const result = await psql(POD_IDENTITY_PASSWORD, 'SELECT 1');
    assert.equal(result.code, 0, result.stderr);
    const last = (await openedSessions(sessionsBefore + 1)).at(-1);
    assert.ok(last);
    assert.equal(principalOf(last)?.identity, 'ci-runner');
    assert.deepEqual(broker.callsTo(BROKER_PATHS.credentials).at(-1)?.body, { target: 'orders-db' });
  });
});
