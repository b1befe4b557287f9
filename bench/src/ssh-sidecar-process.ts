/**
 * The sidecar serving one SSH Target in a process of its own, so the SSH benchmark can measure its
 * CPU time and RSS and the ssh clients never share its event loop. Wired as static mode wires it
 * (sidecar/src/in-process/static-sidecar.ts): static config and credentials, the in-process
 * approval gate, JSONL recordings with fsync 'batch' (the production default), logger at 'warn'.
 * The policy allows exactly what the benchmark runs (`true`, `cat <file>`, `head -c <n> <file>`),
 * so every command is parsed and decided as an agent's would be.
 *
 * Usage: node bench/src/ssh-sidecar-process.ts '<json SshSidecarProcessConfig>'
 * Prints one JSON line {"port": N, "pid": N} when listening and the ssh_config is written. Then
 * reads stdin lines: "stats" -> {"stats": {"userUs", "systemUs", "rss"}}; "exit" (or stdin end)
 * closes the sidecar and exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentPrincipal, TargetConfig } from '@airlock/contracts/broker';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { SqlClassifier, startStaticSidecar } from '@airlock/sidecar';
import { serveSidecarProcess } from './sidecar-process-protocol.ts';
import { SSH_BENCH_TARGET, type SshSidecarProcessConfig } from './ssh-sidecar-config.ts';

const PRINCIPAL: AgentPrincipal = {
  identity: 'bench-agent',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:bench-agent',
  pod: { name: 'bench-0', uid: '00000000-0000-4000-8000-000000000002' },
  groups: ['bench'],
};

/** What the benchmark runs, and nothing more: a command outside it would be denied and fail the run. */
const SSH_BENCH_POLICY: ApprovalPolicySpec = {
  defaultAction: 'deny',
  rules: [
    { name: 'no-op', action: 'allow', match: { ssh: { programs: ['true'] } } },
    { name: 'read-bench-files', action: 'allow', match: { ssh: { programs: ['cat', 'head'], arguments: ['**'] } } },
  ],
};

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: ssh-sidecar-process.ts <json config>');
  const cfg = JSON.parse(raw) as SshSidecarProcessConfig;
  const target: TargetConfig = {
    name: SSH_BENCH_TARGET,
    namespace: 'agents',
    labels: { env: 'bench' },
    spec: {
      type: 'ssh',
      localPort: 2222,
      ssh: { host: cfg.upstream.host, port: cfg.upstream.port, hostKeys: [...cfg.upstream.hostKeys] },
      recording: { onStoreFailure: 'Block' },
    },
  };
  const recordingsDir = mkdtempSync(join(tmpdir(), 'airlock-bench-ssh-recordings-'));
  const { sidecar, close } = await startStaticSidecar({
    config: {
      principal: PRINCIPAL,
      targets: [target],
      policies: [{ name: 'bench-ssh-policy', namespace: 'agents', spec: SSH_BENCH_POLICY }],
      maskingKeys: {},
    },
    credentials: { [SSH_BENCH_TARGET]: cfg.credentials },
    recordings: { directory: recordingsDir, fsync: 'batch' },
    // Static mode needs the SQL classifier; this sidecar serves no PostgreSQL target, so it only costs memory.
    classifier: await SqlClassifier.create(),
    logger: createLogger({ level: 'warn' }),
    listenHost: '127.0.0.1',
    ports: { [SSH_BENCH_TARGET]: 0 },
    limits: {},
    configDir: cfg.configDir,
  });

  serveSidecarProcess(sidecar.ports[SSH_BENCH_TARGET] ?? 0, async () => {
    await close();
    rmSync(recordingsDir, { recursive: true, force: true });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`ssh-sidecar-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
