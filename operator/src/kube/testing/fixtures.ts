import { exampleDocuments, type Target } from '@airlock/crds';
import { type ControlPlane, eventually as sharedEventually } from '@airlock/testkit';
import { KubeConfig } from '@kubernetes/client-node';
import { collectionPath, isAlreadyExists, type KubeClient } from '../client.ts';
import { KINDS } from '../kinds.ts';

export async function createNamespace(client: KubeClient, name: string): Promise<void> {
  try {
    await client.create(collectionPath(KINDS.namespace), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/** A valid Target (the orders-db example) under another name. */
export function targetBody(namespace: string, name: string, labels: Record<string, string> = {}): Target {
  const example = exampleDocuments().find((e) => e.doc.kind === 'Target' && (e.doc.metadata as { name?: string }).name === 'orders-db');
  if (!example) throw new Error('the orders-db example Target is missing from crds/examples');
  const target = structuredClone(example.doc) as unknown as Target;
  target.metadata = { name, namespace, labels };
  return target;
}

/** Polls until `check` holds (the shared `eventually`, for boolean checks); names what it waited for. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 90_000): Promise<void> {
  await sharedEventually(what, async () => ((await check()) ? true : undefined), { timeoutMs, intervalMs: 50 });
}

/** The admin kubeconfig, pointed at another address for the same API server (a relay). */
export function kubeConfigVia(plane: ControlPlane, port: number): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(plane.kubeconfig('admin').replaceAll(plane.server, `https://127.0.0.1:${port}`));
  return kc;
}
