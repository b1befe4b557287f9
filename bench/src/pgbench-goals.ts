/**
 * The PostgreSQL benchmark's goals, exactly as the issue states them, checked against a run: one
 * row per goal with what the sidecar measured and whether that meets it, and the same figure for
 * the synced floor (floor-relay-sync.ts) — a relay that keeps only the sidecar's "stored before
 * forwarded" promise — so a reader sees whether that promise alone would already miss the goal.
 * Goals, not CI gates: nothing fails on them.
 *
 * "met?" is n/a when any figure a goal needs is missing (a target or cell that did not run, a run
 * that failed): a goal is never called met on part of its evidence.
 */
import type { MaskingCase } from './masking-cost.ts';
import type { Workload } from './pgbench.ts';
import { fmt, type IdleRss, MISSING, mb, ratio, type TargetName } from './pgbench-cells.ts';
import type { CellSummary, Summary } from './pgbench-summary.ts';

export interface GoalRow {
  /** Where the goal applies: workload and clients, or the quantity. */
  readonly goal: string;
  /** The threshold. */
  readonly target: string;
  /** The sidecar's figures. */
  readonly measured: string;
  readonly met: boolean | undefined;
  /** The synced floor's figures for the same goal and whether they would meet it, or why there are none. */
  readonly floorSynced: string;
}

/** One figure a goal needs: undefined when its target or cell did not run. */
interface Part {
  /** Shown before and after the figure (or – when it is missing). */
  readonly label: string;
  readonly suffix?: string;
  readonly value: number | undefined;
  readonly render: (value: number) => string;
  readonly meets: (value: number) => boolean;
}

interface Evaluated {
  readonly measured: string;
  readonly met: boolean | undefined;
}

const MB = 1024 * 1024;
const times = (v: number): string => `${fmt(v, 2)}×`;
const micros = (v: number): string => `${fmt(v, 1)} µs`;
const nanos = (v: number): string => `${fmt(v, 0)} ns`;
const metText = (met: boolean | undefined): string => (met === undefined ? 'n/a' : met ? 'met' : '**not met**');

function evaluate(parts: readonly Part[]): Evaluated {
  const shown = (value: number | undefined, render: (v: number) => string): string =>
    value === undefined ? MISSING : Number.isFinite(value) ? render(value) : 'n/a';
  const measured = parts.map((p) => `${p.label}${shown(p.value, p.render)}${p.suffix ?? ''}`).join(', ');
  const complete = parts.length > 0 && parts.every((p) => p.value !== undefined && Number.isFinite(p.value));
  return { measured, met: complete ? parts.every((p) => p.meets(p.value as number)) : undefined };
}

const withVerdict = ({ measured, met }: Evaluated): string => `${measured} (${metText(met)})`;

export function goalRows(summaries: readonly CellSummary[], idleRss: IdleRss, masking: readonly MaskingCase[] | string): GoalRow[] {
  const find = (workload: Workload, clients: number) => summaries.find((x) => x.cell.workload === workload && x.cell.clients === clients);
  const figure = (workload: Workload, clients: number, target: TargetName, pick: (s: Summary) => number): number | undefined => {
    const s = find(workload, clients)?.s[target];
    return s === undefined ? undefined : pick(s);
  };
  const tps = (w: Workload, c: number, t: TargetName) => figure(w, c, t, (s) => s.tps);
  const rows: GoalRow[] = [];
  const push = (goal: string, target: string, sidecar: readonly Part[], floorSynced: readonly Part[] | string): void => {
    const evaluated = evaluate(sidecar);
    rows.push({
      goal,
      target,
      measured: evaluated.measured,
      met: evaluated.met,
      floorSynced: typeof floorSynced === 'string' ? floorSynced : withVerdict(evaluate(floorSynced)),
    });
  };

  const versusPgbouncer = (w: Workload, t: TargetName): Part => ({
    label: '',
    value: ratio(tps(w, 8, t), tps(w, 8, 'pgbouncer')),
    render: times,
    suffix: ' PgBouncer',
    meets: (v) => v >= 0.9,
  });
  const spPrepared = (t: TargetName): Part[] => [
    versusPgbouncer('S-prepared', t),
    {
      label: '',
      value: ratio(tps('S-prepared', 8, t), tps('S-prepared', 8, 'direct')),
      render: times,
      suffix: ' direct',
      meets: (v) => v >= 0.6,
    },
  ];
  push(
    '`-S` prepared, 8 clients',
    'sidecar-full ≥ 0.9× PgBouncer session mode and ≥ 0.6× direct',
    spPrepared('sidecar-full'),
    spPrepared('floor-synced'),
  );
  push(
    '`-S` simple, 8 clients',
    'sidecar-full ≥ 0.9× PgBouncer',
    [versusPgbouncer('S-simple', 'sidecar-full')],
    [versusPgbouncer('S-simple', 'floor-synced')],
  );
  push(
    'tpcb-like, 8 clients',
    'sidecar-full ≥ 0.9× PgBouncer',
    [versusPgbouncer('tpcb-like', 'sidecar-full')],
    [versusPgbouncer('tpcb-like', 'floor-synced')],
  );

  const addedP50 = (t: TargetName): Part => {
    const p50 = figure('S-prepared', 1, t, (s) => s.p50);
    const direct = figure('S-prepared', 1, 'direct', (s) => s.p50);
    return {
      label: '',
      value: p50 === undefined || direct === undefined ? undefined : p50 - direct,
      render: micros,
      meets: (v) => v <= 40,
    };
  };
  push(
    'added p50 latency, 1 client, `-S` prepared',
    '≤ 40 µs over direct (sidecar-full)',
    [addedP50('sidecar-full')],
    [addedP50('floor-synced')],
  );

  // -S simple runs one statement per transaction, so CPU per transaction is CPU per statement.
  const cpuPerStatement = (t: TargetName): Part[] =>
    [1, 8].map((c) => ({
      label: `${c} client${c === 1 ? '' : 's'}: `,
      value: figure('S-simple', c, t, (s) => s.cpu),
      render: micros,
      meets: (v) => v <= 40,
    }));
  push(
    'sidecar CPU per simple-protocol statement',
    '≤ 40 µs (`-S` simple: CPU µs / txn of sidecar-full)',
    cpuPerStatement('sidecar-full'),
    cpuPerStatement('floor-synced'),
  );

  const cpuVersusFloor = (t: TargetName): Evaluated => everyCell(summaries, t);
  const full = cpuVersusFloor('sidecar-full');
  rows.push({
    goal: 'sidecar-full vs floor relay',
    target: '≤ 1.5× the floor’s CPU per transaction (every cell)',
    measured: full.measured,
    met: full.met,
    floorSynced: `floor-synced / floor: ${withVerdict(cpuVersusFloor('floor-synced'))}`,
  });

  const fields = maskingPerField(masking);
  push(
    'masking',
    '≤ 1 µs per masked field, ≤ 150 ns per field scanned by detectors (100×10 text result)',
    [
      { label: 'per masked field ', value: fields.perMaskedNs, render: nanos, meets: (v) => v <= 1000 },
      { label: 'per scanned field ', value: fields.perScannedNs, render: nanos, meets: (v) => v <= 150 },
    ],
    'n/a (does not mask)',
  );

  push(
    'idle RSS',
    '≤ 80 MB (each sidecar variant)',
    (['sidecar-full', 'sidecar-bare'] as const).map((t) => ({
      label: `${t.replace('sidecar-', '')} `,
      value: idleRss[t],
      render: mb,
      meets: (v) => v <= 80 * MB,
    })),
    [{ label: '', value: idleRss['floor-synced'], render: mb, meets: (v) => v <= 80 * MB }],
  );
  return rows;
}

/** `target`'s CPU per transaction over the floor's, in every cell: the worst cell is shown. */
function everyCell(summaries: readonly CellSummary[], target: TargetName): Evaluated {
  const ratios = summaries.map(({ cell, s }) => ({ cell, value: ratio(s[target]?.cpu, s.floor?.cpu) }));
  const known = ratios.flatMap((r) => (r.value !== undefined && Number.isFinite(r.value) ? [{ cell: r.cell, value: r.value }] : []));
  if (known.length === 0) return { measured: ratios.some((r) => r.value !== undefined) ? 'n/a' : MISSING, met: undefined };
  const worst = known.reduce((a, b) => (b.value > a.value ? b : a));
  const without = ratios.length - known.length;
  return {
    measured:
      `max ${times(worst.value)} (${worst.cell.workload}, ${worst.cell.clients} client${worst.cell.clients === 1 ? '' : 's'}) over ${known.length} cell${known.length === 1 ? '' : 's'}` +
      (without > 0 ? `, ${without} without a figure` : ''),
    met: without > 0 ? undefined : known.every((r) => r.value <= 1.5),
  };
}

/**
 * From the masking micro-benchmark's rows: 'column rules only' masks whole fields (ns per row over
 * fields masked per row); 'profile pii only' runs the detectors over all 10 fields of a row.
 */
export function maskingPerField(masking: readonly MaskingCase[] | string): { perMaskedNs: number; perScannedNs: number } {
  if (typeof masking === 'string') return { perMaskedNs: Number.NaN, perScannedNs: Number.NaN };
  const columnRules = masking.find((c) => c.name === 'column rules only');
  const detectors = masking.find((c) => c.name === 'profile pii only');
  const maskedPerRow = (columnRules?.maskedFieldsPer100Rows ?? 0) / 100;
  return {
    perMaskedNs: columnRules?.nsPerRow != null && maskedPerRow > 0 ? columnRules.nsPerRow / maskedPerRow : Number.NaN,
    perScannedNs: detectors?.nsPerRow != null ? detectors.nsPerRow / 10 : Number.NaN,
  };
}

export function goalsMarkdown(rows: readonly GoalRow[]): string {
  const out = [
    '## Goals (not CI gates)',
    '',
    'The issue’s goals. “met?” is the sidecar’s; **floor-synced** is the same figure for the synced floor relay, ' +
      'which keeps only the sidecar’s stored-before-forwarded promise: where it misses a goal too, the durability promise alone does.',
    '',
    '| goal | target | measured | met? | floor-synced |',
    '|---|---|---|---|---|',
  ];
  for (const g of rows) out.push(`| ${g.goal} | ${g.target} | ${g.measured} | ${metText(g.met)} | ${g.floorSynced} |`);
  return out.join('\n');
}
