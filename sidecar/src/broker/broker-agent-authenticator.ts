/**
 * Who an agent is, in broker mode. An agent on the pod's loopback is the pod's own principal (the
 * config's, as the broker authenticated the pod), unless the Target's listener asks for a token
 * (the config's tokenTargets) and the agent sends one: then the broker verifies it
 * (BROKER_PATHS.agentTokens) and answers with the token's principal. Sending the password
 * POD_IDENTITY_PASSWORD, or nothing, chooses the pod's identity where it has one.
 *
 * - Either way the principal must be allowed the Target (`principal.targets`).
 * - A principal whose token has expired by the sidecar's clock is refused, even when the broker
 *   (whose clock may run behind) still said yes: a session would end the moment it started
 *   (core/session/token-expiry.ts ends sessions at their token's expiry).
 * - The broker's yes is cached per token (keyed by its SHA-256, so the cache holds no token) for a
 *   minute at most, never past the token's expiry, and never across a new config; a no is never
 *   cached. Sessions that present
 *   the same token at once share one question to the broker.
 * - Fails closed: a broker that cannot be asked refuses the session; the agent is told to retry.
 * - The token is never part of a message or a log line; `tokens` remembers which token each
 *   principal came from, for the broker calls the session makes later (agent-tokens.ts).
 */
import { createHash } from 'node:crypto';
import { POD_IDENTITY_PASSWORD } from '@airlock/contracts/broker';
import type { Logger } from 'pino';
import { AgentAuthError } from '../core/agent-auth-error.ts';
import type { AgentAuthenticator, AgentPrincipal, ConfigSource, TargetConfig } from '../core/ports.ts';
import { principalExpiry, tokenExpiredMessage } from '../core/session/token-expiry.ts';
import type { PresentedTokens } from './agent-tokens.ts';
import type { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';

export interface BrokerAgentAuthenticatorOptions {
  readonly config: ConfigSource;
  readonly broker: Pick<BrokerClient, 'agentPrincipal'>;
  readonly tokens: PresentedTokens;
  readonly logger: Logger;
  /** Wall-clock milliseconds (token expiries are dates); the sidecar's clock. */
  readonly clock?: () => number;
  /** How long the broker's yes for a token is reused at most (default 60 s). */
  readonly cacheTtlMs?: number;
  /** How many tokens' answers are kept; the oldest goes first (default 1024). */
  readonly maxCachedTokens?: number;
}

interface CachedPrincipal {
  readonly principal: AgentPrincipal;
  /** Clock time from which the token is asked about again. */
  readonly until: number;
}

const DEFAULT_CACHE_TTL_MS = 60_000;
const DEFAULT_MAX_CACHED_TOKENS = 1024;

export class BrokerAgentAuthenticator implements AgentAuthenticator {
  readonly #options: BrokerAgentAuthenticatorOptions;
  readonly #clock: () => number;
  /** By the token's SHA-256; Map order is insertion order, so the first entry is the oldest. */
  readonly #cache = new Map<string, CachedPrincipal>();
  readonly #asking = new Map<string, Promise<AgentPrincipal>>();

  constructor(options: BrokerAgentAuthenticatorOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    // A new config means something of the pod's identities, Targets or policies changed: the
    // broker's answers for tokens may have too (an identity's targets, its claims), so they are
    // asked again rather than served for up to a minute more. Lives as long as the sidecar.
    options.config.subscribe(() => this.#cache.clear());
  }

  requiresToken(target: TargetConfig): boolean {
    return this.#options.config.current().tokenTargets?.includes(target.name) ?? false;
  }

  async authenticate(request: { readonly target: TargetConfig; readonly user: string; readonly token?: string }): Promise<AgentPrincipal> {
    const { target, token } = request;
    const podIdentity = token === undefined || token === '' || token === POD_IDENTITY_PASSWORD || !this.requiresToken(target);
    const principal = podIdentity ? this.#podPrincipal(target) : await this.#tokenPrincipal(token);
    const expiresAt = principalExpiry(principal);
    if (expiresAt !== undefined && !(this.#clock() < expiresAt)) {
      throw new AgentAuthError(`token refused (Expired): ${tokenExpiredMessage(expiresAt)}`);
    }
    if (principal.targets !== undefined && !principal.targets.includes(target.name)) {
      const allowed = principal.targets.length > 0 ? principal.targets.join(', ') : 'none';
      throw new AgentAuthError(
        `identity ${principal.identity} may not use target ${target.name}; the targets it may use: ${allowed}` +
          (podIdentity && this.requiresToken(target) ? '. An agent with an identity of its own sends its token as the password' : ''),
      );
    }
    return principal;
  }

  #podPrincipal(target: TargetConfig): AgentPrincipal {
    const { principal } = this.#options.config.current();
    if (principal) return principal;
    throw new AgentAuthError(
      `every identity of this pod requires a token: send your OIDC token as the password for target ${target.name} ` +
        '(PostgreSQL and SSH) or as an "Authorization: Bearer" header (Kubernetes)',
    );
  }

  async #tokenPrincipal(token: string): Promise<AgentPrincipal> {
    const key = createHash('sha256').update(token, 'utf8').digest('base64');
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      if (this.#clock() < cached.until) return cached.principal;
      this.#cache.delete(key);
    }
    const asking = this.#asking.get(key);
    if (asking !== undefined) return asking;
    const answer = this.#ask(token, key).finally(() => this.#asking.delete(key));
    this.#asking.set(key, answer);
    return answer;
  }

  async #ask(token: string, key: string): Promise<AgentPrincipal> {
    let principal: AgentPrincipal;
    try {
      principal = await this.#options.broker.agentPrincipal(token);
    } catch (error) {
      throw this.#refusal(error);
    }
    this.#options.tokens.remember(principal, token);
    this.#keep(key, principal);
    return principal;
  }

  #keep(key: string, principal: AgentPrincipal): void {
    const now = this.#clock();
    const expires = principal.expiresAt === undefined ? Number.POSITIVE_INFINITY : Date.parse(principal.expiresAt);
    const until = Math.min(expires, now + (this.#options.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS));
    // An answer for a token already expired by this clock (the clocks disagree) is not kept; authenticate refuses it.
    if (!(until > now)) return;
    const max = this.#options.maxCachedTokens ?? DEFAULT_MAX_CACHED_TOKENS;
    this.#cache.delete(key);
    while (this.#cache.size >= max) {
      const oldest = this.#cache.keys().next();
      if (oldest.done) break;
      this.#cache.delete(oldest.value);
    }
    this.#cache.set(key, { principal, until });
  }

  /** What the agent is told; the broker's message for a refused token, only the code otherwise. */
  #refusal(error: unknown): AgentAuthError {
    if (error instanceof BrokerError && error.code === 'AgentTokenRefused') {
      return new AgentAuthError(`token refused (${error.reason ?? 'no reason given'}): ${error.message}`, { cause: error });
    }
    const code = error instanceof BrokerError ? error.code : 'Unexpected';
    this.#options.logger.warn(
      { code, message: (error as Error).message },
      'an agent token could not be checked with the broker; the session is refused',
    );
    return new AgentAuthError(`the control plane cannot check the token now (${code}); retry`, { cause: error });
  }
}
