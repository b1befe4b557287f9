/**
 * The sidecar serving one kubernetes Target, wired with the in-process seams the static mode uses
 * (static config, pod identity, the in-process approval gate, JSONL recordings in a temp dir, a
 * temp config volume where the sidecar writes the agents' kubeconfig), for the fault and
 * hostile-input tests of the Kubernetes data path.
 *
 * It calls startSidecar, not startStaticSidecar: the static sidecar takes neither the Kubernetes
 * protocol's options (HTTP limits) nor a clock, a CredentialSource or a RecordingStore of the
 * test's own, and these tests need all four (a store that fails, credentials that count their
 * fetches, small header limits, a clock that jumps).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUBECONFIG_FILE, POSTGRES_DEFAULT_LIMITS } from '@airlock/contracts/targets';
import type { ApprovalPolicySpec, TargetSpec } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import type { HttpLimits } from '../../../core/http/http-limits.ts';
import type { AgentPrincipal, CredentialSource, TargetConfig } from '../../../core/ports.ts';
import { FileRecordingStore } from '../../../core/recording/file-sink.ts';
import type { RecordingStore } from '../../../core/recording/sink.ts';
import { InProcessApprovalGate } from '../../../in-process/in-process-gate.ts';
import { StaticAuthenticator } from '../../../in-process/static-authenticator.ts';
import { StaticConfigSource } from '../../../in-process/static-config.ts';
import { StaticCredentialSource, type StaticCredentials } from '../../../in-process/static-credentials.ts';
import { type RunningSidecar, startSidecar } from '../../../sidecar.ts';

export const PRINCIPAL: AgentPrincipal = {
  identity: 'cluster-bot',
  namespace: 'agents',
  serviceAccount: 'system:serviceaccount:agents:cluster-bot',
  pod: { name: 'cluster-bot-5d8f2', uid: '5f0c7a2e-3333-4c8e-9d1e-000000000003' },
  groups: ['ci'],
};

export const TARGET_NAME = 'cluster-api';

/** Everything is allowed: what happens is up to the fault under test, not the policy. */
export const ALLOW_EVERYTHING: ApprovalPolicySpec = {
  rules: [
    {
      name: 'everything',
      match: {
        kubernetes: {
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
          namespaces: ['*'],
          names: ['*'],
        },
      },
      action: 'allow',
    },
  ],
  defaultAction: 'deny',
};

export interface KubernetesSidecarOptions {
  /** A CredentialSource of the test's own, or static credentials for the Target. */
  readonly credentials: CredentialSource | StaticCredentials;
  readonly policy?: ApprovalPolicySpec;
  readonly recording?: TargetSpec['recording'];
  /** Where records go; JSONL files in a temp dir by default. */
  readonly recordings?: RecordingStore;
  /** Over DEFAULT_HTTP_LIMITS. */
  readonly limits?: Partial<HttpLimits>;
  readonly clock?: () => number;
  /** When set, agents must send one of these as their bearer token (an agent with its own identity). */
  readonly agentTokens?: Readonly<Record<string, AgentPrincipal>>;
}

export interface KubernetesSidecarFixture {
  readonly sidecar: RunningSidecar;
  readonly port: number;
  /** http://127.0.0.1:<port>, the agent's server. */
  readonly url: string;
  readonly gate: InProcessApprovalGate;
  /** The kubeconfig the sidecar wrote for the agents, for the real kubectl. */
  readonly kubeconfigPath: string;
  readonly recordingsDir: string;
  close(): Promise<void>;
}

export async function startKubernetesSidecar(options: KubernetesSidecarOptions): Promise<KubernetesSidecarFixture> {
  const target: TargetConfig = {
    name: TARGET_NAME,
    namespace: 'agents',
    labels: {},
    spec: {
      type: 'kubernetes',
      localPort: 6443,
      kubernetes: { server: 'https://kubernetes.invalid' },
      recording: options.recording ?? { onStoreFailure: 'Block' },
    },
  };
  const recordingsDir = mkdtempSync(join(tmpdir(), 'airlock-k8s-recordings-'));
  const configDir = mkdtempSync(join(tmpdir(), 'airlock-k8s-config-'));
  const removeDirs = () => {
    rmSync(recordingsDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  };
  const gate = new InProcessApprovalGate();
  const credentials =
    'forTarget' in options.credentials ? options.credentials : new StaticCredentialSource({ [TARGET_NAME]: options.credentials });
  const sidecar = await startSidecar({
    config: new StaticConfigSource({
      principal: PRINCIPAL,
      targets: [target],
      policies: [{ name: 'cluster-policy', namespace: 'agents', spec: options.policy ?? ALLOW_EVERYTHING }],
      maskingKeys: {},
    }),
    credentials,
    authenticator: new StaticAuthenticator(PRINCIPAL, options.agentTokens),
    gate,
    recordings: options.recordings ?? new FileRecordingStore({ directory: recordingsDir, fsync: 'never' }),
    postgres: {
      classify: () => {
        throw new Error('this test sidecar serves no postgres target');
      },
      limits: POSTGRES_DEFAULT_LIMITS,
    },
    kubernetes: { ...(options.limits ? { limits: options.limits } : {}) },
    logger: createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' }),
    listenHost: '127.0.0.1',
    ports: { [TARGET_NAME]: 0 },
    recorderOptions: { maxBatchDelayMs: 5, initialRetryDelayMs: 20, maxRetryDelayMs: 100 },
    configDir,
    ...(options.clock ? { clock: options.clock } : {}),
  }).catch((error: unknown) => {
    gate.close();
    removeDirs();
    throw error;
  });
  const port = sidecar.ports[TARGET_NAME] ?? 0;
  return {
    sidecar,
    port,
    url: `http://127.0.0.1:${port}`,
    gate,
    kubeconfigPath: join(configDir, KUBECONFIG_FILE),
    recordingsDir,
    close: async () => {
      gate.close();
      await sidecar.close();
      removeDirs();
    },
  };
}
