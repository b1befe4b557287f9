/**
 * What the Kubernetes benchmark reads, put into a real control plane: namespace `bench` with 20
 * pods (Pending: the plane runs no node) and 1,000 ConfigMaps of about 1 KiB each. Written as v1
 * Lists and created with kubectl, in a few processes at once so the objects go in within kubectl's
 * client-side rate limit. ConfigMap 0 carries an e-mail address, so the benchmark can check that
 * the masking sidecar really scans what it relays.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlane } from '@airlock/testkit';

export const BENCH_NAMESPACE = 'bench';
export const BENCH_POD_COUNT = 20;
export const BENCH_CONFIGMAP_COUNT = 1000;
/** In ConfigMap 0: the masking profile 'strict' masks it, the direct path shows it. */
export const BENCH_CONTACT = 'bench-owner@example.com';

/** Created by parallel kubectl processes, this many objects each (kubectl's burst is 300). */
const OBJECTS_PER_FILE = 200;

type ManifestObject = Record<string, unknown>;

function pod(index: number): ManifestObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-pod-${index}`, namespace: BENCH_NAMESPACE, labels: { app: 'bench' } },
    spec: { containers: [{ name: 'app', image: 'registry.invalid/bench:1', command: ['sleep', 'infinity'] }] },
  };
}

/** About 1 KiB of properties-file text, like a real application config; nothing in it looks like a secret. */
function configMap(index: number): ManifestObject {
  const lines = [`owner=${index === 0 ? BENCH_CONTACT : 'platform-team'}`];
  for (let i = 0; lines.join('\n').length < 1000; i++)
    lines.push(`feature.${i}.enabled=${i % 2 === 0}`, `feature.${i}.label=bench setting ${i} of map ${index}`);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: `bench-config-${String(index).padStart(4, '0')}`, namespace: BENCH_NAMESPACE },
    data: { 'app.properties': lines.join('\n') },
  };
}

async function create(plane: ControlPlane, file: string, items: readonly ManifestObject[]): Promise<void> {
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items }));
  const result = await plane.kubectl(['create', '-f', file, '-o', 'name']);
  if (result.code !== 0) throw new Error(`kubectl create -f ${file} exited ${result.code}: ${result.stderr.trim()}`);
}

/** Creates namespace, service account, pods and ConfigMaps; `work` holds the manifest files. */
export async function seedBenchNamespace(plane: ControlPlane, work: string): Promise<void> {
  // No controller manager runs, so the namespace's default service account (which pods need) is made here.
  await create(plane, join(work, 'namespace.json'), [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BENCH_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: BENCH_NAMESPACE } },
  ]);
  const objects = [
    ...Array.from({ length: BENCH_POD_COUNT }, (_, i) => pod(i)),
    ...Array.from({ length: BENCH_CONFIGMAP_COUNT }, (_, i) => configMap(i)),
  ];
  const files: Promise<void>[] = [];
  for (let start = 0; start < objects.length; start += OBJECTS_PER_FILE) {
    files.push(create(plane, join(work, `objects-${start}.json`), objects.slice(start, start + OBJECTS_PER_FILE)));
  }
  await Promise.all(files);
}
