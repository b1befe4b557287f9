/**
 * Reading Secrets, the one way the operator does it: by name (its RBAC has `get`, never
 * list/watch), decoded, absent as undefined. Values go to the caller and nowhere else: never
 * into logs or error messages.
 */
import { isNotFound, type KubeClient, type KubeObject, objectPath } from './client.ts';
import { KINDS } from './kinds.ts';

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/** The Secret's decoded data, or undefined when it does not exist. API failures are thrown as they come. */
export async function readSecret(client: KubeClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    const secret = await client.get<SecretObject>(objectPath(KINDS.secret, namespace, name));
    return Object.fromEntries(
      Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]),
    );
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** One key: its value, or a sentence naming what is missing. */
export type SecretKeyLookup = { readonly value: string } | { readonly missing: string };

export async function readSecretKey(client: KubeClient, namespace: string, ref: { name: string; key: string }): Promise<SecretKeyLookup> {
  const data = await readSecret(client, namespace, ref.name);
  if (data === undefined) return { missing: `Secret ${ref.name} not found in namespace ${namespace}` };
  const value = data[ref.key];
  return value === undefined ? { missing: `Secret ${ref.name} has no key ${ref.key}` } : { value };
}
