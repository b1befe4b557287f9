/** AgentIdentities, Targets and ApprovalPolicies for the broker's unit tests. */
import type { AgentIdentity, ApprovalPolicy, ApprovalPolicySpec, Target } from '@airlock/crds';
import type { PodIdentity } from '../sidecar-config.ts';

export const NS = 'agents';

export const POD: PodIdentity = {
  namespace: NS,
  name: 'migrate-7kq2x',
  uid: '5f0c7a2e-1111-4c8e-9d1e-000000000001',
  serviceAccount: `system:serviceaccount:${NS}:ci-migrations`,
};

export function identity(name = 'ci-migrations', targets = ['orders-db'], groups = ['ci']): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: NS, labels: { team: 'payments' } },
    spec: { serviceAccountName: 'ci-migrations', groups, targets },
  };
}

export function target(name = 'orders-db', localPort = 5432): Target {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name, namespace: NS, labels: { env: 'test' } },
    spec: {
      type: 'postgres',
      localPort,
      postgres: { host: 'db.example', port: 5432, database: 'orders', tls: { mode: 'disable' } },
      credentialsSecretRef: { name: `${name}-creds` },
    },
  };
}

/** An SSH host with a pinned host key, as crds/examples/ssh-target.yaml describes one. */
export function sshTarget(name = 'build-host', localPort = 2222): Target {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name, namespace: NS, labels: { env: 'test' } },
    spec: {
      type: 'ssh',
      localPort,
      ssh: {
        host: 'build-01.example',
        port: 22,
        hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHa5mW4sRyO7nQ0pXJfVZbkYx3k0pXl9Yv1n1qX2n3Yb'],
      },
      credentialsSecretRef: { name: `${name}-creds` },
    },
  };
}

export function policy(name: string, spec: ApprovalPolicySpec, namespace = NS): ApprovalPolicy {
  return { apiVersion: 'airlock.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name, namespace }, spec };
}

export const READS_ALLOWED: ApprovalPolicySpec = {
  rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }],
  defaultAction: 'deny',
};
