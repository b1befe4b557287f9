/**
 * Target credentials, just in time: only for a target the pod reaches, read from the Target's
 * Secret for every request (a rotated password is served at once), or for a kubernetes Target with
 * serviceAccountName minted for the asking pod (kubernetes-credentials.ts); never logged, never in
 * an error message (a missing key is named, a value never). One builder per served type, chosen
 * by an exhaustive switch: a Target type without a case does not compile, a type the facts do not
 * mark served gets nothing.
 */

import type { CredentialsResponse } from '@airlock/contracts/broker';
import {
  conflictingKeys,
  type KubernetesTargetCredentials,
  type PostgresTargetCredentials,
  SERVED_TARGET_TYPES,
  type SshTargetCredentials,
  TARGET_TYPE_FACTS,
} from '@airlock/contracts/targets';
import type { Target } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import { BrokerHttpError } from './http-io.ts';
import {
  type AgentPod,
  type CaSecret,
  caBundleFromSecret,
  type KubernetesCluster,
  kubernetesServer,
  mintServiceAccountToken,
  operatorCluster,
} from './kubernetes-credentials.ts';
import { type SshLoginRequest, signLogin } from './login-certificates.ts';
import { privateKeyProblem } from './private-key-block.ts';
import { readSecret } from './secrets.ts';

export type { AgentPod, KubernetesCluster } from './kubernetes-credentials.ts';
export type { SshLoginRequest } from './login-certificates.ts';

type SecretData = Readonly<Record<string, string>>;

/** A key counts only with a value: an empty one is as good as missing. */
const has = (secret: SecretData, key: string): boolean => secret[key] !== undefined && secret[key] !== '';

/** The alternatives of keys, as whoever writes the Secret reads them: `username, password`; `username, privateKey or username, password`. */
const keyAlternatives = (target: Target): string =>
  TARGET_TYPE_FACTS[target.spec.type]
    .credentialKeys(target.spec)
    .map((keys) => keys.join(', '))
    .join(' or ');

/** The Secret's data, or the refusal that says which Secret is missing and what to put in it. */
function secretOf(target: Target, secret: SecretData | undefined): { readonly ref: string; readonly data: SecretData } {
  const name = target.metadata.name ?? '';
  const ref = target.spec.credentialsSecretRef;
  if (!ref) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `Target ${name} has no spec.credentialsSecretRef: name a Secret with keys ${keyAlternatives(target)}`,
    );
  }
  if (secret === undefined) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `Secret ${ref.name} (credentials of Target ${name}) not found: create it with keys ${keyAlternatives(target)}`,
    );
  }
  return { ref: ref.name, data: secret };
}

function lacks(target: Target, ref: string, missing: readonly string[], what = 'add the missing keys'): BrokerHttpError {
  const keys = missing.some((key) => key.includes(' or ')) ? missing.join(', and ') : missing.join(', ');
  return new BrokerHttpError(
    'CredentialsUnavailable',
    `Secret ${ref} (credentials of Target ${target.metadata.name ?? ''}) lacks ${keys}: ${what}`,
  );
}

/** The credentials of a postgres Target from its Secrets' data: pure, so what is missing is named the same way everywhere. */
export function postgresCredentials(target: Target, secret: SecretData | undefined, ca: CaSecret | undefined): PostgresTargetCredentials {
  const { ref, data } = secretOf(target, secret);
  // One alternative for postgres: username and password.
  const keys = TARGET_TYPE_FACTS.postgres.credentialKeys(target.spec)[0] ?? [];
  const missing = keys.filter((key) => !has(data, key));
  if (missing.length > 0) throw lacks(target, ref, missing);
  const caBundle = ca ? caBundleFromSecret(target, ca) : undefined;
  return {
    type: 'postgres',
    username: data.username as string,
    password: data.password as string,
    ...(caBundle !== undefined ? { caBundle } : {}),
  };
}

/** How each ssh login key logs in, as a Secret's author reads it. */
const LOGIN_KEYS = {
  privateKey: 'the key',
  password: 'the password',
  certificateAuthorityKey: 'certificates the operator signs',
} as const;
type LoginKey = keyof typeof LOGIN_KEYS;

function conflict(target: Target, ref: string, held: readonly string[]): BrokerHttpError {
  const where = `Secret ${ref} (credentials of Target ${target.metadata.name ?? ''})`;
  const [first, second] = held as [LoginKey, LoginKey];
  const what =
    held.length === 2
      ? `has both ${first} and ${second}: remove ${second} to log in with ${LOGIN_KEYS[first]}, or ${first} to log in with ${LOGIN_KEYS[second]}`
      : `has ${held.slice(0, -1).join(', ')} and ${held.at(-1)}: keep only the one the sidecar logs in with`;
  return new BrokerHttpError('CredentialsUnavailable', `${where} ${what}`);
}

/**
 * The credentials of an ssh Target from its Secret's data: the username and exactly one of
 * privateKey, password or certificateAuthorityKey (with two, which one the sidecar logs in with
 * would be a guess). A privateKey must be one unencrypted key block (private-key-block.ts). With a
 * certificateAuthorityKey the answer is a user certificate for the key in `login`, signed now
 * (ssh-certificates' issueLoginCertificate decides what it permits); the authority key itself is
 * never in an answer or a message. Pure apart from the certificate's random nonce and serial.
 */
export function sshCredentials(target: Target, secret: SecretData | undefined, login?: SshLoginRequest): SshTargetCredentials {
  const { ref, data } = secretOf(target, secret);
  const modes = Object.keys(LOGIN_KEYS).filter((key) => has(data, key)) as LoginKey[];
  const missing = [
    ...(has(data, 'username') ? [] : ['username']),
    ...(modes.length === 0 ? ['privateKey, password or certificateAuthorityKey'] : []),
  ];
  if (missing.length > 0)
    throw lacks(
      target,
      ref,
      missing,
      `add ${missing.length === 1 ? 'it' : 'them'} (the sidecar logs in with the key, the password or certificates)`,
    );
  const held = conflictingKeys('ssh', modes);
  if (held !== undefined) throw conflict(target, ref, held);
  const username = data.username as string;
  const where = `Secret ${ref} (credentials of Target ${target.metadata.name ?? ''})`;
  switch (modes[0]) {
    case 'password':
      return { type: 'ssh', username, password: data.password as string };
    case 'privateKey': {
      const problem = privateKeyProblem(data.privateKey as string);
      if (problem !== undefined) {
        throw new BrokerHttpError('CredentialsUnavailable', `key privateKey of ${where} is not a usable private key: ${problem}`);
      }
      return { type: 'ssh', username, privateKey: data.privateKey as string };
    }
    default:
      return { type: 'ssh', username, certificate: signLogin(target, where, username, data.certificateAuthorityKey as string, login) };
  }
}

/**
 * The credentials of a kubernetes Target without serviceAccountName, from its Secret's data: the
 * server and CA (kubernetesServer) and exactly one login, the key token or the keys tls.crt and
 * tls.key (with a token and a certificate, which one the sidecar logs in as would be a guess).
 * Pure.
 */
export function kubernetesSecretCredentials(
  target: Target,
  secret: SecretData | undefined,
  ca: CaSecret | undefined,
  cluster: KubernetesCluster | undefined,
): KubernetesTargetCredentials {
  const { ref, data } = secretOf(target, secret);
  const where = `Secret ${ref} (credentials of Target ${target.metadata.name ?? ''})`;
  const held = conflictingKeys(
    'kubernetes',
    ['token', 'tls.crt', 'tls.key'].filter((key) => has(data, key)),
  );
  if (held !== undefined) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `${where} has both token and tls.crt: remove tls.crt and tls.key to log in with the token, or token to log in with the client certificate`,
    );
  }
  const { server, caBundle } = kubernetesServer(target, ca, cluster);
  const endpoint = { type: 'kubernetes', server, ...(caBundle !== undefined ? { caBundle } : {}) } as const;
  if (has(data, 'token')) return { ...endpoint, token: data.token as string };
  if (has(data, 'tls.crt') && has(data, 'tls.key')) {
    return { ...endpoint, clientCertificate: data['tls.crt'] as string, clientKey: data['tls.key'] as string };
  }
  const missing = has(data, 'tls.crt') ? 'tls.key' : has(data, 'tls.key') ? 'tls.crt' : 'token, or tls.crt and tls.key';
  throw lacks(
    target,
    ref,
    [missing],
    `add ${missing.includes(',') ? 'one of them' : 'it'} (the sidecar logs in with a token or a client certificate)`,
  );
}

/**
 * The credentials of a kubernetes Target with serviceAccountName: a token minted now for the
 * asking pod, with the Target's server and CA. No Secret is read.
 */
export async function kubernetesTokenCredentials(
  client: KubeClient,
  namespace: string,
  target: Target,
  pod: AgentPod,
  cluster: KubernetesCluster | undefined,
): Promise<KubernetesTargetCredentials> {
  const { server, caBundle } = kubernetesServer(target, undefined, cluster);
  const { token, expiresAt } = await mintServiceAccountToken(client, namespace, target, pod);
  return { type: 'kubernetes', server, ...(caBundle !== undefined ? { caBundle } : {}), token, expiresAt };
}

function notServed(target: Target): BrokerHttpError {
  return new BrokerHttpError(
    'Invalid',
    `Target ${target.metadata.name} is of type ${target.spec.type}; this broker serves ${SERVED_TARGET_TYPES.join(', ')} credentials only`,
  );
}

/**
 * `login` is for ssh Targets: what a certificate authority signs, when the Target has one. `pod`
 * is for kubernetes Targets with serviceAccountName: the authenticated pod a token is minted for.
 */
export async function credentialsFor(
  client: KubeClient,
  namespace: string,
  target: Target,
  login?: SshLoginRequest,
  pod?: AgentPod,
): Promise<CredentialsResponse> {
  const type = target.spec.type;
  // A type the facts do not mark served gets nothing, even if a case below could build it.
  if (!TARGET_TYPE_FACTS[type].served) throw notServed(target);
  const ref = target.spec.credentialsSecretRef;
  const readCredentials = () => (ref ? readSecret(client, namespace, ref.name) : Promise.resolve(undefined));
  switch (type) {
    case 'postgres': {
      const caRef = target.spec.postgres?.tls?.caSecretRef;
      const [secret, caData] = await Promise.all([
        readCredentials(),
        caRef ? readSecret(client, namespace, caRef.name) : Promise.resolve(undefined),
      ]);
      return postgresCredentials(target, secret, caRef ? { data: caData, name: caRef.name, key: caRef.key } : undefined);
    }
    case 'ssh':
      return sshCredentials(target, await readCredentials(), login);
    case 'kubernetes': {
      const endpoint = target.spec.kubernetes;
      // inCluster: the operator's own API server and CA; server: the Target's URL and CA.
      const cluster = endpoint?.inCluster ? await operatorCluster(client.kubeConfig) : undefined;
      if (endpoint?.serviceAccountName) {
        if (!pod) throw new BrokerHttpError('Invalid', `Target ${target.metadata.name} mints tokens per pod; no pod was given`);
        return kubernetesTokenCredentials(client, namespace, target, pod, cluster);
      }
      const caRef = endpoint?.inCluster ? undefined : endpoint?.tls?.caSecretRef;
      const [secret, caData] = await Promise.all([
        readCredentials(),
        caRef ? readSecret(client, namespace, caRef.name) : Promise.resolve(undefined),
      ]);
      return kubernetesSecretCredentials(target, secret, caRef ? { data: caData, name: caRef.name, key: caRef.key } : undefined, cluster);
    }
    case 'http':
      throw notServed(target);
    default: {
      // A new Target type fails to compile here until it has a case.
      const unhandled: never = type;
      throw new BrokerHttpError('Invalid', `Target ${target.metadata.name} is of type ${String(unhandled)}, which has no credentials`);
    }
  }
}
