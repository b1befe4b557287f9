/**
 * Objects for webhook unit tests, written out by hand: pods as a user (or the ServiceAccount
 * admission plugin) would hand them to the webhook, Targets and AgentIdentities as a policy author
 * writes them, and a Catalog over plain arrays.
 */
import type { AgentIdentity, Target } from '@airlock/crds';
import type { V1Pod } from '@kubernetes/client-node';
import type { Catalog } from '../../catalog.ts';
import type { InjectionSettings } from '../injection-settings.ts';

export const NS = 'agents';

export const SETTINGS: InjectionSettings = {
  image: 'ghcr.io/airlock/sidecar:0.1.0',
  brokerURL: 'https://airlock-broker.airlock-system.svc:8443',
  brokerCAPem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  operatorNamespace: 'airlock-system',
};

export function target(name: string, type: Target['spec']['type'], localPort: number, extra: Partial<Target['spec']> = {}): Target {
  const endpoint: Partial<Target['spec']> =
    type === 'postgres'
      ? { postgres: { host: `${name}.db.svc`, port: 5432, database: name.replace(/-db$/, '') } }
      : type === 'ssh'
        ? { ssh: { host: 'bastion.example.com', port: 22, hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample'] } }
        : type === 'http'
          ? { http: { url: 'https://api.example.com' } }
          : { kubernetes: { inCluster: true } };
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name, namespace: NS },
    spec: { type, localPort, credentialsSecretRef: { name: `${name}-credentials` }, ...endpoint, ...extra },
  };
}

export function identity(name: string, serviceAccountName: string, targets: string[], podSelector?: Record<string, string>): AgentIdentity {
  return {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name, namespace: NS },
    spec: { serviceAccountName, targets, ...(podSelector ? { podSelector } : {}) },
  };
}

export const ORDERS_DB = target('orders-db', 'postgres', 5432);
export const BILLING_DB = target('billing-db', 'postgres', 5433);
export const WIKI = target('wiki', 'http', 8080);
export const BASTION = target('bastion', 'ssh', 2222);
export const CLUSTER_API = target('cluster-api', 'kubernetes', 6443);

export function catalog(identities: AgentIdentity[], targets: Target[]): Catalog {
  return {
    identities: (ns) => identities.filter((i) => i.metadata.namespace === ns),
    targets: (ns) => targets.filter((t) => t.metadata.namespace === ns),
    policies: () => [],
  };
}

/** An agent pod as the webhook receives it: labeled, and already through the ServiceAccount plugin. */
export function agentPod(
  options: { serviceAccount?: string; labels?: Record<string, string>; annotations?: Record<string, string> } = {},
): V1Pod {
  const serviceAccountName = options.serviceAccount ?? 'migrator';
  const apiAccess = { name: 'kube-api-access-x7k2q', readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: 'migrate-',
      namespace: NS,
      labels: { 'airlock.dev/inject': 'true', ...options.labels },
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      serviceAccountName,
      restartPolicy: 'Never',
      initContainers: [
        {
          name: 'wait-for-schema',
          image: 'busybox:1.36',
          command: ['sh', '-c', 'true'],
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [apiAccess],
        },
      ],
      containers: [
        {
          name: 'agent',
          image: 'ghcr.io/example/agent:1.2.3',
          env: [{ name: 'MODEL', value: 'large' }],
          imagePullPolicy: 'IfNotPresent',
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          volumeMounts: [{ name: 'work', mountPath: '/work' }, apiAccess],
        },
      ],
      volumes: [
        { name: 'work', emptyDir: {} },
        {
          name: 'kube-api-access-x7k2q',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
          },
        },
      ],
    },
  };
}
