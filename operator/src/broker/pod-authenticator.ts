/**
 * Who is calling: the bearer token is a projected service-account token (audience airlock, bound
 * to the sidecar's pod). A TokenReview checks it; the review's extra fields name the bound pod; the
 * pod is read from the API server, must have that UID, must not be terminating, and must be a gated
 * agent pod (label airlock.dev/inject=true: admitted by the validating webhook only with its
 * sidecar, and with no token in any agent container). The sidecar's own claims play no part.
 *
 * Cache (ADR 0010): a positive result is kept for a few seconds, keyed by the token's hash, and
 * only for pods the broker's pod informer (pods labeled airlock.dev/inject=true) holds; a pod
 * deleted or marked for deletion is dropped from the cache as soon as the informer hears it, so a
 * deleted pod's token stops working at once. Pods the informer does not hold are checked on every
 * request. Failures are never cached.
 */
import { createHash } from 'node:crypto';
import { BROKER_AUDIENCE } from '@airlock/contracts/broker';
import { LABEL_ENABLED, LABELS } from '@airlock/contracts/install';
import { collectionPath, isNotFound, KubeApiError, type KubeClient, type KubeObject, objectPath } from '../kube/client.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { BrokerHttpError } from './http-io.ts';

export interface PodObject extends KubeObject {
  spec?: { serviceAccountName?: string };
}

export interface AuthenticatedPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** system:serviceaccount:<namespace>:<name>, as the API server authenticated the token. */
  readonly serviceAccount: string;
  /** The pod as read when the token was checked. */
  readonly object: PodObject;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  error?: string;
  audiences?: string[];
  user?: { username?: string; extra?: Record<string, string[]> };
}

export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';
const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const TOKEN_HELP = 'the sidecar needs a projected service-account token with audience airlock, bound to its pod';

export interface PodAuthenticatorOptions {
  readonly client: KubeClient;
  /** Pods the cache may hold: their deletion is heard, so the cache can forget them. */
  readonly pods?: Informer<PodObject>;
  readonly clock?: () => number;
  /** How long a positive result is kept (default 5 s). */
  readonly cacheTtlMs?: number;
  readonly maxCacheEntries?: number;
}

interface CacheEntry {
  readonly pod: AuthenticatedPod;
  readonly expiresAt: number;
}

export class PodAuthenticator {
  readonly #options: PodAuthenticatorOptions;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #clock: () => number;

  constructor(options: PodAuthenticatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    options.pods?.onChange((event, pod) => {
      if (event === 'delete' || pod.metadata?.deletionTimestamp) this.forget(pod.metadata?.uid ?? '');
    });
  }

  /** Throws BrokerHttpError: Unauthenticated (401) or Unavailable (503, the API server did not answer). */
  async authenticate(authorization: string | undefined): Promise<AuthenticatedPod> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new BrokerHttpError('Unauthenticated', `no bearer token: ${TOKEN_HELP}`);
    const key = createHash('sha256').update(token).digest('hex');
    const now = this.#clock();
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > now) return cached.pod;
    if (cached) this.#cache.delete(key);
    const pod = await this.#check(token);
    const tracked = this.#options.pods?.get(pod.namespace, pod.name);
    if (tracked?.metadata?.uid === pod.uid && !tracked.metadata.deletionTimestamp) {
      const expiresAt = Math.min(now + (this.#options.cacheTtlMs ?? 5000), tokenExpiry(token) ?? Number.POSITIVE_INFINITY);
      this.#remember(key, { pod, expiresAt });
    }
    return pod;
  }

  forget(podUid: string): void {
    for (const [key, entry] of this.#cache) if (entry.pod.uid === podUid) this.#cache.delete(key);
  }

  async #check(token: string): Promise<AuthenticatedPod> {
    const review = await this.#call(() =>
      this.#options.client.create<KubeObject & { status?: TokenReviewStatus }>(collectionPath(KINDS.tokenReview), {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, audiences: [BROKER_AUDIENCE] },
      } as KubeObject),
    );
    const status = review.status ?? {};
    if (!status.authenticated) {
      throw new BrokerHttpError('Unauthenticated', `the token is not valid (${status.error ?? 'not authenticated'}): ${TOKEN_HELP}`);
    }
    if (!(status.audiences ?? []).includes(BROKER_AUDIENCE)) {
      throw new BrokerHttpError('Unauthenticated', `the token is not for audience ${BROKER_AUDIENCE}: ${TOKEN_HELP}`);
    }
    const username = status.user?.username ?? '';
    const account = SERVICE_ACCOUNT_USER.exec(username);
    const podName = status.user?.extra?.[POD_NAME_EXTRA]?.[0];
    const podUid = status.user?.extra?.[POD_UID_EXTRA]?.[0];
    if (!account || !podName || !podUid) {
      throw new BrokerHttpError('Unauthenticated', `the token is not a service-account token bound to a pod: ${TOKEN_HELP}`);
    }
    const [, namespace, serviceAccountName] = account as unknown as [string, string, string];
    let pod: PodObject;
    try {
      pod = await this.#call(() => this.#options.client.get<PodObject>(objectPath(KINDS.pod, namespace, podName)));
    } catch (error) {
      if (error instanceof BrokerHttpError) throw error;
      throw new BrokerHttpError('Unauthenticated', `pod ${namespace}/${podName}, which the token is bound to, no longer exists`);
    }
    if (pod.metadata?.uid !== podUid) {
      throw new BrokerHttpError('Unauthenticated', `pod ${namespace}/${podName} was replaced; the token was bound to the one before`);
    }
    if (pod.metadata?.deletionTimestamp) {
      throw new BrokerHttpError('Unauthenticated', `pod ${namespace}/${podName} is being deleted; its sidecar gets nothing more`);
    }
    if ((pod.spec?.serviceAccountName || 'default') !== serviceAccountName) {
      throw new BrokerHttpError('Unauthenticated', `the token's service account does not run pod ${namespace}/${podName}`);
    }
    // Only a gated pod is an agent pod with its sidecar: the validating webhook admitted it only
    // with the sidecar as injected and no token or credential in any agent container. Any other pod
    // of an agent's service account could mount a token for this audience itself, and would then be
    // handed the Targets' credentials without a sidecar in between.
    if (pod.metadata?.labels?.[LABELS.podInject] !== LABEL_ENABLED.pod) {
      throw new BrokerHttpError(
        'Forbidden',
        `pod ${namespace}/${podName} is not an airlock agent pod (label ${LABELS.podInject}=${LABEL_ENABLED.pod}, admitted with its sidecar): the broker serves only sidecars of agent pods`,
      );
    }
    return { namespace, name: podName, uid: podUid, serviceAccount: username, object: pod };
  }

  /** API server calls: a missing object is the caller's to judge (NotFound passes through); anything else is 503. */
  async #call<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isNotFound(error)) throw error;
      const detail = error instanceof KubeApiError ? `HTTP ${error.status} ${error.reason}` : (error as Error).message;
      throw new BrokerHttpError('Unavailable', `the API server cannot check the token now (${detail}); retry`, { cause: error });
    }
  }

  #remember(key: string, entry: CacheEntry): void {
    this.#cache.set(key, entry);
    const max = this.#options.maxCacheEntries ?? 10_000;
    for (const oldest of this.#cache.keys()) {
      if (this.#cache.size <= max) break;
      this.#cache.delete(oldest);
    }
  }
}

/** The JWT's exp claim in ms, to keep a cached result no longer than the token lives. Already verified by the TokenReview. */
function tokenExpiry(token: string): number | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
