/**
 * Tokens of the cluster's own service-account issuer: a nested agent running as its own service
 * account presents its token (`kubectl create token`, a projected volume) to the sidecar of the
 * pod it works in. The API server is that issuer; asking it with a TokenReview is the one check
 * that also knows what a JWKS cannot: a token bound to a pod or Secret that is gone, a service
 * account deleted or recreated. Its discovery endpoints usually need credentials (the default
 * binding lets service accounts read them, not anonymous callers), so the generic OIDC path
 * (token-verifier.ts) could not fetch its keys anyway.
 *
 * The API server authenticated this exact token, so its payload is then read as verified: the
 * same VerifiedToken the OIDC path gives, matched by the same claim matchers (`sub` is
 * `system:serviceaccount:<namespace>:<name>`). The audiences are the identity's, checked by the
 * API server; iss, exp, iat and maxTokenAge are checked here too, with the same clock skew.
 */
import { durationSeconds } from '@airlock/contracts/approval';
import { decodeJwt } from 'jose';
import { collectionPath, KubeApiError, type KubeClient, type KubeObject } from '../../kube/client.ts';
import { KINDS } from '../../kube/kinds.ts';
import { OidcTokenError } from './oidc-errors.ts';
import type { OidcIssuerSettings, VerifiedToken } from './token-verifier.ts';

interface TokenReviewStatus {
  authenticated?: boolean;
  error?: string;
  audiences?: string[];
  user?: { username?: string };
}

export interface ClusterTokenVerifierOptions {
  readonly client: KubeClient;
  /** The cluster's service-account issuer; read from the API server's discovery document when absent. */
  readonly issuer?: string;
  readonly clock?: () => number;
  readonly clockSkewSeconds?: number;
  /** After a failed discovery, no other attempt for this long (default 30 s). */
  readonly retryAfterMs?: number;
}

export class ClusterTokenVerifier {
  readonly #options: ClusterTokenVerifierOptions;
  readonly #clock: () => number;
  readonly #skewSeconds: number;
  #issuer: string | undefined;
  #discovery: Promise<string | undefined> | undefined;
  #failedAt = Number.NEGATIVE_INFINITY;

  constructor(options: ClusterTokenVerifierOptions) {
    this.#options = options;
    this.#issuer = options.issuer;
    this.#clock = options.clock ?? Date.now;
    this.#skewSeconds = options.clockSkewSeconds ?? 60;
  }

  /**
   * The cluster's issuer URL, or undefined while the API server has not told it (then the caller
   * treats the identity's issuer as any other, and the generic path fails closed if it is this one).
   */
  async issuer(): Promise<string | undefined> {
    if (this.#issuer !== undefined) return this.#issuer;
    if (this.#clock() - this.#failedAt < (this.#options.retryAfterMs ?? 30_000)) return undefined;
    this.#discovery ??= this.#options.client
      .request<{ issuer?: unknown }>('GET', '/.well-known/openid-configuration')
      .then(
        (document) => {
          if (typeof document.issuer === 'string' && document.issuer !== '') this.#issuer = document.issuer;
          else this.#failedAt = this.#clock();
          return this.#issuer;
        },
        () => {
          this.#failedAt = this.#clock();
          return undefined;
        },
      )
      .finally(() => {
        this.#discovery = undefined;
      });
    return this.#discovery;
  }

  /** Throws OidcTokenError, like the OIDC path. */
  async verify(token: string, settings: OidcIssuerSettings): Promise<VerifiedToken> {
    let review: KubeObject & { status?: TokenReviewStatus };
    try {
      review = await this.#options.client.create<KubeObject & { status?: TokenReviewStatus }>(collectionPath(KINDS.tokenReview), {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: { token, audiences: [...settings.audiences] },
      } as KubeObject);
    } catch (error) {
      const detail = error instanceof KubeApiError ? `HTTP ${error.status} ${error.reason}` : (error as Error).message;
      throw new OidcTokenError('IssuerUnavailable', `the API server cannot review the token now (${detail}); retry`, { cause: error });
    }
    const status = review.status ?? {};
    if (!status.authenticated) throw refusal(status.error ?? 'not authenticated', settings);
    const payload = decodeJwt(token);
    if (payload.iss !== settings.issuer) {
      throw new OidcTokenError(
        'WrongIssuer',
        `the token was issued by ${String(payload.iss)}, and this identity accepts tokens from ${settings.issuer} only`,
      );
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new OidcTokenError('MissingClaim', 'the token has no subject (sub claim): airlock needs one to say who presented it');
    }
    if (typeof payload.exp !== 'number')
      throw new OidcTokenError('MissingClaim', 'the token has no expiry (exp claim): present a bound, expiring token');
    const now = this.#clock() / 1000;
    if (settings.maxTokenAge !== undefined) {
      const maxAge = durationSeconds(settings.maxTokenAge);
      if (typeof payload.iat !== 'number')
        throw new OidcTokenError(
          'MissingClaim',
          `the token has no iat claim, and this identity refuses tokens older than ${settings.maxTokenAge}`,
        );
      if (payload.iat + maxAge < now - this.#skewSeconds) {
        throw new OidcTokenError(
          'TooOld',
          `the token was issued more than ${settings.maxTokenAge} ago, the most this identity accepts: present a fresh one`,
        );
      }
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : [...(payload.aud ?? [])];
    return {
      issuer: settings.issuer,
      subject: payload.sub,
      audiences,
      ...(typeof payload.iat === 'number' ? { issuedAt: payload.iat } : {}),
      expiresAt: payload.exp,
      claims: payload as Record<string, unknown>,
    };
  }
}

/** The API server's reason, as one of the OIDC path's codes where it says which. */
function refusal(reason: string, settings: OidcIssuerSettings): OidcTokenError {
  if (/expired/i.test(reason))
    return new OidcTokenError('Expired', `the API server says the token expired (${reason}): present a fresh one`);
  if (/audience/i.test(reason)) {
    return new OidcTokenError(
      'WrongAudience',
      `the token is not for ${settings.audiences.join(' or ')} (${reason}): request it with one of those audiences`,
    );
  }
  return new OidcTokenError(
    'BadSignature',
    `the API server does not accept the token (${reason}): it may be forged, revoked, or bound to an object that is gone`,
  );
}
