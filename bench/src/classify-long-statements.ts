/**
 * How long classifying one long statement blocks the event loop: the sidecar classifies on its
 * only thread, so every other session waits this long (sidecar README, Limits:
 * limits.maxStatementBytes). Realistic long shapes, each at several sizes up to the 1 MiB that was
 * the default, each classified `--repeat` + 1 times with fresh literals (so no cache answers).
 * Prints a markdown table of the median and worst wall time per shape and size.
 *
 * Usage: node --liftoff-only bench/src/classify-long-statements.ts [--repeat 3] [--json]
 * (--liftoff-only as in production: sidecar README, Memory).
 */
import { parseArgs } from 'node:util';
import { SqlClassifier } from '@airlock/sidecar';

export interface LongStatementCase {
  readonly shape: string;
  readonly bytes: number;
  readonly medianMs: number;
  readonly worstMs: number;
  readonly kinds: string;
}

/** Builds a text of about `bytes` bytes; `seed` changes the literals so no cache could help. */
type Shape = (bytes: number, seed: number) => string;

const repeatUntil = (head: string, item: (i: number) => string, separator: string, tail: string, bytes: number): string => {
  const parts: string[] = [];
  let length = head.length + tail.length;
  for (let i = 0; length < bytes; i++) {
    const next = item(i);
    parts.push(next);
    length += next.length + separator.length;
  }
  return `${head}${parts.join(separator)}${tail}`;
};

export const SHAPES: Readonly<Record<string, Shape>> = {
  'IN list of integers': (bytes, seed) =>
    repeatUntil('SELECT id, email FROM orders WHERE id IN (', (i) => String(seed * 1_000_000 + i), ', ', ')', bytes),
  'INSERT ... VALUES, 4 columns': (bytes, seed) =>
    repeatUntil(
      'INSERT INTO orders (id, customer, email, total) VALUES ',
      (i) => `(${seed * 1_000_000 + i}, 'customer ${i}', 'c${i}@example.com', ${i}.50)`,
      ', ',
      '',
      bytes,
    ),
  'OR chain of comparisons': (bytes, seed) =>
    repeatUntil('SELECT * FROM orders WHERE ', (i) => `(customer = 'c${seed}-${i}' AND total > ${i})`, ' OR ', '', bytes),
  'CASE with many branches': (bytes, seed) =>
    repeatUntil('SELECT CASE status ', (i) => `WHEN ${seed * 1_000_000 + i} THEN 'label ${i}'`, ' ', ' END FROM orders', bytes),
  'many statements in one Query': (bytes, seed) =>
    repeatUntil('', (i) => `UPDATE orders SET total = ${i} WHERE id = ${seed * 1_000_000 + i}`, '; ', '', bytes),
  'deep expression (at the nesting limit)': (bytes, seed) => {
    // A sum is a left-deep tree; the classifier refuses deeper ones unparsed (classifier.ts
    // PARSE_NESTING_LIMIT), so the deepest it parses is this, padded with a long string to size.
    const terms = Array.from({ length: 600 }, (_, i) => `t.c${i % 7}`).join(' + ');
    const pad = 'x'.repeat(Math.max(0, bytes - terms.length - 80));
    return `SELECT ${terms} + ${seed} AS deep, '${pad}' AS pad FROM t`;
  },
};

export const SIZES = [64 * 1024, 256 * 1024, 1024 * 1024];

export async function measureLongStatements(repeat: number): Promise<LongStatementCase[]> {
  // The production classifier (caches on: texts this long are never cached, but normalize and
  // fingerprint still run), with room above the largest size measured.
  const classifier = await SqlClassifier.create({ maxLength: 2 * 1024 * 1024 });
  // Load and run the parser once, so the first case does not pay for the module's first call.
  classifier.classify('SELECT 1');
  const cases: LongStatementCase[] = [];
  for (const [shape, build] of Object.entries(SHAPES)) {
    for (const size of SIZES) {
      const times: number[] = [];
      let kinds = '';
      for (let run = 0; run <= repeat; run++) {
        const text = build(size, run + 1);
        const started = performance.now();
        const batch = classifier.classify(text);
        times.push(performance.now() - started);
        kinds = [...new Set(batch.statements.flatMap((s) => s.kinds))].join(',');
      }
      times.sort((a, b) => a - b);
      cases.push({
        shape,
        bytes: size,
        medianMs: round(times[Math.floor(times.length / 2)] ?? 0),
        worstMs: round(times.at(-1) ?? 0),
        kinds,
      });
    }
  }
  return cases;
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { repeat: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } });
  const cases = await measureLongStatements(Number(values.repeat));
  if (values.json) {
    process.stdout.write(`${JSON.stringify(cases, null, 2)}\n`);
    return;
  }
  const lines = ['| shape | bytes | median ms | worst ms | kinds |', '|---|---:|---:|---:|---|'];
  for (const c of cases) lines.push(`| ${c.shape} | ${c.bytes} | ${c.medianMs} | ${c.worstMs} | ${c.kinds} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (import.meta.main) await main();
