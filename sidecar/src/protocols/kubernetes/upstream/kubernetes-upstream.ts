/**
 * The Target's API server as the sidecar reaches it: an HTTPS client (core/http) built from the
 * credentials the broker hands out just in time, and the credential kept fresh.
 *
 * - A minted token (TokenRequest: it has `expiresAt`) is used until a fifth of its life, at least a
 *   minute, is left; then the next request fetches a new one. Requests in flight share one fetch.
 * - A Secret's token or certificate has no known expiry: it is fetched again after a minute, so a
 *   rotated Secret is used within a minute without a fetch per request.
 * - A 401 from upstream drops the cached credential (`rejected`): the next request fetches anew.
 * - The client (its TLS settings: server, CA, client certificate) is rebuilt only when those
 *   change; the bearer token goes in per request and is never logged, never written anywhere.
 *
 * Fetching fails closed: without credentials nothing is sent upstream, and the agent gets a 503
 * Status that says why (request-pipeline.ts).
 *
 * The credential is the Target's and is shared by the listener's sessions (discovery uses it too);
 * a fetch is made on behalf of the session whose request needs it (the last one that asked, for
 * discovery), so an agent that presented its own token has it checked again by the broker. Each
 * session was already held to its principal's Targets when it was authenticated.
 */
import type { KubernetesTargetCredentials } from '@airlock/contracts/targets';
import { UpstreamHttpClient } from '../../../core/http/upstream-client.ts';
import type { AgentPrincipal, CredentialSource, TargetConfig } from '../../../core/ports.ts';

/** A credential without an expiry is fetched again after this long. */
const UNDATED_CREDENTIAL_MS = 60_000;
/** A minted token is replaced when this share of its life is left... */
const REFRESH_SHARE = 0.2;
/** ...or this long, whichever is more. */
const MIN_REFRESH_MARGIN_MS = 60_000;

export class KubernetesCredentialsError extends Error {
  readonly code = 'UpstreamCredentialsUnavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubernetesCredentialsError';
  }
}

interface Cached {
  readonly credentials: KubernetesTargetCredentials;
  /** Clock time after which the next request fetches anew. */
  readonly refreshAt: number;
}

export interface KubernetesUpstreamDeps {
  readonly target: TargetConfig;
  readonly credentials: CredentialSource;
  readonly clock: () => number;
  readonly connectTimeoutMs: number;
}

export class KubernetesUpstream {
  readonly #deps: KubernetesUpstreamDeps;
  #cached: Cached | undefined;
  #fetching: Promise<Cached> | undefined;
  #client: { readonly key: string; readonly client: UpstreamHttpClient } | undefined;
  /** The session that asked last: the next fetch is on its behalf. */
  #requester: AgentPrincipal | undefined;

  constructor(deps: KubernetesUpstreamDeps) {
    this.#deps = deps;
  }

  /**
   * The client for the current credentials; throws KubernetesCredentialsError when the broker has
   * none. `principal`: the session that sends the request (a new credential is asked for on its behalf).
   */
  async client(principal?: AgentPrincipal): Promise<UpstreamHttpClient> {
    if (principal) this.#requester = principal;
    const { credentials } = await this.#current();
    const key = JSON.stringify([
      credentials.server,
      credentials.caBundle ?? '',
      credentials.clientCertificate ?? '',
      credentials.clientKey ?? '',
    ]);
    if (this.#client?.key !== key) {
      this.#client?.client.close();
      let server: URL;
      try {
        server = new URL(credentials.server);
      } catch (error) {
        throw new KubernetesCredentialsError(`the broker sent an API server URL that does not parse for target ${this.#deps.target.name}`, {
          cause: error,
        });
      }
      const client = new UpstreamHttpClient(
        {
          server,
          ...(credentials.caBundle ? { ca: credentials.caBundle } : {}),
          ...(credentials.clientCertificate ? { clientCertificate: credentials.clientCertificate } : {}),
          ...(credentials.clientKey ? { clientKey: credentials.clientKey } : {}),
        },
        { connectTimeoutMs: this.#deps.connectTimeoutMs, authorization: () => this.#authorization() },
      );
      this.#client = { key, client };
    }
    return this.#client.client;
  }

  /** Upstream said 401: the credential is no longer good (revoked, its pod binding gone); fetch anew next time. */
  rejected(): void {
    this.#cached = undefined;
  }

  close(): void {
    this.#client?.client.close();
    this.#client = undefined;
    this.#cached = undefined;
    this.#requester = undefined;
  }

  async #authorization(): Promise<string | undefined> {
    const { credentials } = await this.#current();
    return credentials.token ? `Bearer ${credentials.token}` : undefined;
  }

  async #current(): Promise<Cached> {
    const now = this.#deps.clock();
    if (this.#cached && now < this.#cached.refreshAt) return this.#cached;
    this.#fetching ??= this.#fetch().finally(() => {
      this.#fetching = undefined;
    });
    return this.#fetching;
  }

  async #fetch(): Promise<Cached> {
    const { target } = this.#deps;
    let answer: Awaited<ReturnType<CredentialSource['forTarget']>>;
    try {
      answer = await this.#deps.credentials.forTarget(target, undefined, this.#requester);
    } catch (error) {
      throw new KubernetesCredentialsError(`no credentials for target ${target.name}: ${(error as Error).message}`, { cause: error });
    }
    if (answer.type !== 'kubernetes') {
      throw new KubernetesCredentialsError(`the credentials for target ${target.name} are of type ${answer.type}, not kubernetes`);
    }
    const fetchedAt = this.#deps.clock();
    const cached = { credentials: answer, refreshAt: refreshTime(answer, fetchedAt) };
    this.#cached = cached;
    return cached;
  }
}

/** When a credential fetched at `fetchedAt` is replaced (see the file comment). */
export function refreshTime(credentials: Pick<KubernetesTargetCredentials, 'expiresAt'>, fetchedAt: number): number {
  if (credentials.expiresAt === undefined) return fetchedAt + UNDATED_CREDENTIAL_MS;
  const expires = Date.parse(credentials.expiresAt);
  if (Number.isNaN(expires)) return fetchedAt;
  const margin = Math.max(MIN_REFRESH_MARGIN_MS, (expires - fetchedAt) * REFRESH_SHARE);
  return Math.max(fetchedAt, expires - margin);
}
