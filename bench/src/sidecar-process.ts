/**
 * The sidecar in a process of its own, so the benchmark can measure its CPU time and RSS and the
 * pgbench driver never shares its event loop. Wired like sidecar/src/protocols/postgres/testing/proxy-fixture.ts:
 * static config and credentials, the in-process approval gate, JSONL recordings in a temp dir
 * with fsync 'batch' (the production default), the real SQL classifier, logger at 'warn'.
 *
 * Usage: node bench/src/sidecar-process.ts '<json SidecarProcessConfig>'
 * Prints one JSON line {"port": N} when listening. Then reads stdin lines:
 *   "stats" -> prints {"stats": {"userUs", "systemUs", "rss"}}
 *   "gc"    -> runs a GC if --expose-gc was given, then prints stats
 *   "exit"  -> closes the sidecar and exits (stdin end does the same)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { AgentPrincipal, TargetConfig } from '@airlock/contracts/broker';
import { createLogger } from '@airlock/runtime';
import { SqlClassifier, startStaticSidecar } from '@airlock/sidecar';
import { BARE_POLICY, FULL_POLICY, MASKING_KEY } from './policies.ts';

export type SidecarVariant = 'full' | 'bare';

export interface SidecarProcessConfig {
  readonly variant: SidecarVariant;
  readonly upstream: { readonly host: string; readonly port: number; readonly database: string };
  readonly credentials: { readonly username: string; readonly password: string };
}

export interface SidecarStats {
  readonly userUs: number;
  readonly systemUs: number;
  readonly rss: number;
}

const PRINCIPAL: AgentPrincipal = {
  identity: 'bench-agent',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:bench-agent',
  pod: { name: 'bench-0', uid: '00000000-0000-4000-8000-000000000001' },
  groups: ['bench'],
};

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: sidecar-process.ts <json config>');
  const cfg = JSON.parse(raw) as SidecarProcessConfig;
  const full = cfg.variant === 'full';
  const sql = await SqlClassifier.create();
  const target: TargetConfig = {
    name: 'bench-db',
    namespace: 'agents',
    labels: { env: 'bench' },
    spec: {
      type: 'postgres',
      localPort: 5432,
      postgres: { host: cfg.upstream.host, port: cfg.upstream.port, database: cfg.upstream.database },
      recording: { onStoreFailure: 'Block' },
      ...(full ? { maskingProfile: 'pii' as const } : {}),
    },
  };
  const recordingsDir = mkdtempSync(join(tmpdir(), 'airlock-bench-recordings-'));
  const { sidecar, close } = await startStaticSidecar({
    config: {
      principal: PRINCIPAL,
      targets: [target],
      policies: [{ name: 'bench-policy', namespace: 'agents', spec: full ? FULL_POLICY : BARE_POLICY }],
      maskingKeys: full ? { 'masking-key/key': MASKING_KEY } : {},
    },
    credentials: { 'bench-db': cfg.credentials },
    // AIRLOCK_BENCH_FSYNC=never isolates the cost of fdatasync per recording batch.
    recordings: { directory: recordingsDir, fsync: process.env.AIRLOCK_BENCH_FSYNC === 'never' ? 'never' : 'batch' },
    classifier: sql,
    logger: createLogger({ level: 'warn' }),
    listenHost: '127.0.0.1',
    ports: { 'bench-db': 0 },
    limits: { connectTimeoutMs: 5000, startupTimeoutMs: 5000 },
  });

  const stats = (): SidecarStats => {
    const cpu = process.cpuUsage();
    return { userUs: cpu.user, systemUs: cpu.system, rss: process.memoryUsage().rss };
  };
  let closing: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      await close();
      rmSync(recordingsDir, { recursive: true, force: true });
      process.exit(0);
    })();
    return closing;
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());

  process.stdout.write(`${JSON.stringify({ port: sidecar.ports['bench-db'] ?? 0, pid: process.pid })}\n`);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'stats') process.stdout.write(`${JSON.stringify({ stats: stats() })}\n`);
    else if (command === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      process.stdout.write(`${JSON.stringify({ stats: stats() })}\n`);
    } else if (command === 'exit') void shutdown();
  });
  lines.on('close', () => void shutdown());
}

main().catch((error: unknown) => {
  process.stderr.write(`sidecar-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
