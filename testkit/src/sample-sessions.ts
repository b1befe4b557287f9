/**
 * psql sessions of the sample scenario (sample-agent.ts): as the target's owner role, which seeds
 * the tables and checks what a statement did, and as an injected agent's tools run it.
 */
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';
import type { PostgresServer } from './postgres.ts';
import { type PsqlResult, runPsql } from './psql.ts';
import { SAMPLE, SAMPLE_SQL } from './sample-agent.ts';

interface InjectedPod {
  spec?: { containers?: { env?: { name: string; value?: string }[] }[] };
}

/** Runs `sql` as the role the sample Target uses (it owns the tables); unaligned, tuples only; throws when it fails. */
export async function psqlAsOwner(pg: PostgresServer, sql: string): Promise<string> {
  const owner = pg.users.scram_user;
  const result = await runPsql(
    pg.binaries.psql,
    { host: pg.host, port: pg.port, database: pg.database, user: 'scram_user', password: owner.password, sslMode: 'disable' },
    ['-X', '-A', '-t', '-c', sql],
  );
  if (result.code !== 0) throw new HarnessError('PsqlFailed', `psql as the sample owner failed on ${sql.slice(0, 80)}: ${result.stderr}`);
  return result.stdout.trim();
}

/** Creates the sample tables and rows (SAMPLE_SQL), dropping earlier ones. */
export async function seedSample(pg: PostgresServer): Promise<void> {
  await psqlAsOwner(pg, SAMPLE_SQL);
}

/**
 * psql as the agent container of an injected pod runs it: PGHOST and PGPORT from the env the
 * webhook injected (the sidecar on the pod's loopback), any database name, and no password — or
 * `password` (PGPASSWORD) for an agent that presents its own token.
 */
export function psqlAsAgent(
  pg: PostgresServer,
  pod: InjectedPod,
  sql: string,
  timeoutMs = 120_000,
  password?: string,
): Promise<PsqlResult> {
  const env = Object.fromEntries(
    (pod.spec?.containers?.[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]),
  );
  return runPsql(
    pg.binaries.psql,
    {
      host: env.PGHOST ?? 'missing-PGHOST',
      port: Number(env.PGPORT),
      database: 'whatever-the-agent-asks',
      user: 'agent',
      sslMode: 'disable',
      ...(password === undefined ? {} : { password }),
    },
    ['-X', '-A', '-t', '-c', sql],
    { timeoutMs },
  );
}

/** Waits until the sample's Target, AgentIdentity and ApprovalPolicy in `namespace` are Ready; throws with kubectl's message. */
export async function waitForSampleReady(plane: ControlPlane, namespace: string): Promise<void> {
  for (const object of [
    `targets.airlock.dev/${SAMPLE.target}`,
    `agentidentities.airlock.dev/${SAMPLE.identity}`,
    `approvalpolicies.airlock.dev/${SAMPLE.policy}`,
  ]) {
    const ready = await plane.kubectl(['wait', '-n', namespace, '--for=condition=Ready', '--timeout=90s', object]);
    if (ready.code !== 0) throw new HarnessError('SampleNotReady', `${object} did not become Ready:\n${ready.stderr}`);
  }
}
