/**
 * The cluster objects of the broker benchmark's agent, as a policy author and an admin would
 * apply them: namespace, service account, the Target `bench-db` for the benchmark's PostgreSQL
 * (recording onStoreFailure Block, the pii masking profile of the static 'full' sidecar) with its
 * credentials Secret, the masking key Secret, the AgentIdentity, and an ApprovalPolicy whose spec
 * is FULL_POLICY — so the broker sidecar decides and masks exactly as the static 'full' sidecar
 * does (sidecar-process.ts) — and the agent pod the sidecar's token is bound to. Pure: builds objects.
 */
import { LABEL_ENABLED, LABELS } from '@airlock/contracts/install';
import type { AgentIdentity, ApprovalPolicy, Target } from '@airlock/crds';
import { FULL_POLICY, MASKING_KEY } from './policies.ts';

export const BENCH_NAMESPACE = 'agents';
export const BENCH_SERVICE_ACCOUNT = 'bench-agent';
export const BENCH_TARGET = 'bench-db';
export const BENCH_POD = 'bench-0';

export interface BenchDatabase {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password: string;
}

/** A core object (Namespace, ServiceAccount, Secret, Pod) as written in a manifest. */
interface CoreObject {
  readonly apiVersion: 'v1';
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

export type ClusterObject = CoreObject | Target | AgentIdentity | ApprovalPolicy;

/** Everything but the pod, in the order they can be created. `localPort` is the Target's (the sidecar is started on port 0). */
export function agentObjects(db: BenchDatabase, localPort: number): ClusterObject[] {
  const target: Target = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name: BENCH_TARGET, namespace: BENCH_NAMESPACE, labels: { env: 'bench' } },
    spec: {
      type: 'postgres',
      localPort,
      postgres: { host: db.host, port: db.port, database: db.database, tls: { mode: 'disable' } },
      credentialsSecretRef: { name: `${BENCH_TARGET}-creds` },
      recording: { onStoreFailure: 'Block' },
      maskingProfile: 'pii',
    },
  };
  const identity: AgentIdentity = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name: BENCH_SERVICE_ACCOUNT, namespace: BENCH_NAMESPACE },
    spec: { serviceAccountName: BENCH_SERVICE_ACCOUNT, groups: ['bench'], targets: [BENCH_TARGET] },
  };
  const policy: ApprovalPolicy = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalPolicy',
    metadata: { name: 'bench-policy', namespace: BENCH_NAMESPACE },
    spec: FULL_POLICY,
  };
  const masking = FULL_POLICY.masking?.hashKeySecretRef;
  if (!masking) throw new Error('FULL_POLICY has no masking key reference; the broker benchmark needs the one the static sidecar uses');
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BENCH_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: BENCH_SERVICE_ACCOUNT, namespace: BENCH_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${BENCH_TARGET}-creds`, namespace: BENCH_NAMESPACE },
      stringData: { username: db.username, password: db.password },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: masking.name, namespace: BENCH_NAMESPACE },
      stringData: { [masking.key]: MASKING_KEY },
    },
    target,
    identity,
    policy,
  ];
}

/** The agent pod: opted in (the broker serves only pods labelled for injection), no token mounted into the agent. */
export function agentPod(): CoreObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: BENCH_POD, namespace: BENCH_NAMESPACE, labels: { [LABELS.podInject]: LABEL_ENABLED.pod } },
    spec: {
      serviceAccountName: BENCH_SERVICE_ACCOUNT,
      automountServiceAccountToken: false,
      containers: [{ name: 'agent', image: 'registry.invalid/bench-agent:1' }],
    },
  };
}
