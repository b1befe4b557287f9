/**
 * The Kubernetes half of the broker's credentials: which API server a kubernetes Target's sidecar
 * talks to and with which CA, and tokens minted just in time with the TokenRequest API for a
 * Target with spec.kubernetes.serviceAccountName.
 *
 * A minted token has the API server's own audience (no audiences in the request: the one the
 * upstream API server accepts), lives tokenTTL (10m by default), and dies with the agent pod. The
 * API server binds a token to a pod of the same ServiceAccount only ("cannot bind token for
 * serviceaccount X to pod running with different serviceaccount name"): a pod that runs as the
 * Target's ServiceAccount gets a token bound to itself, any other agent pod one bound to its
 * binding Secret, which the pod owns and the garbage collector deletes with it
 * (token-binding-secret.ts). Either way the API server refuses the token once the object it is
 * bound to is gone, long before tokenTTL. Nothing else is stored: every credentials request mints
 * a new token. Tokens are never logged.
 */
import { readFile } from 'node:fs/promises';
import { durationSeconds } from '@airlock/contracts/approval';
import type { Target } from '@airlock/crds';
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, type KubeClient, type KubeObject } from '../kube/client.ts';
import { BrokerHttpError } from './http-io.ts';
import { ensureBindingSecret, podGone, podReplaced } from './token-binding-secret.ts';

/** The API server the operator itself talks to, as an inCluster Target's sidecar reaches it. */
export interface KubernetesCluster {
  /** https URL, no trailing slash. */
  readonly server: string;
  /** PEM; absent: the operator trusts the system's roots. */
  readonly caBundle?: string;
}

/** The agent pod a token is minted for, as the broker authenticated it; it is in the Target's namespace. */
export interface AgentPod {
  readonly name: string;
  readonly uid: string;
  /** The pod's spec.serviceAccountName: the API server binds a token to the pod only for this ServiceAccount, otherwise to the pod's binding Secret. */
  readonly serviceAccountName: string;
  /** Told about every token minted (never the token), for the broker's log. */
  readonly onMinted?: (minted: MintedTokenInfo) => void;
}

export interface MintedToken {
  readonly token: string;
  /** RFC 3339, from the API server's answer. */
  readonly expiresAt: string;
}

/** What the broker logs about a minted token: what it is bound to, exactly one of boundPod and boundSecret. */
export interface MintedTokenInfo {
  readonly serviceAccount: string;
  readonly expiresAt: string;
  /** The pod the token is bound to (the pod runs as the Target's ServiceAccount). */
  readonly boundPod?: string;
  /** The pod's binding Secret the token is bound to (the pod runs as another ServiceAccount); the garbage collector deletes it with the pod. */
  readonly boundSecret?: string;
}

/** The object a token is bound to, as TokenRequest's boundObjectRef names it (apiVersion v1). */
interface BoundObject {
  readonly kind: 'Pod' | 'Secret';
  readonly name: string;
  readonly uid: string;
}

export const DEFAULT_TOKEN_TTL = '10m';
/** The TokenRequest API refuses less than 10 minutes; the CRD allows at most an hour. */
const TOKEN_TTL_SECONDS = { min: 600, max: 3600 } as const;

/** The operator's API server and the CA it trusts, from its kubeconfig (in a pod: the mounted CA file). */
export async function operatorCluster(kubeConfig: KubeConfig): Promise<KubernetesCluster> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new BrokerHttpError('CredentialsUnavailable', "the operator's kubeconfig has no current cluster");
  const server = cluster.server.replace(/\/+$/, '');
  let caBundle: string | undefined;
  if (cluster.caData) caBundle = Buffer.from(cluster.caData, 'base64').toString('utf8');
  else if (cluster.caFile) {
    try {
      caBundle = await readFile(cluster.caFile, 'utf8');
    } catch (error) {
      throw new BrokerHttpError(
        'Unavailable',
        `cannot read the operator's CA file ${cluster.caFile} (${(error as Error).message}); retry`,
        { cause: error },
      );
    }
  }
  return { server, ...(caBundle ? { caBundle } : {}) };
}

/** A tls.caSecretRef as the broker read it: the Secret's data (undefined: not found) and the key named. */
export interface CaSecret {
  readonly data: Readonly<Record<string, string>> | undefined;
  readonly name: string;
  readonly key: string;
}

/** The PEM bundle a tls.caSecretRef names, or the refusal that says what is missing. Pure. */
export function caBundleFromSecret(target: Target, ca: CaSecret): string {
  const bundle = ca.data?.[ca.key];
  if (bundle !== undefined) return bundle;
  const where = `Secret ${ca.name} (tls.caSecretRef of Target ${target.metadata.name ?? ''})`;
  throw new BrokerHttpError(
    'CredentialsUnavailable',
    ca.data === undefined
      ? `${where} not found: create it with the PEM CA bundle in key ${ca.key}`
      : `${where} has no key ${ca.key}: add the PEM CA bundle`,
  );
}

/**
 * Where a kubernetes Target's sidecar connects and what it trusts. inCluster: the operator's own
 * API server and CA (`cluster`, operatorCluster's answer). server: that URL, with the CA of
 * tls.caBundle or tls.caSecretRef, or the system's roots when neither is set. Pure.
 */
export function kubernetesServer(target: Target, ca: CaSecret | undefined, cluster: KubernetesCluster | undefined): KubernetesCluster {
  const endpoint = target.spec.kubernetes;
  if (endpoint?.inCluster) {
    if (!cluster) throw new BrokerHttpError('CredentialsUnavailable', "the operator's own API server is not known");
    return cluster;
  }
  if (!endpoint?.server) {
    throw new BrokerHttpError('Invalid', `Target ${target.metadata.name ?? ''} has neither spec.kubernetes.inCluster nor server`);
  }
  const caBundle = ca ? caBundleFromSecret(target, ca) : endpoint.tls?.caBundle;
  return { server: endpoint.server.replace(/\/+$/, ''), ...(caBundle ? { caBundle } : {}) };
}

/** tokenTTL in seconds, checked again here: the CRD's rule guards writes, not objects stored before it. */
export function tokenTtlSeconds(target: Target): number {
  const text = target.spec.kubernetes?.tokenTTL ?? DEFAULT_TOKEN_TTL;
  let seconds: number;
  try {
    seconds = durationSeconds(text);
  } catch (error) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `spec.kubernetes.tokenTTL of Target ${target.metadata.name ?? ''}: ${(error as Error).message}`,
    );
  }
  if (seconds < TOKEN_TTL_SECONDS.min || seconds > TOKEN_TTL_SECONDS.max) {
    throw new BrokerHttpError(
      'CredentialsUnavailable',
      `spec.kubernetes.tokenTTL ${text} of Target ${target.metadata.name ?? ''} is outside 10m to 1h: set it within`,
    );
  }
  return Math.floor(seconds);
}

/** Whether the API server can bind the token to the pod itself: only when the pod runs as the Target's ServiceAccount. */
export const runsAsTargetServiceAccount = (target: Target, pod: Pick<AgentPod, 'serviceAccountName'>): boolean =>
  pod.serviceAccountName === target.spec.kubernetes?.serviceAccountName;

/**
 * The TokenRequest for the Target's ServiceAccount on behalf of `pod`: bound to the pod when it
 * runs as that ServiceAccount, otherwise to `bindingSecret` (the pod's, ensureBindingSecret's
 * answer); without one, to nothing. Pure.
 */
export function tokenRequest(
  target: Target,
  pod: Pick<AgentPod, 'name' | 'uid' | 'serviceAccountName'>,
  bindingSecret?: { readonly name: string; readonly uid: string },
): KubeObject & { spec: object } {
  const bound: BoundObject | undefined = runsAsTargetServiceAccount(target, pod)
    ? { kind: 'Pod', name: pod.name, uid: pod.uid }
    : bindingSecret && { kind: 'Secret', name: bindingSecret.name, uid: bindingSecret.uid };
  return {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'TokenRequest',
    spec: {
      // No audiences: the API server's own, which is what the upstream API server accepts.
      expirationSeconds: tokenTtlSeconds(target),
      ...(bound ? { boundObjectRef: { kind: bound.kind, apiVersion: 'v1', name: bound.name, uid: bound.uid } } : {}),
    },
  };
}

interface TokenRequestAnswer extends KubeObject {
  status?: { token?: string; expirationTimestamp?: string };
}

/**
 * Mints a token for the Target's spec.kubernetes.serviceAccountName (in `namespace`, the Target's
 * and the pod's) for `pod`, bound to the pod or to its binding Secret (ensureBindingSecret).
 * Throws BrokerHttpError: CredentialsUnavailable when the ServiceAccount is missing, the operator
 * may not mint or a Secret of the binding Secret's name is not airlock's, Unauthenticated when
 * the pod is gone or replaced, Unavailable when the API server fails.
 */
export async function mintServiceAccountToken(client: KubeClient, namespace: string, target: Target, pod: AgentPod): Promise<MintedToken> {
  const serviceAccount = target.spec.kubernetes?.serviceAccountName;
  const targetName = target.metadata.name ?? '';
  if (!serviceAccount) throw new BrokerHttpError('Invalid', `Target ${targetName} has no spec.kubernetes.serviceAccountName`);
  const secret = runsAsTargetServiceAccount(target, pod) ? undefined : await ensureBindingSecret(client, namespace, pod);
  const body = tokenRequest(target, pod, secret);
  let answer: TokenRequestAnswer;
  try {
    answer = await client.create<TokenRequestAnswer>(
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`,
      body,
    );
  } catch (error) {
    throw mintRefusal(error, { serviceAccount, target: targetName, namespace, pod: pod.name, ...(secret ? { secret: secret.name } : {}) });
  }
  const token = answer.status?.token;
  const expiresAt = answer.status?.expirationTimestamp;
  if (!token || !expiresAt) {
    throw new BrokerHttpError(
      'Unavailable',
      `the API server answered the TokenRequest for ServiceAccount ${serviceAccount} without a token; retry`,
    );
  }
  pod.onMinted?.({
    serviceAccount: `${namespace}/${serviceAccount}`,
    expiresAt,
    ...(secret ? { boundSecret: secret.name } : { boundPod: pod.name }),
  });
  return { token, expiresAt };
}

function mintRefusal(
  error: unknown,
  at: {
    readonly serviceAccount: string;
    readonly target: string;
    readonly namespace: string;
    readonly pod: string;
    /** The binding Secret the token was to be bound to; absent: the pod. */
    readonly secret?: string;
  },
): BrokerHttpError {
  if (!(error instanceof KubeApiError)) {
    return new BrokerHttpError('Unavailable', `cannot mint a token now (${(error as Error).message}); retry`, { cause: error });
  }
  // A 404 names what is missing in the Status details: the ServiceAccount, or the object bound to.
  const missingKind = (error.body as { details?: { kind?: string } } | undefined)?.details?.kind;
  if (error.status === 404 && missingKind === 'pods') return podGone(at.namespace, at.pod, error);
  if ((error.status === 404 && missingKind === 'secrets') || (error.status === 409 && at.secret)) {
    // Between reading the binding Secret and minting, it went: collected with its pod, or deleted by someone.
    return new BrokerHttpError(
      'Unavailable',
      `the token binding Secret ${at.namespace}/${at.secret ?? ''} of pod ${at.pod} went away while the token was minted; retry`,
      { cause: error },
    );
  }
  if (error.status === 404) {
    return new BrokerHttpError(
      'CredentialsUnavailable',
      `ServiceAccount ${at.serviceAccount} (serviceAccountName of Target ${at.target}) not found in namespace ${at.namespace}: create it and bind it the Roles the agents may use`,
      { cause: error },
    );
  }
  if (error.status === 409) return podReplaced(at.namespace, at.pod, error);
  if (error.status === 403) {
    return new BrokerHttpError(
      'CredentialsUnavailable',
      `the operator may not mint tokens for ServiceAccount ${at.namespace}/${at.serviceAccount} (Target ${at.target}): it needs create on serviceaccounts/token, which the airlock chart's ClusterRole grants; reinstall or upgrade the chart`,
      { cause: error },
    );
  }
  if (error.status === 400 || error.status === 422) {
    return new BrokerHttpError(
      'CredentialsUnavailable',
      `the API server refused the TokenRequest for ServiceAccount ${at.namespace}/${at.serviceAccount} (Target ${at.target}): ${error.message}`,
      { cause: error },
    );
  }
  return new BrokerHttpError('Unavailable', `cannot mint a token now (HTTP ${error.status} ${error.reason}); retry`, { cause: error });
}
