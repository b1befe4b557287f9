/**
 * Runs pgbench and reads its results: TPS and average latency from its summary, p50/p99 from the
 * per-transaction log (-l, column 3 is the transaction's latency in microseconds), which is
 * written to a temp dir and deleted after parsing.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgbenchEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Undefined: no password (the sidecar's pod identity). */
  readonly password: string | undefined;
}

export type Workload = 'S-simple' | 'S-prepared' | 'tpcb-like';

export interface PgbenchRun {
  readonly workload: Workload;
  readonly clients: number;
  readonly seconds: number;
}

export interface PgbenchResult {
  readonly tps: number;
  readonly transactions: number;
  readonly failed: number;
  readonly latencyAvgMs: number;
  readonly p50Us: number;
  readonly p99Us: number;
  readonly command: string;
}

export function workloadArgs(workload: Workload): string[] {
  switch (workload) {
    case 'S-simple':
      return ['-S', '-M', 'simple'];
    case 'S-prepared':
      return ['-S', '-M', 'prepared'];
    case 'tpcb-like':
      return ['-M', 'simple'];
  }
}

function connectionArgs(endpoint: PgbenchEndpoint): string[] {
  return ['-h', endpoint.host, '-p', String(endpoint.port), '-U', endpoint.user];
}

function env(endpoint: PgbenchEndpoint): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10' };
  delete out.PGPASSWORD;
  if (endpoint.password !== undefined) out.PGPASSWORD = endpoint.password;
  return out;
}

interface Exec {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function exec(program: string, args: string[], environment: NodeJS.ProcessEnv, cwd?: string): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env: environment, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** pgbench -i: creates and fills the pgbench tables. */
export async function pgbenchInit(pgbench: string, endpoint: PgbenchEndpoint, scale: number): Promise<void> {
  const result = await exec(pgbench, ['-i', '-q', '-s', String(scale), ...connectionArgs(endpoint), endpoint.database], env(endpoint));
  if (result.code !== 0) throw new Error(`pgbench -i failed (${result.code}):\n${result.stderr}`);
}

export async function runPgbench(pgbench: string, endpoint: PgbenchEndpoint, run: PgbenchRun): Promise<PgbenchResult> {
  const logDir = mkdtempSync(join(tmpdir(), 'airlock-pgbench-log-'));
  const args = [
    '-n',
    '-T',
    String(run.seconds),
    '-c',
    String(run.clients),
    '-j',
    String(Math.min(run.clients, 2)),
    ...workloadArgs(run.workload),
    '-l',
    '--log-prefix',
    join(logDir, 'txn'),
    ...connectionArgs(endpoint),
    endpoint.database,
  ];
  const command = `pgbench ${args.filter((a) => !a.startsWith(logDir)).join(' ')}`;
  try {
    const result = await exec(pgbench, args, env(endpoint));
    if (result.code !== 0)
      throw new Error(`${command} failed (exit ${result.code}):\n${result.stderr.slice(-2000)}\n${result.stdout.slice(-2000)}`);
    const out = result.stdout;
    const tps = numberAfter(out, /tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/);
    const transactions = numberAfter(out, /number of transactions actually processed: (\d+)/);
    const failedMatch = /number of failed transactions: (\d+)/.exec(out);
    const latencyAvgMs = numberAfter(out, /latency average = ([\d.]+) ms/);
    const latencies = readLatencies(logDir);
    return {
      tps,
      transactions,
      failed: failedMatch?.[1] ? Number(failedMatch[1]) : 0,
      latencyAvgMs,
      p50Us: percentile(latencies, 0.5),
      p99Us: percentile(latencies, 0.99),
      command,
    };
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

function numberAfter(text: string, pattern: RegExp): number {
  const match = pattern.exec(text);
  if (!match?.[1]) throw new Error(`pgbench output has no ${pattern}:\n${text}`);
  return Number(match[1]);
}

/** Column 3 of each per-transaction log line: latency in microseconds. Sorted ascending. */
function readLatencies(dir: string): Float64Array {
  const values: number[] = [];
  for (const file of readdirSync(dir)) {
    const text = readFileSync(join(dir, file), 'utf8');
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const fields = line.split(' ');
      const latency = Number(fields[2]);
      if (Number.isFinite(latency)) values.push(latency);
    }
  }
  return Float64Array.from(values).sort();
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
