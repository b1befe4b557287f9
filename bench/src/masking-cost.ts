/**
 * Micro-benchmark of the masking engine alone (no sockets): compileMasking with the benchmark's
 * 'full' rules, a plan for 10 text columns, and maskRow over a hand-built 100-row DataRow set.
 * Prints JSON (--json) or a markdown table.
 *
 * Usage: node bench/src/masking-cost.ts [--json] [--ms 1500]
 */

import type { MaskingProfile } from '@airlock/contracts/masking';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { compileMasking, type MaskColumn } from '@airlock/sidecar';
import { FULL_POLICY, MASKING_KEY } from './policies.ts';

export interface MaskingCase {
  readonly name: string;
  readonly description: string;
  /** Null: planFor returned no plan, rows are forwarded without looking at them. */
  readonly nsPerRow: number | null;
  readonly usPer100Rows: number | null;
  readonly planNs: number;
  readonly maskedFieldsPer100Rows: number;
}

const COLUMN_NAMES = ['id', 'full_name', 'email', 'card_number', 'city', 'notes', 'created_at', 'status', 'amount', 'phone'];
/** Same shape, no column a rule names: only detectors (the profile) can mask anything. */
const NEUTRAL_NAMES = ['id', 'full_name', 'contact', 'payment', 'city', 'notes', 'created_at', 'status', 'amount', 'phone'];

function dataRow(values: readonly string[]): Buffer {
  const bodies = values.map((v) => Buffer.from(v, 'utf8'));
  const length = 4 + 2 + bodies.reduce((n, b) => n + 4 + b.length, 0);
  const frame = Buffer.allocUnsafe(1 + length);
  frame[0] = 0x44; // 'D'
  frame.writeInt32BE(length, 1);
  frame.writeInt16BE(values.length, 5);
  let at = 7;
  for (const body of bodies) {
    frame.writeInt32BE(body.length, at);
    at += 4;
    body.copy(frame, at);
    at += body.length;
  }
  return frame;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Leslie'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Lamport'];
const CITIES = ['Berlin', 'Lisbon', 'Oslo', 'Madrid', 'Vienna', 'Prague', 'Dublin', 'Warsaw', 'Zurich', 'Rome'];
const CARDS = ['4111 1111 1111 1111', '5500 0000 0000 0004', '3400 0000 0000 009', '6011 0000 0000 0004', '4012888888881881'];

export function rows(count = 100): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const first = FIRST[i % 10] ?? 'Ada';
    const last = LAST[(i * 7) % 10] ?? 'Lovelace';
    const notes =
      i % 10 === 0
        ? `customer asked to be contacted at ${first.toLowerCase()}.${i}@example.org about the refund`
        : i % 10 === 5
          ? `paid with card ${CARDS[i % CARDS.length]} on the phone, order #${10_000 + i}`
          : `regular order #${10_000 + i}, delivered on time, no complaints from the customer`;
    out.push(
      dataRow([
        String(100_000 + i),
        `${first} ${last}`,
        `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.com`,
        CARDS[i % CARDS.length] ?? '4111111111111111',
        CITIES[i % 10] ?? 'Berlin',
        notes,
        `2024-0${1 + (i % 9)}-1${i % 10} 12:${String(i % 60).padStart(2, '0')}:00+00`,
        i % 3 === 0 ? 'shipped' : 'pending',
        `${(i * 13.37).toFixed(2)}`,
        `+49 30 ${String(1_000_000 + i * 7919).slice(0, 7)}`,
      ]),
    );
  }
  return out;
}

function columns(names: readonly string[]): MaskColumn[] {
  return names.map((name) => ({ name, typeOid: 25, format: 0 }));
}

function masker(policy: ApprovalPolicySpec | undefined, profile: MaskingProfile | undefined) {
  const compiled = compileMasking({
    sets: policy?.masking ? [{ policyName: 'bench-policy', rules: policy.masking.rules ?? [], hashKey: MASKING_KEY }] : [],
    ...(profile === undefined ? {} : { profile }),
  });
  if (compiled.errors.length > 0) throw new Error(`masking rules did not compile: ${JSON.stringify(compiled.errors)}`);
  return compiled.masker;
}

function timeLoop(budgetMs: number, body: () => void): number {
  // Warm up so the JIT has compiled the hot path, then run batches until the budget is spent.
  const warmUntil = performance.now() + Math.min(300, budgetMs / 3);
  while (performance.now() < warmUntil) body();
  let iterations = 0;
  const start = process.hrtime.bigint();
  const deadline = performance.now() + budgetMs;
  while (performance.now() < deadline) {
    for (let i = 0; i < 20; i++) body();
    iterations += 20;
  }
  return Number(process.hrtime.bigint() - start) / iterations;
}

export function measureMasking(budgetMs = 1500): MaskingCase[] {
  const data = rows(100);
  const cases: { name: string; description: string; names: readonly string[]; policy?: ApprovalPolicySpec; profile?: MaskingProfile }[] = [
    {
      name: 'no rule matches',
      description: 'column rules compiled, no column named email/card_number, no profile: planFor returns null, rows forwarded untouched',
      names: NEUTRAL_NAMES,
      policy: FULL_POLICY,
    },
    {
      name: 'column rules only',
      description: 'email (hash) and card_number (partial keepLast 4) masked whole; other 8 columns passed',
      names: COLUMN_NAMES,
      policy: FULL_POLICY,
    },
    {
      name: 'profile pii only',
      description: 'no column rule matches; detectors email, cardNumber, nationalId scan all 10 text columns',
      names: NEUTRAL_NAMES,
      profile: 'pii',
    },
    {
      name: 'column rules + profile pii',
      description: "the sidecar 'full' variant: 2 columns masked whole, detectors scan the other 8",
      names: COLUMN_NAMES,
      policy: FULL_POLICY,
      profile: 'pii',
    },
  ];
  const out: MaskingCase[] = [];
  for (const c of cases) {
    const m = masker(c.policy, c.profile);
    const cols = columns(c.names);
    const planNs = timeLoop(Math.min(300, budgetMs / 4), () => {
      m.planFor(cols);
    });
    const plan = m.planFor(cols);
    if (plan === null) {
      out.push({ name: c.name, description: c.description, nsPerRow: null, usPer100Rows: null, planNs, maskedFieldsPer100Rows: 0 });
      continue;
    }
    let masked = 0;
    for (const row of data) masked += plan.maskRow(row).masked.length;
    let sink = 0;
    const perResultNs = timeLoop(budgetMs, () => {
      for (const row of data) sink += plan.maskRow(row).frame.length;
    });
    if (sink < 0) throw new Error('unreachable');
    out.push({
      name: c.name,
      description: c.description,
      nsPerRow: perResultNs / data.length,
      usPer100Rows: perResultNs / 1000,
      planNs,
      maskedFieldsPer100Rows: masked,
    });
  }
  return out;
}

export function maskingMarkdown(cases: readonly MaskingCase[]): string {
  const lines = [
    '| case | ns / row | µs / 100-row result | planFor ns (once per RowDescription) | fields masked per 100 rows | what runs |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const c of cases) {
    lines.push(
      `| ${c.name} | ${c.nsPerRow === null ? '0 (no plan)' : c.nsPerRow.toFixed(0)} | ${c.usPer100Rows === null ? '0 (no plan)' : c.usPer100Rows.toFixed(1)} | ${c.planNs.toFixed(0)} | ${c.maskedFieldsPer100Rows} | ${c.description} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const msArg = process.argv.indexOf('--ms');
  const budget = msArg > 0 ? Number(process.argv[msArg + 1]) : 1500;
  const cases = measureMasking(budget);
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(cases)}\n` : `${maskingMarkdown(cases)}\n`);
}
