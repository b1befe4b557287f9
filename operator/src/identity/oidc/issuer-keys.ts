/**
 * The signing keys of one issuer, as the operator last fetched them: discovery once (openid-client,
 * unless the identity names `jwksURL`), then the key set, kept and refreshed on the operator's
 * clock. jose picks the key for a token (createLocalJWKSet: kid, alg, key type, use).
 *
 * - Keys are refreshed in the background when older than `refreshAfterMs`; if that fails they are
 *   still used, but never longer than `maxAgeMs` after their last successful fetch: then a
 *   verification waits for a fetch, and fails closed (IssuerUnavailable) while the issuer does not
 *   answer.
 * - A token naming a kid the set lacks (the issuer rotated its keys) triggers a refresh and one
 *   more look-up, so rotation needs no restart.
 * - Every fetch attempt, successful or not, starts a cooldown: within it no further attempt is made,
 *   so a flood of tokens with made-up kids, or an issuer that is down, costs the issuer at most one
 *   request per cooldown. Concurrent callers share the attempt in flight.
 *
 * Not jose's createRemoteJWKSet: it reads Date.now() itself, so neither its cooldown nor its
 * maximum age follows the clock the operator passes down (and tests drive); it uses keys until
 * the moment it must refresh and fails from then on, with no grace between "refresh due" and
 * "too old to use"; and its cooldown counts only from a successful fetch, so while the issuer is
 * down every unknown kid costs a request (docs/adr/0027-agent-oidc-identities.md).
 */
import { createLocalJWKSet, errors, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import { customFetch, discovery } from 'openid-client';
import type { Logger } from 'pino';
import type { IssuerFetch } from './issuer-fetch.ts';
import { OidcTokenError } from './oidc-errors.ts';

export interface IssuerKeysTiming {
  readonly clock: () => number;
  readonly refreshAfterMs: number;
  readonly maxAgeMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
}

type KeyLookup = ReturnType<typeof createLocalJWKSet>;
type Attempt = 'fetched' | 'failed' | 'cooling';

const CA_HINT = 'if its certificate is signed by an in-house CA, put that CA in spec.oidc.caBundle';

export class IssuerKeys {
  readonly #issuer: string;
  readonly #fetch: IssuerFetch;
  readonly #timing: IssuerKeysTiming;
  readonly #logger: Logger | undefined;
  #jwksURL: string | undefined;
  #keys: { readonly lookup: KeyLookup; readonly fetchedAt: number } | undefined;
  #lastAttemptAt = Number.NEGATIVE_INFINITY;
  #lastFailure: string | undefined;
  #inFlight: Promise<Attempt> | undefined;

  constructor(settings: { issuer: string; jwksURL?: string }, fetch: IssuerFetch, timing: IssuerKeysTiming, logger?: Logger) {
    this.#issuer = settings.issuer;
    this.#jwksURL = settings.jwksURL;
    this.#fetch = fetch;
    this.#timing = timing;
    this.#logger = logger;
  }

  /** jose's key argument: the public key the token's header selects, or an OidcTokenError. */
  readonly keyFor = async (header: JWSHeaderParameters, token: FlattenedJWSInput): ReturnType<KeyLookup> => {
    const ageMs = this.#keys ? this.#timing.clock() - this.#keys.fetchedAt : Number.POSITIVE_INFINITY;
    // Keys still usable are refreshed in the background: a slow issuer delays no verification.
    if (ageMs >= this.#timing.maxAgeMs) await this.#attempt();
    else if (ageMs >= this.#timing.refreshAfterMs) void this.#attempt();
    const keys = this.#usableKeys();
    try {
      return await keys.lookup(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw this.#keyProblem(error, header);
    }
    const attempt = await this.#attempt();
    if (attempt === 'failed')
      throw this.#unavailable(`the token's key ${kidText(header)} is not among its keys and fetching them again failed`);
    try {
      return await this.#usableKeys().lookup(header, token);
    } catch (error) {
      throw this.#keyProblem(error, header);
    }
  };

  #usableKeys(): { readonly lookup: KeyLookup } {
    const keys = this.#keys;
    if (!keys) throw this.#unavailable('its keys could not be fetched');
    const ageMs = this.#timing.clock() - keys.fetchedAt;
    if (ageMs >= this.#timing.maxAgeMs) {
      throw this.#unavailable(
        `its keys were last fetched ${Math.floor(ageMs / 1000)} s ago, longer than the ${Math.floor(this.#timing.maxAgeMs / 1000)} s they may be used without a refresh`,
      );
    }
    return keys;
  }

  #keyProblem(error: unknown, header: JWSHeaderParameters): OidcTokenError {
    if (error instanceof OidcTokenError) return error;
    if (error instanceof errors.JWKSNoMatchingKey) {
      return new OidcTokenError(
        'UnknownKey',
        `issuer ${this.#issuer} publishes no key ${kidText(header)} for ${String(header.alg)}: the token was signed with a key the issuer no longer (or never) published; get a new token`,
        { cause: error },
      );
    }
    if (error instanceof errors.JWKSMultipleMatchingKeys) {
      return new OidcTokenError(
        'UnknownKey',
        `the token names no key id (kid) and issuer ${this.#issuer} publishes several keys for ${String(header.alg)}: airlock needs the kid to choose one; have the issuer set kid`,
        { cause: error },
      );
    }
    return new OidcTokenError(
      'UnknownKey',
      `the key issuer ${this.#issuer} publishes as ${kidText(header)} cannot be used: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }

  #unavailable(what: string): OidcTokenError {
    const last = this.#lastFailure ? ` (last error: ${this.#lastFailure})` : '';
    return new OidcTokenError(
      'IssuerUnavailable',
      `cannot verify tokens of issuer ${this.#issuer}: ${what}${last}; the token is refused until the issuer's keys can be fetched — check that the operator reaches ${this.#issuer} over HTTPS (${CA_HINT})`,
    );
  }

  /** One refresh at a time; none within the cooldown of the previous attempt. */
  async #attempt(): Promise<Attempt> {
    if (this.#inFlight) return this.#inFlight;
    const now = this.#timing.clock();
    if (now - this.#lastAttemptAt < this.#timing.cooldownMs) return 'cooling';
    this.#lastAttemptAt = now;
    const inFlight = this.#refresh().finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = inFlight;
    return inFlight;
  }

  async #refresh(): Promise<Attempt> {
    try {
      const jwksURL = this.#jwksURL ?? (await this.#discover());
      this.#jwksURL = jwksURL;
      const response = await this.#fetch(jwksURL, { headers: { accept: 'application/jwk-set+json, application/json' } });
      if (response.status !== 200) throw new Error(`${jwksURL} answered HTTP ${response.status}`);
      const lookup = createLocalJWKSet((await response.json()) as JSONWebKeySet);
      this.#keys = { lookup, fetchedAt: this.#timing.clock() };
      this.#lastFailure = undefined;
      this.#logger?.debug({ issuer: this.#issuer, jwksURL }, 'fetched the issuer keys');
      return 'fetched';
    } catch (error) {
      this.#lastFailure = describeFailure(error);
      this.#logger?.warn(
        { issuer: this.#issuer, error: this.#lastFailure, haveKeys: this.#keys !== undefined },
        'fetching the issuer keys failed',
      );
      return 'failed';
    }
  }

  async #discover(): Promise<string> {
    const configuration = await discovery(new URL(this.#issuer), 'airlock', undefined, undefined, {
      [customFetch]: this.#fetch,
      timeout: Math.max(1, Math.ceil(this.#timing.timeoutMs / 1000)),
    });
    const jwksURI = configuration.serverMetadata().jwks_uri;
    if (!jwksURI) throw new Error(`the discovery document of ${this.#issuer} names no jwks_uri; set spec.oidc.jwksURL`);
    return jwksURI;
  }
}

function kidText(header: JWSHeaderParameters): string {
  return typeof header.kid === 'string' ? `kid ${JSON.stringify(header.kid.slice(0, 128))}` : 'without kid';
}

/** The innermost messages of a failure chain: fetch errors wrap the TLS or socket cause. */
function describeFailure(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    if (!messages.includes(current.message)) messages.push(current.message);
    current = current.cause;
  }
  return messages.join(': ') || String(error);
}
