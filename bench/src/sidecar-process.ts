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
import type { AgentPrincipal, TargetConfig } from '@airlock/contracts/broker';
import { createLogger } from '@airlock/runtime';
import { SqlClassifier, startStaticSidecar } from '@airlock/sidecar';
import { BARE_POLICY, FULL_POLICY, MASKING_KEY } from './policies.ts';
import { serveSidecarProcess } from './sidecar-process-protocol.ts';

export type SidecarVariant = 'full' | 'bare';

export interface SidecarProcessConfig {
  readonly variant: SidecarVariant;
  readonly upstream: { readonly host: string; readonly port: number; readonly database: string };
  readonly credentials: { readonly username: string; readonly password: string };
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

  serveSidecarProcess(sidecar.ports['bench-db'] ?? 0, async () => {
    await close();
    rmSync(recordingsDir, { recursive: true, force: true });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`sidecar-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
