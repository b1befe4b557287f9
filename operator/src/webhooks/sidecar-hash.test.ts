import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Container, V1Volume } from '@kubernetes/client-node';
import { sidecarHash, stableStringify } from './sidecar-hash.ts';

/** A sidecar as a webhook might write it, leaving defaults to the API server. */
const written: V1Container = {
  name: 'airlock-sidecar',
  image: 'ghcr.io/airlock/sidecar:0.1.0',
  restartPolicy: 'Always',
  env: [{ name: 'AIRLOCK_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
  ports: [{ containerPort: 15021 }],
  startupProbe: { httpGet: { path: '/readyz', port: 15021 }, periodSeconds: 1 },
  resources: { requests: { cpu: '50m' } },
  volumeMounts: [{ name: 'airlock-token', mountPath: '/var/run/secrets/airlock', readOnly: true }],
};
const writtenVolume: V1Volume = {
  name: 'airlock-token',
  projected: { sources: [{ serviceAccountToken: { audience: 'airlock', path: 'token' } }] },
};

/** The same, as the API server stores it (values from pkg/apis/core/v1/defaults.go). */
const stored: V1Container = {
  ...written,
  imagePullPolicy: 'IfNotPresent',
  terminationMessagePath: '/dev/termination-log',
  terminationMessagePolicy: 'File',
  env: [{ name: 'AIRLOCK_POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
  ports: [{ containerPort: 15021, protocol: 'TCP' }],
  startupProbe: {
    httpGet: { path: '/readyz', port: 15021, scheme: 'HTTP' },
    periodSeconds: 1,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  },
  resources: { requests: { cpu: '50m' }, limits: { cpu: '2' } },
  resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
};
const storedVolume: V1Volume = {
  name: 'airlock-token',
  projected: { defaultMode: 420, sources: [{ serviceAccountToken: { audience: 'airlock', expirationSeconds: 3600, path: 'token' } }] },
};

test('the hash ignores what the API server defaults and what resource management changes', () => {
  assert.equal(sidecarHash(written, writtenVolume), sidecarHash(stored, storedVolume));
});

test('the hash changes with anything that changes what the sidecar does', () => {
  const base = sidecarHash(stored, storedVolume);
  const changes: V1Container[] = [
    { ...stored, image: 'ghcr.io/airlock/sidecar:0.1.1' },
    { ...stored, args: ['--audit-only'] },
    { ...stored, env: [...(stored.env ?? []), { name: 'AIRLOCK_MODE', value: 'audit' }] },
    { ...stored, imagePullPolicy: 'Never' },
    { ...stored, securityContext: { privileged: true } },
    { ...stored, volumeMounts: [] },
  ];
  for (const changed of changes) assert.notEqual(sidecarHash(changed, storedVolume), base, stableStringify(changed));
  assert.notEqual(sidecarHash(stored, undefined), base);
  assert.notEqual(sidecarHash(undefined, storedVolume), base);
  const otherAudience = structuredClone(storedVolume);
  otherAudience.projected!.sources![0]!.serviceAccountToken!.audience = 'vault';
  assert.notEqual(sidecarHash(stored, otherAudience), base);
});

test('stableStringify sorts keys at every level and keeps array order', () => {
  assert.equal(stableStringify({ b: 1, a: { d: [2, 1], c: null } }), '{"a":{"c":null,"d":[2,1]},"b":1}');
});
