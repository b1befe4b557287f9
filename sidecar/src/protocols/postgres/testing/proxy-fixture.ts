/**
 * A real PostgreSQL (from the e2e harness) with the sidecar in front of it, wired with the
 * in-process seams: static config and credentials, the in-process approval gate, JSONL recordings
 * in a temp dir. Tests drive reviewers through `gate` and read recordings from `recordingsDir`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApprovalPolicySpec, TargetSpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import type { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import type { AgentPrincipal, PostgresCredentials, TargetConfig } from '../../../core/ports.ts';
import type { InProcessApprovalGate } from '../../../in-process/in-process-gate.ts';
import { startStaticSidecar } from '../../../in-process/static-sidecar.ts';
import type { RunningSidecar } from '../../../sidecar.ts';
import type { PgLimits } from '../limits/pg-limits.ts';
import { SqlClassifier } from '../sql/classifier.ts';

export const PRINCIPAL: AgentPrincipal = {
  identity: 'ci-migrations',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:ci-migrations',
  pod: { name: 'migrate-7kq2x', uid: '5f0c7a2e-1111-4c8e-9d1e-000000000001' },
  groups: ['ci'],
};

export const MASKING_KEY = 'a-test-masking-key-of-32-bytes!!';

/** Reads and sane writes pass, DDL and unbounded writes need db-owners, TRUNCATE never; e-mails hashed, cards last-4. */
export const TEST_POLICY: ApprovalPolicySpec = {
  rules: [
    { name: 'no-truncate', match: { sql: { commands: ['TRUNCATE'] } }, action: 'deny', message: 'Use DELETE with a WHERE clause.' },
    { name: 'dangerous', match: { sql: { statementKinds: ['dangerous', 'privilege', 'admin'] } }, action: 'deny' },
    { name: 'ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'requireApproval' },
    { name: 'unbounded-writes', match: { sql: { writesWithoutWhere: true } }, action: 'requireApproval' },
    { name: 'reads-and-writes', match: { sql: { statementKinds: ['read', 'write', 'transaction', 'session'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
  approval: { approvers: { groups: ['db-owners'] }, requiredApprovals: 1, ttl: '5m' },
  masking: {
    hashKeySecretRef: { name: 'masking-key', key: 'key' },
    rules: [
      { name: 'emails', columns: ['email', '*_email'], strategy: 'hash' },
      { name: 'cards', columns: ['card_number'], strategy: 'partial', keepLast: 4 },
    ],
  },
};

export interface ProxyFixtureOptions {
  readonly policy?: ApprovalPolicySpec;
  readonly user?: keyof PostgresServer['users'];
  readonly targetSpec?: Partial<TargetSpec>;
  readonly credentials?: PostgresCredentials;
  readonly limits?: Partial<PgLimits>;
  readonly agentTokens?: Readonly<Record<string, AgentPrincipal>>;
}

export interface ProxyFixture {
  readonly sidecar: RunningSidecar;
  readonly port: number;
  readonly gate: InProcessApprovalGate;
  readonly recordingsDir: string;
  readonly target: TargetConfig;
  close(): Promise<void>;
}

let classifier: Promise<SqlClassifier> | undefined;

export async function startProxy(server: PostgresServer, options: ProxyFixtureOptions = {}): Promise<ProxyFixture> {
  classifier ??= SqlClassifier.create();
  const sql = await classifier;
  const user = options.user ?? 'scram_user';
  const target: TargetConfig = {
    name: 'orders-db',
    namespace: 'agents',
    labels: { env: 'test' },
    spec: {
      type: 'postgres',
      localPort: 5432,
      postgres: { host: server.host, port: server.port, database: server.database },
      recording: { onStoreFailure: 'Block' },
      ...options.targetSpec,
    },
  };
  const recordingsDir = mkdtempSync(join(tmpdir(), 'airlock-recordings-'));
  const { sidecar, gate, close } = await startStaticSidecar({
    config: {
      principal: PRINCIPAL,
      targets: [target],
      policies: [{ name: 'test-policy', namespace: 'agents', spec: options.policy ?? TEST_POLICY }],
      maskingKeys: { 'masking-key/key': MASKING_KEY },
    },
    credentials: {
      'orders-db': options.credentials ?? { username: server.users[user].user, password: server.users[user].password },
    },
    ...(options.agentTokens ? { agentTokens: options.agentTokens } : {}),
    recordings: { directory: recordingsDir, fsync: 'never' },
    classifier: sql,
    logger: createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' }),
    listenHost: '127.0.0.1',
    ports: { 'orders-db': 0 },
    limits: { connectTimeoutMs: 5000, startupTimeoutMs: 5000, ...options.limits },
    recorderOptions: { maxBatchDelayMs: 5 },
  });
  return {
    sidecar,
    port: sidecar.ports['orders-db'] ?? 0,
    gate,
    recordingsDir,
    target,
    close: async () => {
      await close();
      rmSync(recordingsDir, { recursive: true, force: true });
    },
  };
}

/** One statement straight to the server as scram_user, bypassing the sidecar: setup and checks. */
export async function directQuery(server: PostgresServer, sql: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: server.connectionString('scram_user') });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
