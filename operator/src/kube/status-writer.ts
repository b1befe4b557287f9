/**
 * Writes an object's status through the status subresource, and only when it changed: a
 * reconcile pass computes the whole status, then calls this once. Unchanged status costs no
 * request, so a resync of a quiet cluster writes nothing and wakes no watcher.
 * The patch carries metadata.resourceVersion, so it applies only to the version the status was
 * computed from; a 409 Conflict propagates and the controller retries with a fresh object.
 */
import { type KubeClient, type KubeObject, objectPath, type ResourceKind } from './client.ts';
import { KubeMachineryError } from './errors.ts';
import { jsonEqual, mergePatch } from './json-diff.ts';

export type StatusWriteResult = 'unchanged' | 'written';

export async function writeStatusIfChanged(
  client: KubeClient,
  kind: ResourceKind,
  object: KubeObject & { status?: unknown },
  status: unknown,
): Promise<StatusWriteResult> {
  const patch = statusPatch(object, status);
  if (patch === undefined) return 'unchanged';
  const name = object.metadata?.name as string; // statusPatch checked it
  await client.patch(objectPath(kind, object.metadata?.namespace, name, 'status'), patch, 'merge');
  return 'written';
}

/** The merge patch for the status subresource, or undefined when the status is already `status`. */
export function statusPatch(object: KubeObject & { status?: unknown }, status: unknown): unknown {
  if (jsonEqual(object.status, status)) return undefined;
  if (!object.metadata?.name) {
    throw new KubeMachineryError('ObjectWithoutName', 'cannot write the status of an object without metadata.name');
  }
  const resourceVersion = object.metadata.resourceVersion;
  if (!resourceVersion) {
    throw new KubeMachineryError(
      'StatusWithoutResourceVersion',
      `cannot write the status of ${object.kind ?? 'object'} ${object.metadata.name} without metadata.resourceVersion: pass the object as read from the API server or the informer`,
    );
  }
  return { metadata: { resourceVersion }, status: mergePatch(object.status ?? {}, status ?? {}) };
}
