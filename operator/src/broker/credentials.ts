/**
 * Target credentials, just in time: only for a target the pod reaches, read from the Target's
 * Secret for every request (a rotated password is served at once), never logged, never in an
 * error message (a missing key is named, a value never).
 */

import type { CredentialsResponse } from '@airlock/contracts/broker';
import { SERVED_TARGET_TYPES, TARGET_TYPE_FACTS } from '@airlock/contracts/targets';
import type { Target } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import { BrokerHttpError } from './http-io.ts';
import { readSecret } from './secrets.ts';

/** The credentials of a postgres Target from its Secrets' data: pure, so what is missing is named the same way everywhere. */
export function postgresCredentials(
  target: Target,
  secret: Readonly<Record<string, string>> | undefined,
  ca: { readonly data: Readonly<Record<string, string>> | undefined; readonly name: string; readonly key: string } | undefined,
): CredentialsResponse {
  const name = target.metadata.name ?? '';
  const ref = target.spec.credentialsSecretRef;
  // One alternative for postgres: username and password.
  const keys = TARGET_TYPE_FACTS.postgres.credentialKeys(target.spec)[0] ?? [];
  if (!ref)
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `Target ${name} has no spec.credentialsSecretRef: name a Secret with keys ${keys.join(', ')}`,
    );
  if (secret === undefined) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `Secret ${ref.name} (credentials of Target ${name}) not found: create it with keys ${keys.join(', ')}`,
    );
  }
  const missing = keys.filter((key) => secret[key] === undefined || secret[key] === '');
  if (missing.length > 0) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `Secret ${ref.name} (credentials of Target ${name}) lacks ${missing.join(', ')}: add the missing keys`,
    );
  }
  let caBundle: string | undefined;
  if (ca) {
    caBundle = ca.data?.[ca.key];
    if (caBundle === undefined) {
      throw new BrokerHttpError(
        'CredentialsUnavailable',
        ca.data === undefined
          ? `Secret ${ca.name} (tls.caSecretRef of Target ${name}) not found: create it with the PEM CA bundle in key ${ca.key}`
          : `Secret ${ca.name} (tls.caSecretRef of Target ${name}) has no key ${ca.key}: add the PEM CA bundle`,
      );
    }
  }
  return {
    type: 'postgres',
    username: secret.username as string,
    password: secret.password as string,
    ...(caBundle !== undefined ? { caBundle } : {}),
  };
}

export async function credentialsFor(client: KubeClient, namespace: string, target: Target): Promise<CredentialsResponse> {
  // Only postgres credentials have a response shape (CredentialsResponse) today.
  if (target.spec.type !== 'postgres' || !TARGET_TYPE_FACTS[target.spec.type].served) {
    throw new BrokerHttpError(
      'Invalid',
      `Target ${target.metadata.name} is of type ${target.spec.type}; this broker serves ${SERVED_TARGET_TYPES.join(', ')} credentials only`,
    );
  }
  const ref = target.spec.credentialsSecretRef;
  const caRef = target.spec.postgres?.tls?.caSecretRef;
  const [secret, caData] = await Promise.all([
    ref ? readSecret(client, namespace, ref.name) : Promise.resolve(undefined),
    caRef ? readSecret(client, namespace, caRef.name) : Promise.resolve(undefined),
  ]);
  return postgresCredentials(target, secret, caRef ? { data: caData, name: caRef.name, key: caRef.key } : undefined);
}
