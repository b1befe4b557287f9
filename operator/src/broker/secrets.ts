/** Secrets the broker reads for a request: target credentials, CA bundles and masking keys. Values are never logged. */
import { isNotFound, KubeApiError, type KubeClient, type KubeObject, objectPath } from '../kube/client.ts';
import { KINDS } from '../kube/kinds.ts';
import type { HashKeyLookup } from '../policy/check-policy.ts';
import { BrokerHttpError } from './http-io.ts';

interface SecretObject extends KubeObject {
  data?: Record<string, string>;
}

/** The Secret's decoded data, or undefined when it does not exist. Throws BrokerHttpError (Unavailable) when the API server fails. */
export async function readSecret(client: KubeClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  let secret: SecretObject;
  try {
    secret = await client.get<SecretObject>(objectPath(KINDS.secret, namespace, name));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    const detail = error instanceof KubeApiError ? `HTTP ${error.status} ${error.reason}` : (error as Error).message;
    throw new BrokerHttpError('Unavailable', `cannot read Secret ${namespace}/${name} now (${detail}); retry`, { cause: error });
  }
  return Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
}

/** One key of a Secret, as checkPolicy takes it: the value, or a sentence naming what is missing. */
export async function readSecretKey(client: KubeClient, namespace: string, ref: { name: string; key: string }): Promise<HashKeyLookup> {
  const data = await readSecret(client, namespace, ref.name);
  if (data === undefined) return { missing: `Secret ${ref.name} not found in namespace ${namespace}` };
  const value = data[ref.key];
  return value === undefined ? { missing: `Secret ${ref.name} has no key ${ref.key}` } : { value };
}
