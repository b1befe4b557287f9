/** Reads a Secret for the reconcilers: key names only, or the one value a check needs. Values are never logged. */
import { isNotFound, type KubeClient, objectPath } from '../kube/client.ts';
import { KINDS } from '../kube/kinds.ts';
import type { SecretKeys } from './target-status.ts';

interface SecretObject {
  data?: Record<string, string>;
}

export async function secretKeys(client: KubeClient, namespace: string, name: string): Promise<SecretKeys> {
  try {
    const secret = await client.get<SecretObject & { metadata?: object }>(objectPath(KINDS.secret, namespace, name));
    return { found: true, keys: Object.keys(secret.data ?? {}) };
  } catch (error) {
    if (isNotFound(error)) return { found: false };
    throw error;
  }
}

/** The decoded value of one key, or a sentence saying what is missing. */
export async function secretValue(
  client: KubeClient,
  namespace: string,
  name: string,
  key: string,
): Promise<{ value: string } | { missing: string }> {
  try {
    const secret = await client.get<SecretObject & { metadata?: object }>(objectPath(KINDS.secret, namespace, name));
    const encoded = secret.data?.[key];
    if (encoded === undefined) return { missing: `Secret ${name} has no key ${key}` };
    return { value: Buffer.from(encoded, 'base64').toString('utf8') };
  } catch (error) {
    if (isNotFound(error)) return { missing: `Secret ${name} not found in namespace ${namespace}` };
    throw error;
  }
}
