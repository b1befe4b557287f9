/**
 * pgbench side by side, interleaved: direct to PostgreSQL, through PgBouncer (session mode),
 * through the floor relay (floor-relay.ts: a Node.js process piping bytes, the cost of being a Node
 * process in the path at all), through the sidecar ('full': policy + masking) and through the
 * sidecar ('bare': one allow-all rule, no masking). Workloads -S simple, -S prepared, tpcb-like; 1
 * and 8 clients. Every cell runs each target in turn (rotating order) for several rounds; the
 * median is reported. The floor and the sidecars run in processes of their own so their CPU time
 * (user and system), GC pauses and RSS can be measured. With --breakdown, each cell is followed
 * by short untimed runs under perf and strace (syscall-profile.ts) for syscalls, reads, writes
 * and context switches per transaction. Writes bench/RESULTS.md, keeping its hand-written analysis
 * block and the SSH and Kubernetes sections.
 *
 * Usage: node bench/src/run.ts [--seconds 10] [--rounds 2] [--scale 10] [--clients 1,8]
 *        [--workloads S-simple,S-prepared,tpcb-like] [--warmup 3] [--out bench/RESULTS.md] [--profile dir]
 *        [--breakdown] [--breakdown-seconds 4]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { PgBouncer, PostgresServer, pgbouncerBinary } from '@airlock/testkit';
import type { FloorRelayConfig } from './floor-relay.ts';
import type { MaskingCase } from './masking-cost.ts';
import { type PgbenchEndpoint, pgbenchInit, runPgbench, type Workload } from './pgbench.ts';
import {
  BREAKDOWN_SHORT_SECONDS,
  type Cell,
  type CellRun,
  fmt,
  MEASURED,
  mb,
  type Options,
  TARGETS,
  type TargetName,
} from './pgbench-cells.ts';
import { keptSections, report } from './pgbench-report.ts';
import type { SidecarProcessConfig } from './sidecar-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';
import type { SidecarStats } from './sidecar-process-protocol.ts';
import { perfUnavailable, profileTransactions, straceUnavailable, type TransactionProfile } from './syscall-profile.ts';
import type { BreakdownVariant } from './syscall-profile-report.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    seconds: Number(get('seconds') ?? 10),
    rounds: Number(get('rounds') ?? 2),
    scale: Number(get('scale') ?? 10),
    clients: (get('clients') ?? '1,8').split(',').map(Number),
    workloads: (get('workloads') ?? 'S-simple,S-prepared,tpcb-like').split(',') as Workload[],
    warmup: Number(get('warmup') ?? 3),
    out: resolve(get('out') ?? join(REPO, 'bench/RESULTS.md')),
    profile: get('profile'),
    breakdownSeconds: argv.includes('--breakdown') ? Number(get('breakdown-seconds') ?? 4) : undefined,
  };
}

const startPgSidecar = (config: SidecarProcessConfig, nodeArgs: readonly string[]): Promise<SidecarProcess> =>
  SidecarProcess.start(join(HERE, 'sidecar-process.ts'), `sidecar ${config.variant}`, config, nodeArgs);

function perTransaction(before: SidecarStats, after: SidecarStats, transactions: number): Omit<CellRun, 'result' | 'peakRss'> {
  if (!(transactions > 0)) return {};
  const userUs = after.userUs - before.userUs;
  const systemUs = after.systemUs - before.systemUs;
  return {
    cpuUsPerTxn: (userUs + systemUs) / transactions,
    userUsPerTxn: userUs / transactions,
    systemUsPerTxn: systemUs / transactions,
    gcUsPerTxn: ((after.gcMs - before.gcMs) * 1000) / transactions,
    gcPausesPerThousand: ((after.gcCount - before.gcCount) * 1000) / transactions,
  };
}

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

async function runCell(
  pgbench: string,
  endpoint: PgbenchEndpoint,
  workload: Workload,
  clients: number,
  seconds: number,
  sidecar: SidecarProcess | undefined,
): Promise<CellRun> {
  const before = sidecar ? await sidecar.stats() : undefined;
  let peakRss = before?.rss ?? 0;
  let sampling = true;
  const sampler = sidecar
    ? (async () => {
        while (sampling) {
          await new Promise((r) => setTimeout(r, 1000));
          if (!sampling) break;
          peakRss = Math.max(peakRss, (await sidecar.stats()).rss);
        }
      })()
    : Promise.resolve();
  try {
    const result = await runPgbench(pgbench, endpoint, { workload, clients, seconds });
    sampling = false;
    await sampler;
    if (!sidecar || !before) return { result };
    const after = await sidecar.stats();
    peakRss = Math.max(peakRss, after.rss);
    return { result, ...perTransaction(before, after, result.transactions), peakRss };
  } catch (error) {
    sampling = false;
    await sampler.catch(() => {});
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

const loadAverage = (): string => (existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').trim() : 'unknown');

/** Read after the runs; `loadAtStart` was read before them. */
function machineFacts(pg: PostgresServer, loadAtStart: string): Record<string, string> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown';
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || String(availableParallelism());
  const bouncer = spawnSync(pgbouncerBinary(), ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'unknown';
  return {
    date: new Date().toISOString(),
    nproc,
    'CPU model': model,
    node: process.version,
    PostgreSQL: pg.binaries.version,
    PgBouncer: bouncer,
    'load average at start': loadAtStart,
    'load average at the end': loadAverage(),
  };
}

function toolFacts(tools: { strace: string | undefined; perf: string | undefined } | undefined): Record<string, string> {
  if (!tools) return {};
  const version = (program: string, args: string[]) =>
    spawnSync(program, args, { encoding: 'utf8' }).stdout.split('\n')[0]?.trim() || 'unknown';
  return { strace: tools.strace ?? version('strace', ['-V']), perf: tools.perf ?? version('perf', ['--version']) };
}

async function measureMaskingInChild(): Promise<MaskingCase[] | string> {
  const result = spawnSync(process.execPath, [join(HERE, 'masking-cost.ts'), '--json', '--ms', '1500'], { encoding: 'utf8', cwd: REPO });
  if (result.status !== 0) return `masking micro-benchmark failed: ${result.stderr}`;
  return JSON.parse(result.stdout) as MaskingCase[];
}

/** Everything from the first section another benchmark owns (SSH, Kubernetes) to the end, as it is. */
async function profileCell(
  pgbench: string,
  endpoints: Record<TargetName, PgbenchEndpoint>,
  processOf: Record<TargetName, SidecarProcess | undefined>,
  upstreamPort: number,
  workload: Workload,
  clients: number,
  longSeconds: number,
  tools: { strace: string | undefined; perf: string | undefined } | undefined,
): Promise<Record<BreakdownVariant, TransactionProfile>> {
  const out: Partial<Record<BreakdownVariant, TransactionProfile>> = {};
  for (const [variant, target] of Object.entries(MEASURED) as [BreakdownVariant, TargetName][]) {
    const measured = processOf[target];
    if (!measured) throw new Error(`bench: no process for ${target}`);
    const profile = await profileTransactions(
      measured.pid,
      { agentPort: measured.port, upstreamPort },
      (seconds) => runPgbench(pgbench, endpoints[target], { workload, clients, seconds }),
      { shortSeconds: BREAKDOWN_SHORT_SECONDS, longSeconds, straceUnavailable: tools?.strace, perfUnavailable: tools?.perf },
    );
    out[variant] = profile;
    const s = profile.strace;
    log(
      `${workload} c=${clients} breakdown ${variant}: ` +
        (s ? `syscalls ${fmt(s.total, 1)} writes ${fmt(s.writes, 2)} reads ${fmt(s.reads, 2)} per txn` : 'no strace') +
        (profile.perf ? `, perf syscalls ${fmt(profile.perf.syscalls, 1)} cs ${fmt(profile.perf.contextSwitches, 2)} per txn` : '') +
        (profile.errors.length ? ` (${profile.errors.join('; ').slice(0, 300)})` : ''),
    );
  }
  return out as Record<BreakdownVariant, TransactionProfile>;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = `node ${relative(REPO, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(' ')}`.trim();
  const previousText = existsSync(options.out) ? readFileSync(options.out, 'utf8') : '';
  const previous = /<!-- BEGIN ANALYSIS -->[\s\S]*<!-- END ANALYSIS -->/.exec(previousText)?.[0];
  // The SSH and Kubernetes sections are ssh-bench.ts's and kubernetes-bench.ts's: kept byte for byte.
  const otherSections = keptSections(previousText);

  const loadAtStart = loadAverage();
  let pg: PostgresServer | undefined;
  let bouncer: PgBouncer | undefined;
  const sidecars: SidecarProcess[] = [];
  try {
    log('starting PostgreSQL');
    pg = await PostgresServer.start({ settings: { max_connections: 100 } });
    const pgbench = join(pg.binaries.binDir, 'pgbench');
    const user = pg.users.scram_user;
    const direct: PgbenchEndpoint = { host: pg.host, port: pg.port, database: pg.database, user: user.user, password: user.password };
    log(`pgbench -i -s ${options.scale}`);
    await pgbenchInit(pgbench, direct, options.scale);
    log('starting PgBouncer (session) and the sidecars');
    bouncer = await PgBouncer.start({ upstream: pg, poolMode: 'session' });
    const upstream = { host: pg.host, port: pg.port, database: pg.database };
    const credentials = { username: user.user, password: user.password };
    // The flags the injected container runs with (256Mi, the operator's default limit): the figures are the pod's.
    const nodeArgs = [
      ...sidecarNodeFlags(256 * 1024 * 1024),
      ...(options.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.profile)] : []),
    ];
    const full = await startPgSidecar({ variant: 'full', upstream, credentials }, nodeArgs);
    sidecars.push(full);
    const bare = await startPgSidecar({ variant: 'bare', upstream, credentials }, nodeArgs);
    sidecars.push(bare);
    const floorConfig: FloorRelayConfig = { upstream: { host: pg.host, port: pg.port } };
    const floor = await SidecarProcess.start(join(HERE, 'floor-relay.ts'), 'floor relay', floorConfig, nodeArgs);
    sidecars.push(floor);
    // Let startup garbage settle before reading idle RSS.
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = { full: (await full.stats()).rss, bare: (await bare.stats()).rss, floor: (await floor.stats()).rss };
    log(`idle RSS full ${mb(idleRss.full)}, bare ${mb(idleRss.bare)}, floor ${mb(idleRss.floor)}`);

    const endpoints: Record<TargetName, PgbenchEndpoint> = {
      direct,
      pgbouncer: { ...direct, port: bouncer.port },
      // The floor relays the SCRAM exchange untouched, so pgbench brings the password.
      floor: { ...direct, port: floor.port },
      'sidecar-full': { ...direct, port: full.port, password: undefined },
      'sidecar-bare': { ...direct, port: bare.port, password: undefined },
    };
    const sidecarOf: Record<TargetName, SidecarProcess | undefined> = {
      direct: undefined,
      pgbouncer: undefined,
      floor,
      'sidecar-full': full,
      'sidecar-bare': bare,
    };

    if (options.warmup > 0) {
      for (const t of TARGETS) {
        const w = await runCell(pgbench, endpoints[t], 'S-prepared', 2, options.warmup, sidecarOf[t]);
        log(`warm-up ${t}: ${w.error ? `FAILED ${w.error.slice(0, 300)}` : `${fmt(w.result?.tps ?? Number.NaN)} tps`}`);
      }
    }

    const tools = options.breakdownSeconds === undefined ? undefined : { strace: straceUnavailable(), perf: perfUnavailable() };
    if (tools?.strace) log(`no syscall profile: ${tools.strace}`);
    if (tools?.perf) log(`no context switches: ${tools.perf}`);
    const cells: Cell[] = [];
    let rotation = 0;
    for (const workload of options.workloads) {
      for (const clients of options.clients) {
        const cell: Cell = { workload, clients, runs: { direct: [], pgbouncer: [], floor: [], 'sidecar-full': [], 'sidecar-bare': [] } };
        for (let round = 0; round < options.rounds; round++) {
          const order = TARGETS.map((_, i) => TARGETS[(i + rotation) % TARGETS.length] as TargetName);
          rotation++;
          for (const t of order) {
            const run = await runCell(pgbench, endpoints[t], workload, clients, options.seconds, sidecarOf[t]);
            cell.runs[t].push(run);
            log(
              `${workload} c=${clients} round ${round + 1} ${t}: ${
                run.error
                  ? `FAILED ${run.error.slice(0, 300)}`
                  : `${fmt(run.result?.tps ?? Number.NaN)} tps p50 ${fmt(run.result?.p50Us ?? Number.NaN)} µs p99 ${fmt(run.result?.p99Us ?? Number.NaN)} µs${
                      run.cpuUsPerTxn === undefined
                        ? ''
                        : ` cpu ${fmt(run.cpuUsPerTxn, 1)} µs/txn (user ${fmt(run.userUsPerTxn ?? Number.NaN, 1)}, gc ${fmt(run.gcUsPerTxn ?? Number.NaN, 1)})`
                    }`
              }`,
            );
          }
        }
        if (options.breakdownSeconds !== undefined) {
          cell.profile = await profileCell(pgbench, endpoints, sidecarOf, pg.port, workload, clients, options.breakdownSeconds, tools);
        }
        cells.push(cell);
      }
    }

    const facts = { ...machineFacts(pg, loadAtStart), ...toolFacts(tools) };
    // Stop the servers before the masking micro-benchmark so it has the CPU to itself.
    for (const s of sidecars.splice(0)) await s.stop();
    await bouncer.stop();
    bouncer = undefined;
    await pg.stop();
    log('masking micro-benchmark');
    const masking = await measureMaskingInChild();
    const pgReport = report(options, command, facts, cells, idleRss, masking, previous);
    writeFileSync(options.out, otherSections ? `${pgReport}\n${otherSections}` : pgReport);
    log(`wrote ${options.out}`);
  } finally {
    for (const s of sidecars) await s.stop().catch(() => {});
    await bouncer?.stop().catch(() => {});
    await pg?.stop().catch(() => {});
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
