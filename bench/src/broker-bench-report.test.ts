/**
 * The broker section from synthetic cells whose figures are chosen by hand (ratios, added latency,
 * the broker path's CPU split between sidecar and operator, n/a for a path that failed, the
 * stored-records line), and its place in the results file: replaced or appended between its
 * markers, everything else kept byte for byte.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrokerBenchOptions, BrokerCell, IdleFigures, PathRun } from './broker-bench-cells.ts';
import { BROKER_BEGIN, BROKER_END, type BrokerRunFacts, renderBrokerSection } from './broker-bench-report.ts';
import { withBrokerSection } from './broker-bench-section.ts';

const MIB = 1024 * 1024;
const OPTIONS: BrokerBenchOptions = {
  seconds: 8,
  rounds: 2,
  clients: [1, 8],
  workloads: ['S-simple'],
  scale: 10,
  warmup: 2,
  out: 'RESULTS.md',
};
const FACTS: BrokerRunFacts = {
  command: 'node bench/src/broker-bench.ts --seconds 8',
  date: '2026-01-02T03:04:05.000Z',
  nproc: '4',
  cpuModel: 'Test CPU',
  node: 'v24.0.0',
  postgres: '15.0',
  loadAtStart: '0.10 0.20 0.30 1/100 1',
  loadAtEnd: '1.10 1.20 1.30 1/100 2',
};
const IDLE: IdleFigures = {
  staticSidecarRss: 70 * MIB,
  brokerSidecarRss: 72 * MIB,
  operatorRss: 150 * MIB,
  operatorCpuUsPerSecond: 5000,
  idleSeconds: 5,
};

function run(tps: number, p50: number, p99: number, cpu: { sidecar?: number; operator?: number; rss?: number } = {}): PathRun {
  return {
    result: { tps, transactions: tps * 8, failed: 0, latencyAvgMs: p50 / 1000, p50Us: p50, p99Us: p99, command: 'pgbench' },
    ...(cpu.sidecar === undefined ? {} : { sidecarCpuUsPerTxn: cpu.sidecar, peakRss: cpu.rss ?? 100 * MIB }),
    ...(cpu.operator === undefined ? {} : { operatorCpuUsPerTxn: cpu.operator }),
  };
}

/** Rounds differ, so the medians are means of two: direct 10,000 TPS, static 2,000, broker 500. */
const ONE_CLIENT: BrokerCell = {
  workload: 'S-simple',
  clients: 1,
  runs: {
    direct: [run(9000, 90, 190), run(11000, 110, 210)],
    static: [run(1900, 450, 1900, { sidecar: 300, rss: 120 * MIB }), run(2100, 550, 2100, { sidecar: 340, rss: 130 * MIB })],
    broker: [run(400, 1400, 3900, { sidecar: 600, operator: 700 }), run(600, 1600, 4100, { sidecar: 700, operator: 800 })],
  },
};
/** The broker path failed in both rounds. */
const EIGHT_CLIENTS: BrokerCell = {
  workload: 'S-simple',
  clients: 8,
  runs: {
    direct: [run(40000, 180, 400)],
    static: [run(8000, 900, 3000, { sidecar: 120 })],
    broker: [{ error: 'pgbench failed (exit 2):\nconnection refused' }],
  },
};

/** The markdown table under `heading`, as rows keyed by the header's column names. */
function table(markdown: string, heading: string): Record<string, string>[] {
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  assert.ok(start >= 0, `no heading ${heading}`);
  const first = lines.findIndex((line, i) => i > start && line.startsWith('|'));
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((c) => c.trim());
  const header = cells(lines[first] ?? '');
  const rows: Record<string, string>[] = [];
  for (let i = first + 2; lines[i]?.startsWith('|'); i++) {
    const values = cells(lines[i] ?? '');
    rows.push(Object.fromEntries(header.map((name, j) => [name, values[j] ?? ''])));
  }
  return rows;
}

const rowFor = (rows: Record<string, string>[], clients: number) => {
  const row = rows.find((r) => r.clients === String(clients));
  assert.ok(row, `no row for ${clients} client(s)`);
  return row;
};

describe('broker section', () => {
  const ingest = { files: 12, records: 34567, bytes: 3 * MIB };
  const section = renderBrokerSection(OPTIONS, FACTS, [ONE_CLIENT, EIGHT_CLIENTS], IDLE, ingest, 8000);

  test('throughput and latency: the three paths, broker / static, added p50 against direct', () => {
    const row = rowFor(table(section, '### Throughput and latency'), 1);
    assert.deepEqual(
      [row['direct TPS'], row['static TPS'], row['broker TPS'], row['broker / static'], row['broker / direct']],
      ['10000', '2000', '500', '0.25', '0.05'],
    );
    assert.deepEqual(
      [row['direct p50 / p99 µs'], row['static p50 / p99 µs'], row['broker p50 / p99 µs']],
      ['100 / 200', '500 / 2000', '1500 / 4000'],
    );
    assert.deepEqual([row['added p50 static (vs direct)'], row['added p50 broker (vs direct)']], ['400', '1400']);
    const failed = rowFor(table(section, '### Throughput and latency'), 8);
    assert.deepEqual([failed['broker TPS'], failed['broker / static'], failed['broker p50 / p99 µs']], ['n/a', 'n/a', 'n/a / n/a']);
  });

  test('CPU: each sidecar, the operator’s share and the broker path’s total against the static sidecar', () => {
    const heading = '### CPU per transaction: both sidecars, and the operator’s share of the broker path';
    const row = rowFor(table(section, heading), 1);
    assert.deepEqual(
      [
        row['static sidecar CPU µs / txn'],
        row['broker sidecar CPU µs / txn'],
        row['operator CPU µs / txn'],
        row['operator idle share µs / txn'],
        row['broker path CPU µs / txn (sidecar + operator)'],
        row['broker path / static sidecar'],
        row['static peak RSS'],
      ],
      ['320.0', '650.0', '750.0', '10.0', '1400.0', '4.38', '130.0 MiB'],
    );
    assert.equal(rowFor(table(section, heading), 8)['operator CPU µs / txn'], 'n/a');
    assert.match(section, /static sidecar 70\.0 MiB, broker sidecar 72\.0 MiB, operator 150\.0 MiB RSS/);
    assert.match(section, /the operator spends 5\.0 ms of CPU per second \(measured over 5 s/);
  });

  test('the command, the machine, the stored records and the failed path are stated', () => {
    assert.ok(section.startsWith(`${BROKER_BEGIN}\n`));
    assert.ok(section.endsWith(BROKER_END));
    assert.ok(section.includes(`\`\`\`sh\n${FACTS.command}\n\`\`\``));
    for (const fact of [
      '| nproc | 4 |',
      '| load average at start | 0.10 0.20 0.30 1/100 1 |',
      '| load average at the end | 1.10 1.20 1.30 1/100 2 |',
    ])
      assert.ok(section.includes(fact), fact);
    assert.match(section, /12 session files, 34567 records \(3\.0 MiB\) in its ingest directory, for 8000 transactions/);
    assert.match(section, /- S-simple c=8 broker: pgbench failed \(exit 2\): connection refused/);
  });
});

describe('withBrokerSection', () => {
  const generated = (body: string) => [BROKER_BEGIN, body, BROKER_END].join('\n');
  const others = '# Results\n\n<!-- BEGIN KUBERNETES -->\nk8s\n<!-- END KUBERNETES -->\n';

  test('appends the section with an analysis placeholder, the rest unchanged', () => {
    const text = withBrokerSection(others, generated('first numbers'));
    assert.ok(text.startsWith(`${others.trimEnd()}\n\n${BROKER_BEGIN}\nfirst numbers\n`));
    assert.match(text, /<!-- BEGIN BROKER ANALYSIS -->[\s\S]*<!-- END BROKER ANALYSIS -->\n<!-- END BROKER -->\n$/);
    assert.equal(withBrokerSection('', generated('only')).indexOf(BROKER_BEGIN), 0);
  });

  test('replaces the numbers in place, keeping the hand-written analysis and what follows', () => {
    const analysis = '<!-- BEGIN BROKER ANALYSIS -->\nwritten by hand\n<!-- END BROKER ANALYSIS -->';
    const tail = '\n\n## Later\nkept\n';
    const text = withBrokerSection(
      `${others}\n${BROKER_BEGIN}\nold numbers\n\n${analysis}\n${BROKER_END}${tail}`,
      generated('new numbers'),
    );
    assert.equal(text, `${others}\n${BROKER_BEGIN}\nnew numbers\n\n${analysis}\n${BROKER_END}${tail}`);
  });
});
