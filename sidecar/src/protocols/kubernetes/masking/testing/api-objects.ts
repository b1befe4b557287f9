/**
 * Hand-written API server answers, shaped as kube-apiserver v1.35 writes them (field order,
 * managedFields, Table column definitions), built without the masker so tests can check it.
 * The integration test checks the same things against a real API server.
 */

import { type CompiledRule, compileMaskingRules, type MaskingProfile } from '@airlock/contracts/masking';
import type { MaskingRule } from '@airlock/crds';

/** Parsed API answers, navigated freely by tests: a wrong path fails the assertion that reads it. */
// biome-ignore lint/suspicious/noExplicitAny: raw API objects
export type ApiJson = any;

export const HASH_KEY = 'a 32-byte key for hashing tests!';

export function compiledRules(rules: MaskingRule[], profile?: MaskingProfile): readonly CompiledRule[] {
  const compiled = compileMaskingRules({ sets: [{ policyName: 'p', rules, hashKey: HASH_KEY }], ...(profile ? { profile } : {}) });
  if (compiled.errors.length > 0) throw new Error(`bad test rules: ${JSON.stringify(compiled.errors)}`);
  return compiled.rules;
}

export const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
export const unb64 = (text: string): string => Buffer.from(text, 'base64').toString('utf8');

export const SECRET_VALUES = { username: 'admin', password: 's3cr3t-Pa55w0rd!' } as const;

export function lastAppliedSecret(name = 'db-credentials'): string {
  // kubectl apply: compact JSON of the applied manifest and a newline.
  return `${JSON.stringify({
    apiVersion: 'v1',
    data: { password: b64(SECRET_VALUES.password), username: b64(SECRET_VALUES.username) },
    kind: 'Secret',
    metadata: { annotations: {}, name, namespace: 'shop' },
    type: 'Opaque',
  })}\n`;
}

export function secretObject(name = 'db-credentials', options: { kind?: boolean; lastApplied?: string } = {}): Record<string, unknown> {
  return {
    ...(options.kind === false ? {} : { kind: 'Secret', apiVersion: 'v1' }),
    metadata: {
      name,
      namespace: 'shop',
      uid: '0b6a7c43-2f7e-4c55-9f43-5c7cde3c1d7e',
      resourceVersion: '4711',
      creationTimestamp: '2025-06-01T10:00:00Z',
      ...(options.lastApplied ? { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': options.lastApplied } } : {}),
      managedFields: [
        {
          manager: 'kubectl-client-side-apply',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2025-06-01T10:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:data': { '.': {}, 'f:password': {}, 'f:username': {} }, 'f:type': {} },
        },
      ],
    },
    data: { password: b64(SECRET_VALUES.password), username: b64(SECRET_VALUES.username) },
    type: 'Opaque',
  };
}

export function secretList(): Record<string, unknown> {
  return {
    kind: 'SecretList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '4712' },
    items: [secretObject('db-credentials', { kind: false }), secretObject('api-token', { kind: false })],
  };
}

const SECRET_COLUMNS = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
  { name: 'Type', type: 'string', format: '', description: 'Used to facilitate programmatic handling of secret data.', priority: 0 },
  { name: 'Data', type: 'string', format: '', description: 'Data contains the secret data.', priority: 0 },
  { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp.', priority: 0 },
];

export function secretTable(include: 'Object' | 'Metadata'): Record<string, unknown> {
  const object =
    include === 'Object'
      ? secretObject('db-credentials', { lastApplied: lastAppliedSecret() })
      : {
          kind: 'PartialObjectMetadata',
          apiVersion: 'meta.k8s.io/v1',
          metadata: (secretObject('db-credentials', { lastApplied: lastAppliedSecret() }) as { metadata: unknown }).metadata,
        };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: '4712' },
    columnDefinitions: SECRET_COLUMNS,
    rows: [{ cells: ['db-credentials', 'Opaque', 2, '5m'], object }],
  };
}

export function configMap(): Record<string, unknown> {
  return {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    metadata: {
      name: 'app-config',
      namespace: 'shop',
      resourceVersion: '812',
      annotations: { 'shop.example/owner': 'contact carol@example.com for changes' },
    },
    data: { db_password: 'hunter22', log_level: 'debug', 'admin.email': 'ops@example.com', max_connections: '20' },
  };
}

export function pod(): Record<string, unknown> {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'api-7d9f', namespace: 'shop', resourceVersion: '900', labels: { app: 'api' } },
    spec: {
      containers: [
        {
          name: 'api',
          image: 'registry.example/api:1.4.2',
          args: ['--listen=:8080', '--verbose'],
          env: [
            { name: 'DB_PASSWORD', value: 'hunter22' },
            { name: 'ADMIN_EMAIL', value: 'ops@example.com' },
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api-token', key: 'token' } } },
          ],
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
        },
      ],
      terminationGracePeriodSeconds: 30,
      hostNetwork: false,
    },
  };
}
