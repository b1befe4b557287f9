/**
 * Secrets as the broker reads them for a request (target credentials, CA bundles, masking keys):
 * the operator's readers, with an API failure turned into the broker's Unavailable answer.
 */
import { KubeApiError, type KubeClient } from '../kube/client.ts';
import { readSecret as readKubeSecret, readSecretKey as readKubeSecretKey, type SecretKeyLookup } from '../kube/secrets.ts';
import { BrokerHttpError } from './http-io.ts';

function unavailable(namespace: string, name: string, error: unknown): BrokerHttpError {
  const detail = error instanceof KubeApiError ? `HTTP ${error.status} ${error.reason}` : (error as Error).message;
  return new BrokerHttpError('Unavailable', `cannot read Secret ${namespace}/${name} now (${detail}); retry`, { cause: error });
}

/** The Secret's decoded data, or undefined when it does not exist. Throws BrokerHttpError (Unavailable) when the API server fails. */
export async function readSecret(client: KubeClient, namespace: string, name: string): Promise<Record<string, string> | undefined> {
  try {
    return await readKubeSecret(client, namespace, name);
  } catch (error) {
    throw unavailable(namespace, name, error);
  }
}

/** One key of a Secret, as checkPolicy takes it. Throws BrokerHttpError (Unavailable) when the API server fails. */
export async function readSecretKey(client: KubeClient, namespace: string, ref: { name: string; key: string }): Promise<SecretKeyLookup> {
  try {
    return await readKubeSecretKey(client, namespace, ref);
  } catch (error) {
    throw unavailable(namespace, ref.name, error);
  }
}
