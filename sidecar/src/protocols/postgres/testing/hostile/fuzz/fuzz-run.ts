/**
 * The fuzzer against a real PostgreSQL with the sidecar in front: generated cases go through the
 * sidecar on many connections, and after each batch it checks that the sidecar still accepts and
 * serves a fresh session, that the sentinel table the forbidden statements target is untouched,
 * and that no statement the policy forbids appears in the server's own statement log. The server
 * and the sidecar are stopped even when a check fails.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { SqlClassifier } from '../../../sql/classifier.ts';
import { type ProxyFixture, startProxy } from '../../proxy-fixture.ts';
import { RawConnection } from '../../raw-session.ts';
import { type FuzzCase, nextCase } from './fuzz-cases.ts';
import { FUZZ_POLICY, FuzzOracle } from './fuzz-oracle.ts';
import { SENTINEL, SENTINEL_ROWS } from './fuzz-sql.ts';
import { SeededRandom } from './seeded-random.ts';
import { ServerStatementLog, STATEMENT_LOG_SETTINGS } from './server-log.ts';

export interface FuzzOptions {
  readonly seed: number;
  readonly cases: number;
  /** Cases between two checks. Default 200. */
  readonly batchSize?: number;
  readonly log?: (line: string) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly cases: number;
  readonly connections: number;
  readonly batches: number;
  /** Statements the server logged from the sidecar's sessions (all checked against the policy). */
  readonly statementsLogged: number;
  readonly milliseconds: number;
}

/** The application_name of the fuzzer's own direct connections, whose statements are not judged. */
const ORACLE_APP = 'airlock-fuzz-oracle';
const CASES_PER_CONNECTION = 60;
const REPLY_TIMEOUT_MS = 15_000;

const SETUP = `
CREATE TABLE ${SENTINEL} (v int);
INSERT INTO ${SENTINEL} SELECT generate_series(1, ${SENTINEL_ROWS});
CREATE TABLE fuzz_items (id int PRIMARY KEY, name text);
INSERT INTO fuzz_items VALUES (1, 'Ada'), (2, 'Bob');
CREATE SEQUENCE fuzz_seq;
`;

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const server = await PostgresServer.start({ settings: STATEMENT_LOG_SETTINGS });
  let proxy: ProxyFixture | undefined;
  try {
    const direct = async (sql: string): Promise<pg.QueryResult> => {
      const client = new pg.Client({ connectionString: server.connectionString('scram_user'), application_name: ORACLE_APP });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await direct(SETUP);
    // The fuzzer opens connections far faster than an agent would: the accept-rate limit is not under test.
    proxy = await startProxy(server, { policy: FUZZ_POLICY, limits: { acceptRatePerSecond: 1_000_000 } });
    const log = new ServerStatementLog(server.dataDir);
    const oracle = new FuzzOracle(await SqlClassifier.create());
    const random = new SeededRandom(options.seed);
    const batchSize = options.batchSize ?? 200;
    const state = { cases: 0, connections: 0, batches: 0, statementsLogged: 0 };
    const where = (): string => `seed ${options.seed}, before case ${state.cases}`;

    while (state.cases < options.cases) {
      const batchEnd = Math.min(options.cases, state.cases + batchSize);
      while (state.cases < batchEnd) {
        const planned: FuzzCase[] = [];
        const wanted = Math.min(batchEnd - state.cases, 1 + random.int(CASES_PER_CONNECTION));
        while (planned.length < wanted) {
          const next = nextCase(random);
          planned.push(next);
          if (next.kind === 'terminal') break;
        }
        state.connections++;
        await runConnection(proxy.port, planned, random.chance(0.03), where());
        state.cases += planned.length;
      }
      state.batches++;
      state.statementsLogged += await checkBatch(proxy.port, direct, log, oracle, server.users.scram_user.user, state.batches, where());
      options.log?.(
        `batch ${state.batches}: ${state.cases} cases, ${state.connections} connections, ${state.statementsLogged} statements logged`,
      );
    }
    return { seed: options.seed, ...state, milliseconds: Math.round(performance.now() - started) };
  } finally {
    await proxy?.close();
    await server.stop();
  }
}

/**
 * One connection: its session cases pipelined in one write (each must be answered with one
 * ReadyForQuery), then its terminal case if it has one, then the fuzzer hangs up and the sidecar
 * must close. `beforeStartup` sends the garbage instead of a StartupMessage.
 */
async function runConnection(port: number, cases: readonly FuzzCase[], beforeStartup: boolean, where: string): Promise<void> {
  const terminal = cases.at(-1)?.kind === 'terminal' ? cases.at(-1) : undefined;
  if (beforeStartup && terminal) {
    const raw = await RawConnection.open(port);
    raw.write(terminal.bytes);
    raw.socket.end();
    await raw.untilClosed(REPLY_TIMEOUT_MS);
    return;
  }
  const connection = await RawConnection.session(port);
  try {
    const session = cases.filter((c) => c.kind === 'session');
    if (session.length > 0) {
      connection.write(Buffer.concat(session.map((c) => c.bytes)));
      try {
        await connection.untilReady(session.length, REPLY_TIMEOUT_MS);
      } catch (error) {
        assert.fail(
          `${where}: well-framed cases were not all answered: ${(error as Error).message}\n${session.map((c) => c.label).join('\n')}`,
        );
      }
    }
    connection.write(terminal ? terminal.bytes : serialize.end());
    connection.socket.end();
    await connection.untilClosed(REPLY_TIMEOUT_MS);
  } finally {
    connection.close();
  }
}

/** The checks after a batch; returns how many statements from the sidecar the server logged. */
async function checkBatch(
  port: number,
  direct: (sql: string) => Promise<pg.QueryResult>,
  log: ServerStatementLog,
  oracle: FuzzOracle,
  sidecarUser: string,
  batch: number,
  where: string,
): Promise<number> {
  // The sidecar still listens and serves a fresh session.
  const agent = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'any' });
  await agent.connect();
  try {
    assert.equal((await agent.query('SELECT 1 AS one')).rows[0]?.one, 1, `${where}: a fresh session works`);
  } finally {
    await agent.end();
  }
  // Nothing the forbidden statements aim at changed.
  const { rows } = await direct(`SELECT (SELECT count(*)::int FROM ${SENTINEL}) AS n`);
  assert.equal(rows[0]?.n, SENTINEL_ROWS, `${where}: the sentinel table was written to`);
  // And the server's own log shows no forbidden statement: read up to a marker logged after the batch.
  const marker = `airlock-fuzz-mark-${batch}`;
  await direct(`SELECT '${marker}'`);
  let seen = 0;
  const violations: string[] = [];
  for (const deadline = Date.now() + 10_000; ; ) {
    let found = false;
    for (const statement of log.readNew()) {
      if (statement.applicationName === ORACLE_APP) {
        found ||= statement.text.includes(marker);
        continue;
      }
      // The harness's own setup (passwords, as the superuser) is not the sidecar's doing.
      if (statement.userName !== sidecarUser) continue;
      seen++;
      const why = oracle.forbidden(statement.text);
      if (why !== undefined) violations.push(`${JSON.stringify(statement.text)} (${why})`);
    }
    if (found) break;
    if (Date.now() > deadline) assert.fail(`${where}: the server log never showed ${marker}`);
    await sleep(20);
  }
  assert.deepEqual(violations, [], `${where}: statements the policy forbids reached the server`);
  return seen;
}
