/**
 * pgbench side by side, interleaved: direct to PostgreSQL, through PgBouncer (session mode),
 * through the floor relay (floor-relay.ts: a Node.js process piping bytes, the cost of being a Node
 * process in the path at all), through the synced floor ('floor-synced': the same relay storing and
 * fdatasyncing a line per agent chunk before forwarding it, the sidecar's durability promise and
 * nothing else), through the sidecar ('full': policy + masking) and through the sidecar ('bare':
 * one allow-all rule, no masking). Workloads -S simple, -S prepared, tpcb-like; 1 and 8 clients.
 * Every cell runs each target in turn (rotating order) for several rounds; the median is reported.
 * --targets runs a subset (PostgreSQL always runs; the report shows the others as –). The floors
 * and the sidecars run in processes of their own so their CPU time (user and system), GC pauses
 * and RSS can be measured. Those processes run as the image runs them (docs/adr/0028): from a
 * type-stripped copy of the sources with the image's preload module (stripped-tree.ts), so Node
 * never loads its type stripper in them; --from-source runs them from the repository's sources
 * instead, stripper included. With --breakdown, each cell is followed
 * by short untimed runs under perf and strace (syscall-profile.ts) for syscalls, reads, writes
 * and context switches per transaction. Writes bench/RESULTS.md, keeping its hand-written analysis
 * block and the SSH and Kubernetes sections.
 *
 * Usage: node bench/src/run.ts [--seconds 10] [--rounds 2] [--scale 10] [--clients 1,8]
 *        [--workloads S-simple,S-prepared,tpcb-like] [--warmup 3] [--out bench/RESULTS.md] [--profile dir]
 *        [--targets direct,pgbouncer,floor,floor-synced,sidecar-full,sidecar-bare] [--breakdown] [--breakdown-seconds 4]
 *        [--from-source]
 * --breakdown profiles floor, sidecar-full and sidecar-bare, so --targets must name them with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { PgBouncer, type PostgresServer, pgbouncerBinary } from '@airlock/testkit';
import type { FloorRelayConfig } from './floor-relay.ts';
import { loadAverage, machineFacts } from './machine-facts.ts';
import type { MaskingCase } from './masking-cost.ts';
import { measuredPgbench } from './measured-pgbench.ts';
import { type PgbenchEndpoint, runPgbench, type Workload } from './pgbench.ts';
import {
  BenchOptionsError,
  BREAKDOWN_SHORT_SECONDS,
  type Cell,
  type CellRun,
  fmt,
  type IdleRss,
  MEASURED,
  mb,
  type Options,
  PROCESS_TARGETS,
  parseTargets,
  TARGETS,
  type TargetName,
} from './pgbench-cells.ts';
import { startPgbenchDatabase } from './pgbench-database.ts';
import { keptSections, report } from './pgbench-report.ts';
import type { SidecarProcessConfig } from './sidecar-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';
import type { SidecarStats } from './sidecar-process-protocol.ts';
import { prepareStrippedTree, type StrippedTree, strippedTreeNodeFlags } from './stripped-tree.ts';
import { perfUnavailable, profileTransactions, straceUnavailable, type TransactionProfile } from './syscall-profile.ts';
import type { BreakdownVariant } from './syscall-profile-report.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

function parseOptions(argv: readonly string[]): Options {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const targets = parseTargets(get('targets') ?? TARGETS.join(','));
  const breakdownSeconds = argv.includes('--breakdown') ? Number(get('breakdown-seconds') ?? 4) : undefined;
  const unprofiled = Object.values(MEASURED).filter((t) => !targets.includes(t));
  if (breakdownSeconds !== undefined && unprofiled.length > 0) {
    throw new BenchOptionsError(`--breakdown profiles ${Object.values(MEASURED).join(', ')}: add ${unprofiled.join(', ')} to --targets`);
  }
  return {
    seconds: Number(get('seconds') ?? 10),
    rounds: Number(get('rounds') ?? 2),
    scale: Number(get('scale') ?? 10),
    clients: (get('clients') ?? '1,8').split(',').map(Number),
    workloads: (get('workloads') ?? 'S-simple,S-prepared,tpcb-like').split(',') as Workload[],
    targets,
    warmup: Number(get('warmup') ?? 3),
    out: resolve(get('out') ?? join(REPO, 'bench/RESULTS.md')),
    profile: get('profile'),
    breakdownSeconds,
  };
}

/**
 * Where the measured processes run from: the stripped tree with its preload module (as in the
 * image), or, without a tree (--from-source), the repository's sources.
 */
interface ProcessSources {
  script(pathInRepo: string): string;
  readonly nodeArgs: readonly string[];
}

const processSources = (tree: StrippedTree | undefined): ProcessSources =>
  tree
    ? { script: (pathInRepo) => tree.entry(pathInRepo), nodeArgs: strippedTreeNodeFlags(tree) }
    : { script: (pathInRepo) => join(REPO, pathInRepo), nodeArgs: [] };

const sourcesFact = (fromSource: boolean): Record<string, string> => ({
  'sidecar sources': fromSource ? 'from source (--from-source)' : 'type-stripped as in the image (docs/adr/0028)',
});

const startPgSidecar = (sources: ProcessSources, config: SidecarProcessConfig, nodeArgs: readonly string[]): Promise<SidecarProcess> =>
  SidecarProcess.start(sources.script('bench/src/sidecar-process.ts'), `sidecar ${config.variant}`, config, [
    ...sources.nodeArgs,
    ...nodeArgs,
  ]);

const startFloor = (
  sources: ProcessSources,
  config: FloorRelayConfig,
  label: string,
  nodeArgs: readonly string[],
): Promise<SidecarProcess> =>
  SidecarProcess.start(sources.script('bench/src/floor-relay.ts'), label, config, [...sources.nodeArgs, ...nodeArgs]);

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
  const measured = await measuredPgbench(pgbench, endpoint, { workload, clients, seconds }, [sidecar]);
  if (measured.error !== undefined) return { error: measured.error };
  const window = measured.windows[0];
  if (!window) return { result: measured.result };
  return { result: measured.result, ...perTransaction(window.before, window.after, measured.result.transactions), peakRss: window.peakRss };
}

/** The common machine facts under the report's row names, and PgBouncer's version. */
function runFacts(pg: PostgresServer, loadAtStart: string): Record<string, string> {
  const facts = machineFacts(pg, loadAtStart);
  const bouncer = spawnSync(pgbouncerBinary(), ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'unknown';
  return {
    date: facts.date,
    nproc: facts.nproc,
    'CPU model': facts.cpuModel,
    node: facts.node,
    PostgreSQL: facts.postgres,
    PgBouncer: bouncer,
    'load average at start': facts.loadAtStart,
    'load average at the end': facts.loadAtEnd,
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

/** Untimed runs of one cell under perf and strace, for the floor relay and both sidecars in turn. */
async function profileCell(
  pgbench: string,
  endpoints: Partial<Record<TargetName, PgbenchEndpoint>>,
  processOf: Partial<Record<TargetName, SidecarProcess>>,
  upstreamPort: number,
  workload: Workload,
  clients: number,
  longSeconds: number,
  tools: { strace: string | undefined; perf: string | undefined } | undefined,
): Promise<Record<BreakdownVariant, TransactionProfile>> {
  const out: Partial<Record<BreakdownVariant, TransactionProfile>> = {};
  for (const [variant, target] of Object.entries(MEASURED) as [BreakdownVariant, TargetName][]) {
    const measured = processOf[target];
    const endpoint = endpoints[target];
    if (!measured || !endpoint) throw new Error(`bench: ${target} did not start; --breakdown needs it`);
    const profile = await profileTransactions(
      measured.pid,
      { agentPort: measured.port, upstreamPort },
      (seconds) => runPgbench(pgbench, endpoint, { workload, clients, seconds }),
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
  const fromSource = process.argv.includes('--from-source');
  const command = `node ${relative(REPO, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(' ')}`.trim();
  const previousText = existsSync(options.out) ? readFileSync(options.out, 'utf8') : '';
  const previous = /<!-- BEGIN ANALYSIS -->[\s\S]*<!-- END ANALYSIS -->/.exec(previousText)?.[0];
  // The SSH and Kubernetes sections are ssh-bench.ts's and kubernetes-bench.ts's: kept byte for byte.
  const otherSections = keptSections(previousText);

  const loadAtStart = loadAverage();
  let pg: PostgresServer | undefined;
  let bouncer: PgBouncer | undefined;
  const sidecars: SidecarProcess[] = [];
  let tree: StrippedTree | undefined;
  try {
    const database = await startPgbenchDatabase(options.scale, log);
    pg = database.server;
    const { pgbench, direct } = database;
    const user = { user: direct.user, password: direct.password };
    const runs = (t: TargetName): boolean => options.targets.includes(t);
    log(`starting ${options.targets.filter((t) => t !== 'direct').join(', ') || 'nothing but PostgreSQL'}`);
    const upstream = { host: pg.host, port: pg.port, database: pg.database };
    const credentials = { username: user.user, password: user.password };
    // The flags the injected container runs with (256Mi, the operator's default limit): the figures are the pod's.
    const nodeArgs = [
      ...sidecarNodeFlags(256 * 1024 * 1024),
      ...(options.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(options.profile)] : []),
    ];
    if (!fromSource && PROCESS_TARGETS.some(runs)) {
      log('type-stripping a copy of the sources for the measured processes, as the image ships them (--from-source: not)');
      tree = prepareStrippedTree(REPO);
    }
    const sources = processSources(tree);
    const sidecarOf: Partial<Record<TargetName, SidecarProcess>> = {};
    const started = (t: TargetName, handle: SidecarProcess): void => {
      sidecars.push(handle);
      sidecarOf[t] = handle;
    };
    if (runs('sidecar-full')) started('sidecar-full', await startPgSidecar(sources, { variant: 'full', upstream, credentials }, nodeArgs));
    if (runs('sidecar-bare')) started('sidecar-bare', await startPgSidecar(sources, { variant: 'bare', upstream, credentials }, nodeArgs));
    const relayUpstream = { host: pg.host, port: pg.port };
    if (runs('floor')) started('floor', await startFloor(sources, { upstream: relayUpstream }, 'floor relay', nodeArgs));
    if (runs('floor-synced')) {
      started('floor-synced', await startFloor(sources, { upstream: relayUpstream, syncEachChunk: true }, 'synced floor relay', nodeArgs));
    }
    if (runs('pgbouncer')) bouncer = await PgBouncer.start({ upstream: pg, poolMode: 'session' });
    // Let startup garbage settle before reading idle RSS.
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss: IdleRss = {};
    for (const t of PROCESS_TARGETS) {
      const handle = sidecarOf[t];
      if (handle) idleRss[t] = (await handle.stats()).rss;
    }
    log(
      `idle RSS ${
        Object.entries(idleRss)
          .map(([t, rss]) => `${t} ${mb(rss)}`)
          .join(', ') || 'not measured: no process target runs'
      }`,
    );

    const endpoints: Partial<Record<TargetName, PgbenchEndpoint>> = {};
    for (const t of options.targets) {
      // The floors relay the SCRAM exchange untouched, so pgbench brings the password; the sidecars need none.
      const port = t === 'direct' ? pg.port : t === 'pgbouncer' ? bouncer?.port : sidecarOf[t]?.port;
      if (port === undefined) throw new Error(`bench: ${t} did not start`);
      endpoints[t] = { ...direct, port, password: t.startsWith('sidecar-') ? undefined : direct.password };
    }
    const endpointOf = (t: TargetName): PgbenchEndpoint => {
      const endpoint = endpoints[t];
      if (!endpoint) throw new Error(`bench: ${t} has no endpoint`);
      return endpoint;
    };

    if (options.warmup > 0) {
      for (const t of options.targets) {
        const w = await runCell(pgbench, endpointOf(t), 'S-prepared', 2, options.warmup, sidecarOf[t]);
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
        const runsOf: Partial<Record<TargetName, CellRun[]>> = Object.fromEntries(options.targets.map((t) => [t, []]));
        const cell: Cell = { workload, clients, runs: runsOf };
        for (let round = 0; round < options.rounds; round++) {
          const order = options.targets.map((_, i) => options.targets[(i + rotation) % options.targets.length] as TargetName);
          rotation++;
          for (const t of order) {
            const run = await runCell(pgbench, endpointOf(t), workload, clients, options.seconds, sidecarOf[t]);
            runsOf[t]?.push(run);
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

    const facts = { ...runFacts(pg, loadAtStart), ...sourcesFact(fromSource), ...toolFacts(tools) };
    // Stop the servers before the masking micro-benchmark so it has the CPU to itself.
    for (const s of sidecars.splice(0)) await s.stop();
    await bouncer?.stop();
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
    // After the processes that run from it have stopped.
    tree?.remove();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
