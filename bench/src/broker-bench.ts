/**
 * pgbench side by side as users run the sidecar in a cluster: direct to PostgreSQL, through the
 * static sidecar (recordings to a local file; run.ts's sidecar-full) and through the broker sidecar
 * (config, credentials and policies from the operator's broker, every recording batch posted to
 * the broker's ingest and waited for: onStoreFailure Block). The operator runs as its own program
 * on a real control plane (broker-bench-cluster.ts), so the broker path's CPU is split between the
 * sidecar and the operator. Paths run in rotating order for several rounds; medians reported.
 * Writes its own section of bench/RESULTS.md (broker-bench-section.ts); run.ts keeps it.
 *
 * Usage: node bench/src/broker-bench.ts [--seconds 8] [--rounds 2] [--clients 1,8]
 *        [--workloads S-simple,S-prepared] [--scale 10] [--warmup 2] [--out bench/RESULTS.md]
 */
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import type { PostgresServer } from '@airlock/testkit';
import {
  BROKER_BENCH_PATHS,
  type BrokerBenchOptions,
  type BrokerBenchPath,
  type BrokerCell,
  type IdleFigures,
  type PathRun,
} from './broker-bench-cells.ts';
import { type BrokerBenchCluster, startBrokerBenchCluster } from './broker-bench-cluster.ts';
import { BENCH_TARGET } from './broker-bench-objects.ts';
import { renderBrokerSection } from './broker-bench-report.ts';
import { writeBrokerSection } from './broker-bench-section.ts';
import { countIngested } from './broker-ingest-count.ts';
import type { BrokerSidecarProcessConfig } from './broker-sidecar-process.ts';
import { loadAverage, machineFacts } from './machine-facts.ts';
import { cpuUsBetween, measuredPgbench } from './measured-pgbench.ts';
import type { PgbenchEndpoint, Workload } from './pgbench.ts';
import { BenchOptionsError } from './pgbench-cells.ts';
import { startPgbenchDatabase } from './pgbench-database.ts';
import type { SidecarProcessConfig } from './sidecar-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
/** How long the operator's CPU is read with no traffic, for its background rate. */
const IDLE_SECONDS = 5;
/** The memory limit the operator gives injected sidecars by default (256Mi): the sidecars run with its flags. */
const SIDECAR_MEMORY_LIMIT = 256 * 1024 * 1024;
const WORKLOADS: readonly Workload[] = ['S-simple', 'S-prepared', 'tpcb-like'];

function parseOptions(argv: readonly string[]): BrokerBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string' },
      workloads: { type: 'string' },
      scale: { type: 'string' },
      warmup: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const count = (name: string, text: string | undefined, fallback: number, min: number): number => {
    const value = text === undefined ? fallback : Number(text);
    if (!Number.isInteger(value) || value < min) throw new BenchOptionsError(`--${name}: "${text}" is not a whole number ≥ ${min}`);
    return value;
  };
  const clients = (values.clients ?? '1,8').split(',').map((c) => count('clients', c, 1, 1));
  const workloads = (values.workloads ?? 'S-simple,S-prepared').split(',');
  const unknown = workloads.filter((w) => !(WORKLOADS as readonly string[]).includes(w));
  if (unknown.length > 0)
    throw new BenchOptionsError(`--workloads: unknown workload(s) ${unknown.join(', ')}; name some of ${WORKLOADS.join(', ')}`);
  return {
    seconds: count('seconds', values.seconds, 8, 1),
    rounds: count('rounds', values.rounds, 2, 1),
    clients,
    workloads: workloads as Workload[],
    scale: count('scale', values.scale, 10, 1),
    warmup: count('warmup', values.warmup, 2, 0),
    out: resolve(values.out ?? join(REPO, 'bench/RESULTS.md')),
  };
}

function log(message: string): void {
  process.stderr.write(`[broker-bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

const fmt = (n: number | undefined, digits = 0): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
/** One pgbench run; `sidecar` and `operator` are measured around it when given. */
async function runPath(
  pgbench: string,
  endpoint: PgbenchEndpoint,
  run: { workload: Workload; clients: number; seconds: number },
  sidecar: SidecarProcess | undefined,
  operator: SidecarProcess | undefined,
): Promise<PathRun> {
  const measured = await measuredPgbench(pgbench, endpoint, run, [sidecar, operator]);
  if (measured.error !== undefined) return { error: measured.error };
  const { result, windows } = measured;
  const [sidecarWindow, operatorWindow] = windows;
  const perTxn = (us: number) => (result.transactions > 0 ? us / result.transactions : Number.NaN);
  return {
    result,
    ...(sidecarWindow
      ? { sidecarCpuUsPerTxn: perTxn(cpuUsBetween(sidecarWindow.before, sidecarWindow.after)), peakRss: sidecarWindow.peakRss }
      : {}),
    ...(operatorWindow ? { operatorCpuUsPerTxn: perTxn(cpuUsBetween(operatorWindow.before, operatorWindow.after)) } : {}),
  };
}

function describeRun(run: PathRun): string {
  if (run.error !== undefined) return `FAILED ${run.error.slice(0, 300)}`;
  const r = run.result;
  return (
    `${fmt(r?.tps)} tps p50 ${fmt(r?.p50Us)} µs p99 ${fmt(r?.p99Us)} µs` +
    (run.sidecarCpuUsPerTxn === undefined ? '' : ` sidecar ${fmt(run.sidecarCpuUsPerTxn, 1)} µs/txn`) +
    (run.operatorCpuUsPerTxn === undefined ? '' : ` operator ${fmt(run.operatorCpuUsPerTxn, 1)} µs/txn`)
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = `node ${relative(REPO, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(' ')}`.trim();
  const loadAtStart = loadAverage();
  let pg: PostgresServer | undefined;
  let cluster: BrokerBenchCluster | undefined;
  const sidecars: SidecarProcess[] = [];
  try {
    const database = await startPgbenchDatabase(options.scale, log);
    pg = database.server;
    const { pgbench, direct } = database;
    const user = { user: direct.user, password: direct.password };
    cluster = await startBrokerBenchCluster(
      { host: pg.host, port: pg.port, database: pg.database, username: user.user, password: user.password },
      log,
    );
    const operator = cluster.broker;

    log('starting the static sidecar and the broker sidecar');
    const nodeArgs = sidecarNodeFlags(SIDECAR_MEMORY_LIMIT);
    const staticConfig: SidecarProcessConfig = {
      variant: 'full',
      upstream: { host: pg.host, port: pg.port, database: pg.database },
      credentials: { username: user.user, password: user.password },
    };
    const staticSidecar = await SidecarProcess.start(join(HERE, 'sidecar-process.ts'), 'static sidecar', staticConfig, nodeArgs);
    sidecars.push(staticSidecar);
    const brokerConfig: BrokerSidecarProcessConfig = {
      brokerUrl: cluster.brokerUrl,
      caPem: cluster.caPem,
      tokenFile: cluster.tokenFile,
      target: BENCH_TARGET,
    };
    const brokerSidecar = await SidecarProcess.start(join(HERE, 'broker-sidecar-process.ts'), 'broker sidecar', brokerConfig, nodeArgs);
    sidecars.push(brokerSidecar);

    // Let start-up garbage settle, then read idle memory and the operator's background CPU.
    await new Promise((r) => setTimeout(r, 1000));
    const operatorIdleBefore = await operator.stats();
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const operatorIdleAfter = await operator.stats();
    const idle: IdleFigures = {
      staticSidecarRss: (await staticSidecar.stats()).rss,
      brokerSidecarRss: (await brokerSidecar.stats()).rss,
      operatorRss: operatorIdleAfter.rss,
      operatorCpuUsPerSecond: cpuUsBetween(operatorIdleBefore, operatorIdleAfter) / IDLE_SECONDS,
      idleSeconds: IDLE_SECONDS,
    };
    log(`operator idle CPU ${fmt(idle.operatorCpuUsPerSecond / 1000, 1)} ms/s`);

    const endpoints: Record<BrokerBenchPath, PgbenchEndpoint> = {
      direct,
      // The sidecars authenticate the agent by its pod, not a password.
      static: { ...direct, port: staticSidecar.port, password: undefined },
      broker: { ...direct, port: brokerSidecar.port, password: undefined },
    };
    const sidecarOf: Record<BrokerBenchPath, SidecarProcess | undefined> = {
      direct: undefined,
      static: staticSidecar,
      broker: brokerSidecar,
    };
    const operatorOf = (path: BrokerBenchPath) => (path === 'broker' ? operator : undefined);
    let brokerTransactions = 0;
    const counted = (path: BrokerBenchPath, run: PathRun): PathRun => {
      if (path === 'broker') brokerTransactions += run.result?.transactions ?? 0;
      return run;
    };

    if (options.warmup > 0) {
      for (const path of BROKER_BENCH_PATHS) {
        const warm = counted(
          path,
          await runPath(pgbench, endpoints[path], { workload: 'S-prepared', clients: 2, seconds: options.warmup }, undefined, undefined),
        );
        log(`warm-up ${path}: ${describeRun(warm)}`);
      }
    }

    const cells: BrokerCell[] = [];
    let rotation = 0;
    for (const workload of options.workloads) {
      for (const clients of options.clients) {
        const cell: BrokerCell = { workload, clients, runs: { direct: [], static: [], broker: [] } };
        for (let round = 0; round < options.rounds; round++) {
          const order = BROKER_BENCH_PATHS.map((_, i) => BROKER_BENCH_PATHS[(i + rotation) % BROKER_BENCH_PATHS.length] as BrokerBenchPath);
          rotation++;
          for (const path of order) {
            const run = counted(
              path,
              await runPath(pgbench, endpoints[path], { workload, clients, seconds: options.seconds }, sidecarOf[path], operatorOf(path)),
            );
            cell.runs[path].push(run);
            log(`${workload} c=${clients} round ${round + 1} ${path}: ${describeRun(run)}`);
          }
        }
        cells.push(cell);
      }
    }

    // The sidecars close their sessions (the broker stores the last batches) before the directory is counted.
    for (const s of sidecars.splice(0)) await s.stop();
    const ingest = countIngested(cluster.recordingsDir);
    log(`the broker stored ${ingest.files} session files, ${ingest.records} records`);
    const facts = { command, ...machineFacts(pg, loadAtStart) };
    writeBrokerSection(options.out, renderBrokerSection(options, facts, cells, idle, ingest, brokerTransactions));
    log(`wrote ${options.out}`);
  } finally {
    for (const s of sidecars) await s.stop().catch(() => {});
    await cluster?.close().catch(() => {});
    await pg?.stop().catch(() => {});
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`broker-bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
