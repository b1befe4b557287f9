/**
 * The PostgreSQL report from synthetic cells whose figures are chosen by hand: the synced floor's
 * columns, the goals with the synced floor's figure beside the sidecar's, – for a target
 * that did not run (n/a for one that ran and failed), and the masking goal computed per field.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MaskingCase } from './masking-cost.ts';
import type { Workload } from './pgbench.ts';
import { type Cell, type CellRun, type IdleRss, type Options, TARGETS, type TargetName } from './pgbench-cells.ts';
import { keptSections, report } from './pgbench-report.ts';

const MB = 1024 * 1024;
const WORKLOADS: Workload[] = ['S-simple', 'S-prepared', 'tpcb-like'];

/** Per target: TPS, p50 and p99 µs, CPU µs per transaction (NaN: not a process of ours). */
const FIGURES: Record<TargetName, { tps: number; p50: number; p99: number; cpu: number }> = {
  direct: { tps: 10_000, p50: 100, p99: 300, cpu: Number.NaN },
  pgbouncer: { tps: 9000, p50: 110, p99: 320, cpu: Number.NaN },
  floor: { tps: 8000, p50: 120, p99: 340, cpu: 20 },
  'floor-synced': { tps: 4000, p50: 400, p99: 900, cpu: 60 },
  'sidecar-full': { tps: 7000, p50: 130, p99: 380, cpu: 28 },
  'sidecar-bare': { tps: 7500, p50: 125, p99: 360, cpu: 25 },
};

function run(target: TargetName): CellRun {
  const f = FIGURES[target];
  return {
    result: { tps: f.tps, transactions: f.tps * 10, failed: 0, latencyAvgMs: f.p50 / 1000, p50Us: f.p50, p99Us: f.p99, command: 'pgbench' },
    ...(Number.isNaN(f.cpu) ? {} : { cpuUsPerTxn: f.cpu, userUsPerTxn: f.cpu * 0.6, systemUsPerTxn: f.cpu * 0.4, peakRss: 90 * MB }),
  };
}

function cells(targets: readonly TargetName[], failed: readonly TargetName[] = []): Cell[] {
  return WORKLOADS.flatMap((workload) =>
    [1, 8].map((clients) => ({
      workload,
      clients,
      runs: Object.fromEntries(targets.map((t) => [t, failed.includes(t) ? [{ error: 'connection refused' }] : [run(t), run(t)]])),
    })),
  );
}

function options(targets: TargetName[]): Options {
  return {
    seconds: 10,
    rounds: 2,
    scale: 10,
    clients: [1, 8],
    workloads: WORKLOADS,
    targets,
    warmup: 3,
    out: 'RESULTS.md',
    profile: undefined,
    breakdownSeconds: undefined,
  };
}

const MASKING: MaskingCase[] = [
  { name: 'no rule matches', description: '', nsPerRow: null, usPer100Rows: null, planNs: 100, maskedFieldsPer100Rows: 0 },
  // 2 fields masked per row: 600 ns per masked field.
  { name: 'column rules only', description: '', nsPerRow: 1200, usPer100Rows: 120, planNs: 100, maskedFieldsPer100Rows: 200 },
  // 10 fields scanned per row: 200 ns per scanned field, over the 150 ns goal.
  { name: 'profile pii only', description: '', nsPerRow: 2000, usPer100Rows: 200, planNs: 100, maskedFieldsPer100Rows: 30 },
];

const IDLE_RSS: IdleRss = { floor: 45 * MB, 'floor-synced': 50 * MB, 'sidecar-full': 70 * MB, 'sidecar-bare': 60 * MB };

/** The markdown table under `heading`, as rows keyed by the header's column names. */
function table(markdown: string, heading: string): Record<string, string>[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `no heading ${heading}`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const cellsOf = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const header = cellsOf(lines[first] ?? '');
  const rows: Record<string, string>[] = [];
  for (let i = first + 2; lines[i]?.startsWith('|'); i++) {
    const values = cellsOf(lines[i] ?? '');
    rows.push(Object.fromEntries(header.map((name, j) => [name, values[j] ?? ''])));
  }
  return rows;
}

const rowOf = (rows: Record<string, string>[], workload: string, clients: number) => {
  const row = rows.find((r) => r.workload === workload && r.clients === String(clients));
  assert.ok(row, `no row ${workload} ${clients}`);
  return row;
};

const goalOf = (rows: Record<string, string>[], goal: string) => {
  const row = rows.find((r) => r.goal === goal);
  assert.ok(row, `no goal ${goal}: ${rows.map((r) => r.goal).join('; ')}`);
  return row;
};

const THROUGHPUT = '## Throughput (median TPS) and ratios';
const LATENCY = '## Latency (median of rounds; per-transaction p50 / p99 in µs)';
const CPU = '## Sidecar cost: CPU time per transaction and memory';
const GOALS = '## Goals (not CI gates)';

describe('PostgreSQL report', () => {
  const all = report(options([...TARGETS]), 'node bench/src/run.ts', {}, cells(TARGETS), IDLE_RSS, MASKING, undefined);

  test('throughput, latency and CPU tables carry the synced floor next to the floor', () => {
    const tps = rowOf(table(all, THROUGHPUT), 'S-prepared', 8);
    assert.equal(tps['floor-synced TPS'], '4000');
    assert.equal(tps['full / floor-synced'], '1.75');
    assert.equal(tps['full / floor'], '0.88');
    assert.equal(tps['sidecar full TPS'], '7000');
    assert.match(all, /\*\*floor-synced\*\* is the floor relay keeping the sidecar’s “stored before forwarded” promise/);

    const latency = rowOf(table(all, LATENCY), 'S-simple', 1);
    assert.equal(latency['floor-synced p50 / p99'], '400 / 900');
    assert.equal(latency['added p50 floor-synced (vs direct)'], '300');
    assert.equal(latency['added p50 floor (vs direct)'], '20');
    assert.equal(latency['added p50 full / bare (vs direct)'], '30 / 25');

    const cpu = rowOf(table(all, CPU), 'tpcb-like', 8);
    assert.equal(cpu['floor-synced CPU µs / txn'], '60.0');
    assert.equal(cpu['full CPU / floor-synced'], '0.47');
    assert.equal(cpu['full CPU / floor'], '1.40');
    assert.match(all, /floor relay 45\.0 MB, floor-synced 50\.0 MB\./);
  });

  test('the goals are the issue’s, each with the synced floor’s figure', () => {
    const goals = table(all, GOALS);
    assert.deepEqual(
      goals.map((g) => [g.goal, g.target]),
      [
        ['`-S` prepared, 8 clients', 'sidecar-full ≥ 0.9× PgBouncer session mode and ≥ 0.6× direct'],
        ['`-S` simple, 8 clients', 'sidecar-full ≥ 0.9× PgBouncer'],
        ['tpcb-like, 8 clients', 'sidecar-full ≥ 0.9× PgBouncer'],
        ['added p50 latency, 1 client, `-S` prepared', '≤ 40 µs over direct (sidecar-full)'],
        ['sidecar CPU per simple-protocol statement', '≤ 40 µs (`-S` simple: CPU µs / txn of sidecar-full)'],
        ['sidecar-full vs floor relay', '≤ 1.5× the floor’s CPU per transaction (every cell)'],
        ['masking', '≤ 1 µs per masked field, ≤ 150 ns per field scanned by detectors (100×10 text result)'],
        ['idle RSS', '≤ 80 MB (each sidecar variant)'],
      ],
    );
    const prepared = goalOf(goals, '`-S` prepared, 8 clients');
    assert.deepEqual([prepared.measured, prepared['met?']], ['0.78× PgBouncer, 0.70× direct', '**not met**']);
    assert.equal(prepared['floor-synced'], '0.44× PgBouncer, 0.40× direct (**not met**)');

    const latency = goalOf(goals, 'added p50 latency, 1 client, `-S` prepared');
    assert.deepEqual([latency.measured, latency['met?'], latency['floor-synced']], ['30.0 µs', 'met', '300.0 µs (**not met**)']);

    const statement = goalOf(goals, 'sidecar CPU per simple-protocol statement');
    assert.deepEqual(
      [statement.measured, statement['met?'], statement['floor-synced']],
      ['1 client: 28.0 µs, 8 clients: 28.0 µs', 'met', '1 client: 60.0 µs, 8 clients: 60.0 µs (**not met**)'],
    );

    const versusFloor = goalOf(goals, 'sidecar-full vs floor relay');
    assert.deepEqual([versusFloor.measured, versusFloor['met?']], ['max 1.40× (S-simple, 1 client) over 6 cells', 'met']);
    assert.equal(versusFloor['floor-synced'], 'floor-synced / floor: max 3.00× (S-simple, 1 client) over 6 cells (**not met**)');

    const masking = goalOf(goals, 'masking');
    assert.deepEqual(
      [masking.measured, masking['met?'], masking['floor-synced']],
      ['per masked field 600 ns, per scanned field 200 ns', '**not met**', 'n/a (does not mask)'],
    );

    const rss = goalOf(goals, 'idle RSS');
    assert.deepEqual([rss.measured, rss['met?'], rss['floor-synced']], ['full 70.0 MB, bare 60.0 MB', 'met', '50.0 MB (met)']);
  });

  test('a target that did not run shows –, one that ran and failed n/a', () => {
    const targets = TARGETS.filter((t) => t !== 'floor-synced');
    const idle: IdleRss = { ...IDLE_RSS, 'floor-synced': undefined };
    const partial = report(
      options(targets),
      'node bench/src/run.ts',
      {},
      cells(targets, ['sidecar-bare']),
      idle,
      'masking failed',
      undefined,
    );

    const tps = rowOf(table(partial, THROUGHPUT), 'S-prepared', 8);
    assert.equal(tps['floor-synced TPS'], '–');
    assert.equal(tps['full / floor-synced'], '–');
    assert.equal(tps['sidecar bare TPS'], 'n/a');
    assert.equal(tps['full / PgBouncer'], '0.78');

    const latency = rowOf(table(partial, LATENCY), 'S-prepared', 1);
    assert.equal(latency['floor-synced p50 / p99'], '–');
    assert.equal(latency['added p50 floor-synced (vs direct)'], '–');
    assert.equal(latency['sidecar bare p50 / p99'], 'n/a / n/a');

    const cpu = rowOf(table(partial, CPU), 'S-simple', 8);
    assert.equal(cpu['floor-synced CPU µs / txn'], '–');
    assert.equal(cpu['full CPU / floor-synced'], '–');
    assert.equal(cpu['full CPU / floor'], '1.40');
    assert.match(partial, /floor-synced –\./);
    assert.match(partial, /the others did not run: –/);

    const goals = table(partial, GOALS);
    assert.equal(goalOf(goals, '`-S` prepared, 8 clients')['floor-synced'], '– PgBouncer, – direct (n/a)');
    assert.equal(goalOf(goals, 'sidecar-full vs floor relay')['floor-synced'], 'floor-synced / floor: – (n/a)');
    assert.equal(goalOf(goals, 'idle RSS')['floor-synced'], '– (n/a)');
    assert.equal(goalOf(goals, '`-S` simple, 8 clients')['met?'], '**not met**');
    const masking = goalOf(goals, 'masking');
    assert.deepEqual([masking.measured, masking['met?']], ['per masked field n/a, per scanned field n/a', 'n/a']);
  });
});

describe('keptSections', () => {
  test('keeps the broker section, alone or after the SSH and Kubernetes ones, byte for byte', () => {
    const broker = '<!-- BEGIN BROKER -->\n## Broker mode\n| a | b |\n<!-- END BROKER -->\n';
    const others = '<!-- BEGIN SSH -->\nssh\n<!-- END SSH -->\n\n<!-- BEGIN KUBERNETES -->\nk8s\n<!-- END KUBERNETES -->\n\n';
    const pg = '# Benchmark results\n\n<!-- BEGIN ANALYSIS -->\nhand-written\n<!-- END ANALYSIS -->\n\n';
    assert.equal(keptSections(`${pg}${broker}`), broker);
    assert.equal(keptSections(`${pg}${others}${broker}`), `${others}${broker}`);
    assert.equal(keptSections(pg), undefined);
  });
});
