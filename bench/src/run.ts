/**
 * pgbench side by side, interleaved: direct to PostgreSQL, through PgBouncer (session mode),
 * through the sidecar ('full': policy + masking) and through the sidecar ('bare': one allow-all
 * rule, no masking). Workloads -S simple, -S prepared, tpcb-like; 1 and 8 clients. Every cell
 * runs each target in turn (rotating order) for several rounds; the median is reported. The
 * sidecars run in processes of their own (sidecar-process.ts) so their CPU time and RSS can be
 * measured. Writes bench/RESULTS.md, keeping its hand-written analysis block.
 *
 * Usage: node bench/src/run.ts [--seconds 10] [--rounds 2] [--scale 10] [--clients 1,8]
 *        [--workloads S-simple,S-prepared,tpcb-like] [--warmup 3] [--out bench/RESULTS.md] [--profile dir]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { PgBouncer, PostgresServer, pgbouncerBinary } from '@airlock/testkit';
import type { MaskingCase } from './masking-cost.ts';
import { maskingMarkdown } from './masking-cost.ts';
import { type PgbenchEndpoint, type PgbenchResult, pgbenchInit, runPgbench, type Workload } from './pgbench.ts';
import type { SidecarProcessConfig, SidecarVariant } from './sidecar-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');

type TargetName = 'direct' | 'pgbouncer' | 'sidecar-full' | 'sidecar-bare';
const TARGETS: readonly TargetName[] = ['direct', 'pgbouncer', 'sidecar-full', 'sidecar-bare'];

interface Options {
  seconds: number;
  rounds: number;
  scale: number;
  clients: number[];
  workloads: Workload[];
  warmup: number;
  out: string;
  /** Directory for `node --cpu-prof` profiles of both sidecars (written when they exit). */
  profile: string | undefined;
}

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
  };
}

const startPgSidecar = (config: SidecarProcessConfig, nodeArgs: readonly string[]): Promise<SidecarProcess> =>
  SidecarProcess.start(join(HERE, 'sidecar-process.ts'), `sidecar ${config.variant}`, config, nodeArgs);

interface CellRun {
  readonly result?: PgbenchResult;
  readonly error?: string;
  /** Sidecar targets: CPU µs (user + system) of the sidecar process per transaction. */
  readonly cpuUsPerTxn?: number;
  readonly peakRss?: number;
}

interface Cell {
  readonly workload: Workload;
  readonly clients: number;
  readonly runs: Record<TargetName, CellRun[]>;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

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
    const cpuUs = after.userUs - before.userUs + (after.systemUs - before.systemUs);
    return { result, cpuUsPerTxn: result.transactions > 0 ? cpuUs / result.transactions : Number.NaN, peakRss };
  } catch (error) {
    sampling = false;
    await sampler.catch(() => {});
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

function machineFacts(pg: PostgresServer): Record<string, string> {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown';
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || String(availableParallelism());
  const bouncer = spawnSync(pgbouncerBinary(), ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0] ?? 'unknown';
  const load = existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').trim() : 'unknown';
  return {
    date: new Date().toISOString(),
    nproc,
    'CPU model': model,
    node: process.version,
    PostgreSQL: pg.binaries.version,
    PgBouncer: bouncer,
    'load average at start': load,
  };
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : 'n/a');

interface Summary {
  tps: number;
  p50: number;
  p99: number;
  latAvgMs: number;
  cpu: number;
  peakRss: number;
  errors: string[];
  failedTxns: number;
}

function summarize(runs: readonly CellRun[]): Summary {
  const ok = runs.flatMap((r) => (r.result ? [r] : []));
  return {
    tps: median(ok.map((r) => r.result?.tps ?? Number.NaN)),
    p50: median(ok.map((r) => r.result?.p50Us ?? Number.NaN)),
    p99: median(ok.map((r) => r.result?.p99Us ?? Number.NaN)),
    latAvgMs: median(ok.map((r) => r.result?.latencyAvgMs ?? Number.NaN)),
    cpu: median(ok.map((r) => r.cpuUsPerTxn ?? Number.NaN)),
    peakRss: Math.max(0, ...runs.map((r) => r.peakRss ?? 0)),
    errors: runs.flatMap((r) => (r.error ? [r.error] : [])),
    failedTxns: ok.reduce((n, r) => n + (r.result?.failed ?? 0), 0),
  };
}

function report(
  options: Options,
  command: string,
  facts: Record<string, string>,
  cells: readonly Cell[],
  idleRss: Record<SidecarVariant, number>,
  masking: readonly MaskingCase[] | string,
  previous: string | undefined,
): string {
  const out: string[] = [];
  out.push('# Benchmark results: direct vs PgBouncer vs sidecar', '');
  out.push('Generated by `bench/src/run.ts` (the analysis block at the end is hand-written and kept across runs).', '');
  out.push('## Command', '', '```sh', command, '```', '');
  out.push(
    `Each cell: pgbench \`-n -T ${options.seconds} -c <clients> -j min(clients,2)\`, per-transaction log (\`-l\`) for p50/p99; ` +
      `targets run one after another in rotating order, ${options.rounds} round(s), median reported. ` +
      `Data: \`pgbench -i -s ${options.scale}\`. A ${options.warmup} s warm-up run per target precedes the measurements.`,
    '',
  );
  out.push('## Machine', '', '| fact | value |', '|---|---|');
  for (const [k, v] of Object.entries(facts)) out.push(`| ${k} | ${v} |`);
  out.push('');

  out.push('## Throughput (median TPS) and ratios', '');
  out.push(
    '| workload | clients | direct TPS | PgBouncer TPS | sidecar full TPS | sidecar bare TPS | full / direct | full / PgBouncer | bare / direct | bare / PgBouncer | PgBouncer / direct |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  const summaries = cells.map((cell) => ({
    cell,
    s: Object.fromEntries(TARGETS.map((t) => [t, summarize(cell.runs[t])])) as Record<TargetName, Summary>,
  }));
  for (const { cell, s } of summaries) {
    const r = (a: number, b: number) => fmt(a / b, 2);
    out.push(
      `| ${cell.workload} | ${cell.clients} | ${fmt(s.direct.tps)} | ${fmt(s.pgbouncer.tps)} | ${fmt(s['sidecar-full'].tps)} | ${fmt(s['sidecar-bare'].tps)} | ` +
        `${r(s['sidecar-full'].tps, s.direct.tps)} | ${r(s['sidecar-full'].tps, s.pgbouncer.tps)} | ${r(s['sidecar-bare'].tps, s.direct.tps)} | ` +
        `${r(s['sidecar-bare'].tps, s.pgbouncer.tps)} | ${r(s.pgbouncer.tps, s.direct.tps)} |`,
    );
  }
  out.push('');

  out.push('## Latency (median of rounds; per-transaction p50 / p99 in µs)', '');
  out.push(
    '| workload | clients | direct p50 / p99 | PgBouncer p50 / p99 | sidecar full p50 / p99 | sidecar bare p50 / p99 | added p50 full / bare (vs direct) | added p99 full / bare (vs direct) | added p50 PgBouncer (vs direct) |',
    '|---|---:|---|---|---|---|---|---|---:|',
  );
  for (const { cell, s } of summaries) {
    const pp = (x: Summary) => `${fmt(x.p50)} / ${fmt(x.p99)}`;
    out.push(
      `| ${cell.workload} | ${cell.clients} | ${pp(s.direct)} | ${pp(s.pgbouncer)} | ${pp(s['sidecar-full'])} | ${pp(s['sidecar-bare'])} | ` +
        `${fmt(s['sidecar-full'].p50 - s.direct.p50)} / ${fmt(s['sidecar-bare'].p50 - s.direct.p50)} | ` +
        `${fmt(s['sidecar-full'].p99 - s.direct.p99)} / ${fmt(s['sidecar-bare'].p99 - s.direct.p99)} | ${fmt(s.pgbouncer.p50 - s.direct.p50)} |`,
    );
  }
  out.push('');

  out.push('## Sidecar cost: CPU time per transaction and memory', '');
  out.push(`Idle RSS right after start, before any connection: full ${mb(idleRss.full)}, bare ${mb(idleRss.bare)}.`, '');
  out.push(
    '| workload | clients | full CPU µs / txn | bare CPU µs / txn | full peak RSS | bare peak RSS |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const { cell, s } of summaries) {
    out.push(
      `| ${cell.workload} | ${cell.clients} | ${fmt(s['sidecar-full'].cpu, 1)} | ${fmt(s['sidecar-bare'].cpu, 1)} | ${mb(s['sidecar-full'].peakRss)} | ${mb(s['sidecar-bare'].peakRss)} |`,
    );
  }
  out.push(
    '',
    'CPU is the sidecar process’s user + system time (process.cpuUsage) over the cell, divided by the transactions pgbench completed.',
    '',
  );

  const errors = summaries.flatMap(({ cell, s }) =>
    TARGETS.flatMap((t) => [
      ...s[t].errors.map((e) => `- ${cell.workload} c=${cell.clients} ${t}: ${e.split('\n').slice(0, 6).join(' ').slice(0, 600)}`),
      ...(s[t].failedTxns > 0 ? [`- ${cell.workload} c=${cell.clients} ${t}: ${s[t].failedTxns} failed transactions`] : []),
    ]),
  );
  out.push('## Failed cells', '', ...(errors.length ? errors : ['None: every cell ran on every target without failed transactions.']), '');

  out.push('## Masking cost per row (masking engine alone, 100-row × 10-column text result)', '');
  out.push(typeof masking === 'string' ? masking : maskingMarkdown(masking), '');

  // Goals
  const find = (w: Workload, c: number) => summaries.find((x) => x.cell.workload === w && x.cell.clients === c)?.s;
  const goals: { goal: string; measured: string; met: boolean | undefined }[] = [];
  const sp8 = find('S-prepared', 8);
  if (sp8) {
    for (const v of ['sidecar-full', 'sidecar-bare'] as const) {
      const rd = sp8[v].tps / sp8.direct.tps;
      const rb = sp8[v].tps / sp8.pgbouncer.tps;
      goals.push({
        goal: `-S prepared, 8 clients, ${v} ≥ 0.70× direct`,
        measured: fmt(rd, 2),
        met: Number.isFinite(rd) ? rd >= 0.7 : undefined,
      });
      goals.push({
        goal: `-S prepared, 8 clients, ${v} ≥ 0.90× PgBouncer`,
        measured: fmt(rb, 2),
        met: Number.isFinite(rb) ? rb >= 0.9 : undefined,
      });
    }
  }
  for (const c of options.clients) {
    const ss = find('S-simple', c);
    if (!ss) continue;
    for (const v of ['sidecar-full', 'sidecar-bare'] as const) {
      const rd = ss[v].tps / ss.direct.tps;
      goals.push({
        goal: `-S simple, ${c} client(s), ${v} ≥ 0.55× direct`,
        measured: fmt(rd, 2),
        met: Number.isFinite(rd) ? rd >= 0.55 : undefined,
      });
    }
  }
  for (const w of options.workloads) {
    const s1 = find(w, 1);
    if (!s1) continue;
    for (const v of ['sidecar-full', 'sidecar-bare'] as const) {
      const added = s1[v].p50 - s1.direct.p50;
      goals.push({
        goal: `${w}, 1 client, ${v}: added p50 ≤ 40 µs`,
        measured: `${fmt(added)} µs`,
        met: Number.isFinite(added) ? added <= 40 : undefined,
      });
    }
  }
  for (const v of ['full', 'bare'] as const)
    goals.push({ goal: `idle sidecar RSS (${v}) ≤ 100 MB`, measured: mb(idleRss[v]), met: idleRss[v] <= 100 * 1024 * 1024 });
  out.push('## Goals (not CI gates)', '', '| goal | measured | met? |', '|---|---:|---|');
  for (const g of goals) out.push(`| ${g.goal} | ${g.measured} | ${g.met === undefined ? 'n/a' : g.met ? 'met' : '**not met**'} |`);
  out.push('');

  out.push(
    previous ??
      [
        '<!-- BEGIN ANALYSIS -->',
        '## Where it falls short and why',
        '',
        '(to be written after looking at the numbers)',
        '<!-- END ANALYSIS -->',
      ].join('\n'),
    '',
  );
  return out.join('\n');
}

async function measureMaskingInChild(): Promise<MaskingCase[] | string> {
  const result = spawnSync(process.execPath, [join(HERE, 'masking-cost.ts'), '--json', '--ms', '1500'], { encoding: 'utf8', cwd: REPO });
  if (result.status !== 0) return `masking micro-benchmark failed: ${result.stderr}`;
  return JSON.parse(result.stdout) as MaskingCase[];
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const command = `node ${relative(REPO, fileURLToPath(import.meta.url))} ${process.argv.slice(2).join(' ')}`.trim();
  const previousText = existsSync(options.out) ? readFileSync(options.out, 'utf8') : '';
  const previous = /<!-- BEGIN ANALYSIS -->[\s\S]*<!-- END ANALYSIS -->/.exec(previousText)?.[0];
  // The SSH section is ssh-bench.ts's: kept as it is.
  const sshSection = /<!-- BEGIN SSH -->[\s\S]*<!-- END SSH -->/.exec(previousText)?.[0];

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
    // Let startup garbage settle before reading idle RSS.
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = { full: (await full.stats()).rss, bare: (await bare.stats()).rss };
    log(`idle RSS full ${mb(idleRss.full)}, bare ${mb(idleRss.bare)}`);

    const endpoints: Record<TargetName, PgbenchEndpoint> = {
      direct,
      pgbouncer: { ...direct, port: bouncer.port },
      'sidecar-full': { ...direct, port: full.port, password: undefined },
      'sidecar-bare': { ...direct, port: bare.port, password: undefined },
    };
    const sidecarOf: Record<TargetName, SidecarProcess | undefined> = {
      direct: undefined,
      pgbouncer: undefined,
      'sidecar-full': full,
      'sidecar-bare': bare,
    };

    if (options.warmup > 0) {
      for (const t of TARGETS) {
        const w = await runCell(pgbench, endpoints[t], 'S-prepared', 2, options.warmup, sidecarOf[t]);
        log(`warm-up ${t}: ${w.error ? `FAILED ${w.error.slice(0, 300)}` : `${fmt(w.result?.tps ?? Number.NaN)} tps`}`);
      }
    }

    const cells: Cell[] = [];
    let rotation = 0;
    for (const workload of options.workloads) {
      for (const clients of options.clients) {
        const cell: Cell = { workload, clients, runs: { direct: [], pgbouncer: [], 'sidecar-full': [], 'sidecar-bare': [] } };
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
                      run.cpuUsPerTxn === undefined ? '' : ` cpu ${fmt(run.cpuUsPerTxn, 1)} µs/txn`
                    }`
              }`,
            );
          }
        }
        cells.push(cell);
      }
    }

    const facts = machineFacts(pg);
    // Stop the servers before the masking micro-benchmark so it has the CPU to itself.
    for (const s of sidecars.splice(0)) await s.stop();
    await bouncer.stop();
    bouncer = undefined;
    await pg.stop();
    log('masking micro-benchmark');
    const masking = await measureMaskingInChild();
    const pgReport = report(options, command, facts, cells, idleRss, masking, previous);
    writeFileSync(options.out, sshSection ? `${pgReport}\n${sshSection}\n` : pgReport);
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
