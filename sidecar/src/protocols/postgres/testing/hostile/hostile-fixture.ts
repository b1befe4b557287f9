/**
 * A real PostgreSQL and two sidecars in front of it for the hostile-input suite: one enforcing a
 * permissive policy (everything is allowed except DDL and deletes: `match: {}` allow, the kind of
 * policy under which a pinned setting must still hold), one in audit mode (everything runs).
 * The server and sidecars stop in `close()`, which the suites call from `after`, also on failure.
 */
import assert from 'node:assert/strict';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { PostgresServer, type PostgresServerOptions } from '@airlock/testkit';
import pg from 'pg';
import { type ProxyFixture, startProxy } from '../proxy-fixture.ts';
import { VICTIM } from './lexing-attacks.ts';

export const PERMISSIVE_POLICY: ApprovalPolicySpec = {
  rules: [
    { name: 'no-ddl', match: { sql: { statementKinds: ['ddl'] } }, action: 'deny' },
    { name: 'no-deletes', match: { sql: { commands: ['DELETE', 'TRUNCATE'] } }, action: 'deny' },
    { name: 'everything-else', match: {}, action: 'allow' },
  ],
  defaultAction: 'deny',
};

export const AUDIT_POLICY: ApprovalPolicySpec = { mode: 'audit', rules: [], defaultAction: 'deny' };

export interface HostileFixture {
  readonly server: PostgresServer;
  readonly permissive: ProxyFixture;
  readonly audit: ProxyFixture;
  /** A client through a sidecar, as the agent. */
  agent(proxy?: ProxyFixture): Promise<pg.Client>;
  /** One statement straight to the server as the sidecar's user, bypassing the sidecar. */
  direct(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** One statement straight to the server as the superuser. */
  superuser(sql: string): Promise<void>;
  /** (Re)creates the victim table: the attacks drop it when they get through. */
  resetVictim(): Promise<void>;
  /** Fails when the victim table is gone: a forbidden statement ran. */
  assertVictimIntact(what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startHostileFixture(options: PostgresServerOptions = {}): Promise<HostileFixture> {
  const server = await PostgresServer.start(options);
  const proxies: ProxyFixture[] = [];
  try {
    // Many short sessions in a row: the accept-rate limit is not under test here.
    const limits = { acceptRatePerSecond: 1_000_000 };
    proxies.push(await startProxy(server, { policy: PERMISSIVE_POLICY, limits }));
    proxies.push(await startProxy(server, { policy: AUDIT_POLICY, limits }));
  } catch (error) {
    await Promise.allSettled(proxies.map((proxy) => proxy.close()));
    await server.stop();
    throw error;
  }
  const [permissive, audit] = proxies as [ProxyFixture, ProxyFixture];
  const direct = async (sql: string, values?: unknown[]): Promise<pg.QueryResult> => {
    const client = new pg.Client({ connectionString: server.connectionString('scram_user') });
    await client.connect();
    try {
      return await client.query(sql, values);
    } finally {
      await client.end();
    }
  };
  return {
    server,
    permissive,
    audit,
    agent: async (proxy = permissive) => {
      const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'agent', database: 'any' });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    direct,
    superuser: async (sql) => {
      const result = await server.psql(['-v', 'ON_ERROR_STOP=1', '-c', sql]);
      assert.equal(result.code, 0, `${sql}: ${result.stderr}`);
    },
    resetVictim: async () => {
      await direct(`CREATE TABLE IF NOT EXISTS ${VICTIM} (id int)`);
    },
    assertVictimIntact: async (what) => {
      const { rows } = await direct(`SELECT to_regclass('public.${VICTIM}') IS NOT NULL AS present`);
      assert.equal(rows[0]?.present, true, `${what}: the server ran DROP TABLE ${VICTIM}`);
    },
    close: async () => {
      await Promise.allSettled(proxies.map((proxy) => proxy.close()));
      await server.stop();
    },
  };
}
