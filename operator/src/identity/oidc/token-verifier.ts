/**
 * Verifies an OIDC token an agent presents (a JWT: an ID token, a CI job's token, a client-
 * credentials access token) against the issuer an AgentIdentity names, and says what it proves:
 * issuer, subject, audiences, times and the claims the mapping (identity-for-token.ts) reads.
 *
 * Order matters for safety and cost: the token's size and shape, then its algorithm (only the
 * asymmetric ones below — `none` and every HS* are refused before any key is looked at, so a
 * public key can never be used as an HMAC secret), then its unverified `iss` (a token for another
 * issuer costs no fetch), then the signature with the issuer's keys (issuer-keys.ts), then
 * `iss`/`aud`/`exp`/`nbf`/`iat`/maxTokenAge with a bounded clock skew. `exp` and `sub` are
 * required; `iat` too when maxTokenAge is set, and a token issued in the future (beyond the skew)
 * is not yet valid.
 *
 * Keys are cached per issuer, key URL and CA bundle in this instance (issuer-keys.ts says how long
 * and when they are refreshed). Failures are OidcTokenErrors whose messages never quote the token.
 * See docs/adr/0027-agent-oidc-identities.md.
 */
import { createHash } from 'node:crypto';
import { durationSeconds } from '@airlock/contracts/approval';
import { decodeJwt, decodeProtectedHeader, errors, type JWTPayload, jwtVerify } from 'jose';
import type { Logger } from 'pino';
import { createIssuerFetch, type IssuerFetch } from './issuer-fetch.ts';
import { IssuerKeys } from './issuer-keys.ts';
import { OidcTokenError } from './oidc-errors.ts';

/** What an AgentIdentity's `spec.oidc` says about verifying its tokens. */
export interface OidcIssuerSettings {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly jwksURL?: string;
  readonly caBundle?: string;
  /** Go-style duration (`1h`, `15m`); tokens issued longer ago are refused. */
  readonly maxTokenAge?: string;
}

export interface VerifiedToken {
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: string[];
  /** Seconds since the epoch. */
  readonly issuedAt?: number;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface OidcTokenVerifierOptions {
  /** Milliseconds since the epoch (Date.now). */
  readonly clock?: () => number;
  /** How far the issuer's clock may be from ours, for exp, nbf and iat (default 60). */
  readonly clockSkewSeconds?: number;
  /** Keys are used at most this long after their last successful fetch (default 600); they are refreshed after half of it. */
  readonly keysMaxAgeSeconds?: number;
  /** After any attempt to fetch an issuer's keys, no other for this long (default 30). */
  readonly keysRefreshCooldownSeconds?: number;
  /** For each request to an issuer (default 5000). */
  readonly fetchTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Asymmetric signatures only: with these, what the issuer publishes cannot sign a token. */
export const ALLOWED_ALGORITHMS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

/** Real tokens are 1–4 KiB; a larger one is refused before it is decoded. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const ISSUER_TEXT_LIMIT = 256;

interface IssuerEntry {
  readonly keys: IssuerKeys;
  readonly fetch: IssuerFetch;
}

export class OidcTokenVerifier {
  readonly #clock: () => number;
  readonly #skewSeconds: number;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #timeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #issuers = new Map<string, IssuerEntry>();

  constructor(options: OidcTokenVerifierOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#skewSeconds = options.clockSkewSeconds ?? 60;
    this.#maxAgeMs = (options.keysMaxAgeSeconds ?? 600) * 1000;
    this.#cooldownMs = (options.keysRefreshCooldownSeconds ?? 30) * 1000;
    this.#timeoutMs = options.fetchTimeoutMs ?? 5000;
    this.#logger = options.logger;
  }

  /** Throws OidcTokenError. */
  async verify(token: string, settings: OidcIssuerSettings): Promise<VerifiedToken> {
    const { alg, iss } = this.#inspect(token);
    if (alg === 'none') {
      throw new OidcTokenError(
        'UnsupportedAlgorithm',
        'the token is unsigned (alg none), and unsigned tokens are never accepted: present the token the issuer signed',
      );
    }
    if (typeof alg !== 'string' || !ALLOWED_ALGORITHMS.includes(alg)) {
      throw new OidcTokenError(
        'UnsupportedAlgorithm',
        `the token is signed with ${clip(String(alg))}; airlock accepts only ${ALLOWED_ALGORITHMS.join(', ')} (asymmetric signatures): configure the issuer to sign with one of them`,
      );
    }
    if (iss !== settings.issuer) {
      throw new OidcTokenError(
        'WrongIssuer',
        `the token was issued by ${typeof iss === 'string' ? clip(iss) : 'no issuer (no iss claim)'}, and this identity accepts tokens from ${settings.issuer} only: present a token of that issuer`,
      );
    }
    const maxTokenAge = settings.maxTokenAge === undefined ? undefined : durationSeconds(settings.maxTokenAge);
    const keys = this.#issuerEntry(settings).keys;
    const nowMs = this.#clock();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys.keyFor, {
        algorithms: [...ALLOWED_ALGORITHMS],
        issuer: settings.issuer,
        audience: [...settings.audiences],
        clockTolerance: this.#skewSeconds,
        currentDate: new Date(nowMs),
        requiredClaims: ['exp', 'sub'],
        ...(maxTokenAge === undefined ? {} : { maxTokenAge }),
      }));
    } catch (error) {
      throw this.#refusal(error, settings);
    }
    const issuedAt = payload.iat;
    if (issuedAt !== undefined && issuedAt > nowMs / 1000 + this.#skewSeconds) {
      throw new OidcTokenError(
        'NotYetValid',
        `the token says it was issued at ${isoTime(issuedAt)}, later than now (${isoTime(nowMs / 1000)}) by more than the ${this.#skewSeconds} s of clock skew allowed: check the issuer's clock`,
      );
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new OidcTokenError(
        'MissingClaim',
        'the token has no subject (sub claim) that is a non-empty string: airlock needs one to say who presented it',
      );
    }
    return {
      issuer: settings.issuer,
      subject: payload.sub,
      audiences: typeof payload.aud === 'string' ? [payload.aud] : [...(payload.aud ?? [])],
      ...(issuedAt === undefined ? {} : { issuedAt }),
      expiresAt: payload.exp!,
      claims: Object.freeze({ ...payload }),
    };
  }

  /** Closes the connections to issuers. The verifier fetches again if used afterwards. */
  async close(): Promise<void> {
    const entries = [...this.#issuers.values()];
    this.#issuers.clear();
    await Promise.all(entries.map((entry) => entry.fetch.close()));
  }

  /** Size and shape, and the two header/claim values checked before any key is fetched. */
  #inspect(token: string): { alg: unknown; iss: unknown } {
    if (token.length > MAX_TOKEN_LENGTH) {
      throw new OidcTokenError('Malformed', `the token is longer than ${MAX_TOKEN_LENGTH} characters; that is no OIDC token`);
    }
    try {
      const header = decodeProtectedHeader(token);
      const claims = decodeJwt(token);
      return { alg: header.alg, iss: claims.iss };
    } catch (cause) {
      throw new OidcTokenError(
        'Malformed',
        'the token is not a signed JWT (three base64url parts: a JSON header, JSON claims, a signature): present the ID or access token the issuer signed, as it was issued',
        { cause },
      );
    }
  }

  #issuerEntry(settings: OidcIssuerSettings): IssuerEntry {
    const key = JSON.stringify([
      settings.issuer,
      settings.jwksURL ?? '',
      settings.caBundle ? createHash('sha256').update(settings.caBundle).digest('hex') : '',
    ]);
    let entry = this.#issuers.get(key);
    if (!entry) {
      const fetch = createIssuerFetch({ timeoutMs: this.#timeoutMs, ...(settings.caBundle ? { caBundle: settings.caBundle } : {}) });
      const keys = new IssuerKeys(
        { issuer: settings.issuer, ...(settings.jwksURL ? { jwksURL: settings.jwksURL } : {}) },
        fetch,
        {
          clock: this.#clock,
          maxAgeMs: this.#maxAgeMs,
          refreshAfterMs: this.#maxAgeMs / 2,
          cooldownMs: this.#cooldownMs,
          timeoutMs: this.#timeoutMs,
        },
        this.#logger,
      );
      entry = { keys, fetch };
      this.#issuers.set(key, entry);
    }
    return entry;
  }

  #refusal(error: unknown, settings: OidcIssuerSettings): Error {
    if (error instanceof OidcTokenError) return error;
    const skew = `allowing ${this.#skewSeconds} s of clock skew`;
    if (error instanceof errors.JWTExpired) {
      const claims = error.payload;
      if (error.claim === 'iat') {
        return new OidcTokenError(
          'TooOld',
          `the token was issued at ${isoTime(claims.iat)}, longer ago than the ${settings.maxTokenAge} this identity allows (spec.oidc.maxTokenAge, ${skew}): get a freshly issued token`,
          { cause: error },
        );
      }
      return new OidcTokenError('Expired', `the token expired at ${isoTime(claims.exp)} (${skew}): get a new token from the issuer`, {
        cause: error,
      });
    }
    if (error instanceof errors.JWTClaimValidationFailed) {
      const claims = error.payload;
      if (error.reason === 'missing') {
        return new OidcTokenError(
          'MissingClaim',
          `the token has no ${error.claim} claim, which airlock requires: have the issuer include it`,
          {
            cause: error,
          },
        );
      }
      switch (error.claim) {
        case 'nbf':
          return new OidcTokenError(
            'NotYetValid',
            `the token is not valid before ${isoTime(claims.nbf)} (${skew}): use it once it is, or check the issuer's clock`,
            {
              cause: error,
            },
          );
        case 'iat':
          return new OidcTokenError(
            'NotYetValid',
            `the token says it was issued at ${isoTime(claims.iat)}, in the future (${skew}): check the issuer's clock`,
            {
              cause: error,
            },
          );
        case 'aud':
          return new OidcTokenError(
            'WrongAudience',
            `the token is for audience ${audienceText(claims.aud)}, and this identity accepts ${settings.audiences.join(', ')}: request the token for one of those`,
            { cause: error },
          );
        case 'iss':
          return new OidcTokenError('WrongIssuer', `the token was not issued by ${settings.issuer}: present a token of that issuer`, {
            cause: error,
          });
        default:
          return new OidcTokenError('Malformed', `the token's ${error.claim} claim is not valid: ${error.message}`, { cause: error });
      }
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return new OidcTokenError(
        'BadSignature',
        `the token's signature does not verify with the key issuer ${settings.issuer} published for it: the token was altered, or not signed by that issuer`,
        { cause: error },
      );
    }
    if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
      return new OidcTokenError('UnsupportedAlgorithm', `the token's algorithm or key cannot be used: ${error.message}`, { cause: error });
    }
    if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
      return new OidcTokenError('Malformed', `the token is not a valid signed JWT: ${error.message}`, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

function clip(text: string): string {
  const printable = JSON.stringify(text);
  return printable.length > ISSUER_TEXT_LIMIT ? `${printable.slice(0, ISSUER_TEXT_LIMIT)}…` : printable;
}

function isoTime(seconds: unknown): string {
  return typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : String(seconds);
}

function audienceText(aud: unknown): string {
  if (typeof aud === 'string') return clip(aud);
  if (Array.isArray(aud)) return aud.map((one) => clip(String(one))).join(', ') || 'none';
  return 'none';
}
