/**
 * The sidecar serving one Kubernetes Target in a process of its own, so the Kubernetes benchmark
 * can measure its CPU time and RSS and kubectl never shares its event loop. Wired as static mode
 * wires it (sidecar/src/in-process/static-sidecar.ts): static config and credentials (the API
 * server, its CA, a token), the in-process approval gate, JSONL recordings with fsync 'batch' and
 * onStoreFailure Block (the production defaults), logger at 'warn'. The policy allows reads and
 * denies the rest, so every request is parsed and decided as an agent's would be. The kubeconfig
 * for kubectl is written to the config directory, as in a pod.
 *
 * Usage: node bench/src/kubernetes-sidecar-process.ts '<json KubernetesSidecarProcessConfig>'
 * Line protocol: sidecar-process-protocol.ts ({"port", "pid"} once listening and the kubeconfig is
 * written; "stats" answered with CPU and RSS; "exit" or the end of stdin stops it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentPrincipal, TargetConfig } from '@airlock/contracts/broker';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { SqlClassifier, startStaticSidecar } from '@airlock/sidecar';
import { KUBERNETES_BENCH_TARGET, type KubernetesSidecarProcessConfig } from './kubernetes-sidecar-config.ts';
import { serveSidecarProcess } from './sidecar-process-protocol.ts';

const PRINCIPAL: AgentPrincipal = {
  identity: 'bench-agent',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:bench-agent',
  pod: { name: 'bench-0', uid: '00000000-0000-4000-8000-000000000003' },
  groups: ['bench'],
};

/** Reads only: the benchmark runs nothing else, and anything else would be refused and fail the run. */
const KUBERNETES_BENCH_POLICY: ApprovalPolicySpec = {
  defaultAction: 'deny',
  rules: [{ name: 'reads', action: 'allow', match: { kubernetes: { verbs: ['get', 'list', 'watch'] } } }],
};

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: kubernetes-sidecar-process.ts <json config>');
  const cfg = JSON.parse(raw) as KubernetesSidecarProcessConfig;
  const target: TargetConfig = {
    name: KUBERNETES_BENCH_TARGET,
    namespace: 'agents',
    labels: { env: 'bench' },
    spec: {
      type: 'kubernetes',
      localPort: 6443,
      kubernetes: { server: cfg.server },
      maskingProfile: cfg.maskingProfile,
      recording: { onStoreFailure: 'Block' },
    },
  };
  const recordingsDir = mkdtempSync(join(tmpdir(), 'airlock-bench-kubernetes-recordings-'));
  const { sidecar, close } = await startStaticSidecar({
    config: {
      principal: PRINCIPAL,
      targets: [target],
      policies: [{ name: 'bench-kubernetes-policy', namespace: 'agents', spec: KUBERNETES_BENCH_POLICY }],
      maskingKeys: {},
    },
    credentials: { [KUBERNETES_BENCH_TARGET]: { server: cfg.server, caBundle: cfg.caBundle, token: cfg.token } },
    recordings: { directory: recordingsDir, fsync: 'batch' },
    // Static mode needs the SQL classifier; this sidecar serves no PostgreSQL target, so it only costs memory.
    classifier: await SqlClassifier.create(),
    logger: createLogger({ level: 'warn' }),
    listenHost: '127.0.0.1',
    ports: { [KUBERNETES_BENCH_TARGET]: 0 },
    limits: {},
    configDir: cfg.configDir,
  });

  serveSidecarProcess(sidecar.ports[KUBERNETES_BENCH_TARGET] ?? 0, async () => {
    await close();
    rmSync(recordingsDir, { recursive: true, force: true });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`kubernetes-sidecar-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
