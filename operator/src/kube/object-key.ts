/**
 * The string an object is known by in caches and work queues: `namespace/name`, or `name` for
 * cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
 */
import type { KubeObject } from './client.ts';
import { KubeMachineryError } from './errors.ts';

export const objectKey = (object: KubeObject): string =>
  object.metadata?.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : `${object.metadata?.name}`;

export interface ObjectRef {
  readonly namespace: string | undefined;
  readonly name: string;
}

/** The inverse of objectKey; throws on a key no object could have. */
export function splitObjectKey(key: string): ObjectRef {
  const parts = key.split('/');
  const [first, second] = parts;
  if (parts.length === 1 && first) return { namespace: undefined, name: first };
  if (parts.length === 2 && first && second) return { namespace: first, name: second };
  throw new KubeMachineryError('InvalidObjectKey', `"${key}" is not an object key: use "namespace/name" or "name"`);
}
