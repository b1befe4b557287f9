/**
 * Micro-benchmark of byte-stream masking alone (no sockets): what SSH output costs to mask, in
 * MB/s of input, for several kinds of output and rule sets, fed in 32 KiB chunks (an SSH channel's
 * largest data packet) or one byte at a time (a shell echoing keystrokes). Prints JSON (--json) or
 * a markdown table. Not a test: the figures depend on the machine.
 *
 * Usage: node bench/src/stream-masking.ts [--json] [--ms 1500] [--mb 8]
 */
import { randomBytes } from 'node:crypto';
import { compileMaskingRules, type MaskingProfile, streamMaskingFor } from '@airlock/contracts/masking';
import type { MaskingRule } from '@airlock/crds';
import { MASKING_KEY } from './policies.ts';

export interface StreamCase {
  readonly name: string;
  readonly rules: string;
  readonly input: string;
  /** Null: no plan (no span rule), the stream is forwarded without looking at it. */
  readonly mbPerSecond: number | null;
  readonly maskedPerMb: number;
}

const CHUNK = 32 * 1024;

/** Log lines with numbers, paths, timestamps and ids: what detectors must look at and reject. */
function plainLog(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2024-05-${String(1 + (i % 28)).padStart(2, '0')}T12:${String(i % 60).padStart(2, '0')}:07.123Z INFO  [worker-${i % 8}] GET /api/v1/orders/${100_000 + i}?page=${i % 9} 200 ${(i * 7) % 900}ms bytes=${i * 13} trace=${(i * 2654435761).toString(16)} /var/lib/app/cache/${i % 97}.json`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

/** Every line holds a secret of some kind. */
function secretHeavy(bytes: number): Buffer {
  const secrets = [
    (i: number) => `user${i}@example.com`,
    () => '4111 1111 1111 1111',
    () => `ghp_${'a1B2'.repeat(9)}`,
    () => 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345',
    () => '123-45-6789',
    (i: number) => `pw=hunter${i}`,
  ];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `line ${i}: value ${secrets[i % secrets.length]!(i)} end`;
    lines.push(line);
    size += line.length + 1;
  }
  return Buffer.from(`${lines.join('\n')}\n`, 'utf8');
}

function planFor(rules: MaskingRule[], profile: MaskingProfile) {
  const compiled = compileMaskingRules({ sets: [{ policyName: 'bench', rules, hashKey: MASKING_KEY }], profile });
  if (compiled.errors.length > 0) throw new Error(`masking rules did not compile: ${JSON.stringify(compiled.errors)}`);
  return streamMaskingFor(compiled.rules);
}

/** Pushes `input` through a fresh masker in `chunk`-byte pieces until the budget is spent; returns MB/s and masked spans per MB. */
function throughput(
  plan: NonNullable<ReturnType<typeof planFor>>,
  input: Buffer,
  chunk: number,
  budgetMs: number,
): { mbPerSecond: number; maskedPerMb: number } {
  let masked = 0;
  const once = (): void => {
    const masker = plan.open();
    for (let at = 0; at < input.length; at += chunk) masker.push(input.subarray(at, Math.min(input.length, at + chunk)));
    masker.flush();
    masked = Object.values(masker.takeMaskedCounts()).reduce((a, b) => a + b, 0);
  };
  once();
  let bytes = 0;
  const start = performance.now();
  while (performance.now() - start < budgetMs) {
    once();
    bytes += input.length;
  }
  const seconds = (performance.now() - start) / 1000;
  return { mbPerSecond: bytes / (1024 * 1024) / seconds, maskedPerMb: masked / (input.length / (1024 * 1024)) };
}

export function measureStreamMasking(budgetMs = 1500, megabytes = 8): StreamCase[] {
  const size = megabytes * 1024 * 1024;
  const inputs: Record<string, Buffer> = {
    'plain log text': plainLog(size),
    'a secret on every line': secretHeavy(size),
    'random binary': randomBytes(size),
  };
  const ruleSets: { name: string; rules: MaskingRule[]; profile: MaskingProfile }[] = [
    { name: 'none (no span rule)', rules: [{ name: 'cols', columns: ['email'] }], profile: 'none' },
    { name: 'profile pii', rules: [], profile: 'pii' },
    { name: 'profile secrets', rules: [], profile: 'secrets' },
    { name: 'profile strict', rules: [], profile: 'strict' },
    {
      name: 'strict + pattern pw=(?P<mask>\\S+)',
      rules: [{ name: 'pw', patterns: ['pw=(?P<mask>\\S+)'], strategy: 'hash' }],
      profile: 'strict',
    },
  ];
  const out: StreamCase[] = [];
  for (const set of ruleSets) {
    const plan = planFor(set.rules, set.profile);
    for (const [input, bytes] of Object.entries(inputs)) {
      if (!plan) {
        out.push({ name: `${set.name} / ${input}`, rules: set.name, input, mbPerSecond: null, maskedPerMb: 0 });
        continue;
      }
      out.push({ name: `${set.name} / ${input}`, rules: set.name, input, ...throughput(plan, bytes, CHUNK, budgetMs) });
    }
  }
  // A shell echoing keystrokes: one byte per push, prompts and commands.
  const strict = planFor([], 'strict');
  if (strict) {
    const typed = Buffer.from('ls -la /var/log\ncat app.log | grep ERROR\n'.repeat(200));
    out.push({
      name: 'profile strict / typed, 1 byte per push',
      rules: 'profile strict',
      input: 'keystrokes',
      ...throughput(strict, typed, 1, budgetMs),
    });
  }
  return out;
}

export function streamMaskingMarkdown(cases: readonly StreamCase[]): string {
  const lines = ['| rules | input (32 KiB chunks) | MB/s | spans masked per MB |', '|---|---|---:|---:|'];
  for (const c of cases) {
    lines.push(
      `| ${c.rules} | ${c.input} | ${c.mbPerSecond === null ? 'no masker: forwarded untouched' : c.mbPerSecond.toFixed(1)} | ${c.maskedPerMb.toFixed(0)} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const arg = (name: string, fallback: number): number => {
    const at = process.argv.indexOf(name);
    return at > 0 ? Number(process.argv[at + 1]) : fallback;
  };
  const cases = measureStreamMasking(arg('--ms', 1500), arg('--mb', 8));
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(cases)}\n` : `${streamMaskingMarkdown(cases)}\n`);
}
