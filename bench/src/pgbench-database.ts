/**
 * The PostgreSQL both pgbench benchmarks (run.ts, broker-bench.ts) measure against: a testkit
 * server with room for the clients, pgbench's tables filled at the given scale, and the direct
 * endpoint as its SCRAM user. Stops the server again if the tables cannot be made.
 */
import { join } from 'node:path';
import { PostgresServer } from '@airlock/testkit';
import { type PgbenchEndpoint, pgbenchInit } from './pgbench.ts';

export interface PgbenchDatabase {
  readonly server: PostgresServer;
  /** The pgbench binary of the server's PostgreSQL. */
  readonly pgbench: string;
  /** Straight to PostgreSQL, with the password. */
  readonly direct: PgbenchEndpoint & { readonly user: string; readonly password: string };
}

export async function startPgbenchDatabase(scale: number, log: (message: string) => void): Promise<PgbenchDatabase> {
  log('starting PostgreSQL');
  const server = await PostgresServer.start({ settings: { max_connections: 100 } });
  try {
    const pgbench = join(server.binaries.binDir, 'pgbench');
    const { user, password } = server.users.scram_user;
    const direct = { host: server.host, port: server.port, database: server.database, user, password };
    log(`pgbench -i -s ${scale}`);
    await pgbenchInit(pgbench, direct, scale);
    return { server, pgbench, direct };
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}
