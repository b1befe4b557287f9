/**
 * The broker benchmark's moving parts against real peers: a control plane with airlock installed,
 * the operator as its own program (broker-process.ts), PostgreSQL, and the broker sidecar process.
 * A query through the sidecar is answered with the policy the broker served (masking included),
 * its statement is in the broker's ingest directory when the answer arrives (recording Block: stored
 * before forwarded), and both processes answer the stats line protocol the benchmark reads.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { eventually, PostgresServer, runPsql } from '@airlock/testkit';
import { type BrokerBenchCluster, startBrokerBenchCluster } from './broker-bench-cluster.ts';
import { BENCH_NAMESPACE, BENCH_POD, BENCH_TARGET } from './broker-bench-objects.ts';
import { countIngested } from './broker-ingest-count.ts';
import type { BrokerSidecarProcessConfig } from './broker-sidecar-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

let pg: PostgresServer | undefined;
let cluster: BrokerBenchCluster | undefined;
let sidecar: SidecarProcess | undefined;

before(
  async () => {
    pg = await PostgresServer.start();
    const user = pg.users.scram_user;
    cluster = await startBrokerBenchCluster({
      host: pg.host,
      port: pg.port,
      database: pg.database,
      username: user.user,
      password: user.password,
    });
    const config: BrokerSidecarProcessConfig = {
      brokerUrl: cluster.brokerUrl,
      caPem: cluster.caPem,
      tokenFile: cluster.tokenFile,
      target: BENCH_TARGET,
    };
    sidecar = await SidecarProcess.start(
      join(HERE, 'broker-sidecar-process.ts'),
      'broker sidecar',
      config,
      sidecarNodeFlags(256 * 1024 * 1024),
    );
  },
  { timeout: 120_000 },
);

after(async () => {
  await sidecar?.stop();
  await cluster?.close();
  await pg?.stop();
});

test('the broker sidecar process serves a query with the broker’s policy and the broker stores its record first', async () => {
  assert.ok(pg && cluster && sidecar);
  const probe = `broker-bench-probe-${process.pid}`;
  const email = 'agent.owner@example.com';
  const answer = await runPsql(
    join(pg.binaries.binDir, 'psql'),
    { host: '127.0.0.1', port: sidecar.port, database: pg.database, user: 'agent', sslMode: 'disable' },
    ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', `SELECT '${probe}' AS label, '${email}' AS email`],
    { timeoutMs: 60_000 },
  );
  assert.equal(answer.code, 0, answer.stderr);
  assert.ok(answer.stdout.includes(probe), answer.stdout);
  // FULL_POLICY hashes the email column: the policy and its masking key came from the broker.
  assert.ok(!answer.stdout.includes(email), `the email column was not masked: ${answer.stdout}`);

  const sessions = join(cluster.recordingsDir, BENCH_NAMESPACE, BENCH_POD);
  // psql has its answer before the sidecar has posted the session's last records (session.close
  // comes after the agent hung up): count only once the session is closed in the store.
  const lines = await eventually(
    'the session’s records up to session.close in the broker’s store',
    () => {
      const files = readdirSync(sessions).filter((name) => name.endsWith('.jsonl'));
      assert.equal(files.length, 1, `one session file expected in ${sessions}: ${files.join(', ')}`);
      const stored = readFileSync(join(sessions, files[0] ?? ''), 'utf8')
        .trimEnd()
        .split('\n');
      return stored.some((line) => line.includes('"type":"session.close"')) ? stored : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  const files = readdirSync(sessions).filter((name) => name.endsWith('.jsonl'));
  assert.ok(
    lines.some((line) => line.includes(probe)),
    `the statement is not among the ${lines.length} stored records`,
  );
  assert.deepEqual(countIngested(cluster.recordingsDir), {
    files: 1,
    records: lines.length,
    bytes: readFileSync(join(sessions, files[0] ?? '')).length,
  });

  const [sidecarStats, operatorStats] = await Promise.all([sidecar.stats(), cluster.broker.stats()]);
  assert.ok(sidecarStats.rss > 0 && sidecarStats.userUs > 0, JSON.stringify(sidecarStats));
  assert.ok(operatorStats.rss > 0 && operatorStats.userUs + operatorStats.systemUs > 0, JSON.stringify(operatorStats));
  assert.notEqual(cluster.broker.pid, sidecar.pid);
});
