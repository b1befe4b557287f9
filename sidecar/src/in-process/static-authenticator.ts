/**
 * An AgentAuthenticator for tests and local runs. Pod identity: every connection on the pod's
 * loopback is the pod's principal, no password. Token mode: the password must be one of the
 * known tokens (the operator-backed authenticator verifies OIDC tokens instead).
 */
import { timingSafeEqual } from 'node:crypto';
import { AgentAuthError } from '../core/agent-auth-error.ts';
import type { AgentAuthenticator, AgentPrincipal } from '../core/ports.ts';

export class StaticAuthenticator implements AgentAuthenticator {
  readonly #principal: AgentPrincipal;
  readonly #tokens: ReadonlyMap<string, AgentPrincipal> | undefined;

  /** Without tokens: pod identity. With tokens: each token stands for a principal (an agent carrying its own identity). */
  constructor(principal: AgentPrincipal, tokens?: Readonly<Record<string, AgentPrincipal>>) {
    this.#principal = principal;
    this.#tokens = tokens ? new Map(Object.entries(tokens)) : undefined;
  }

  requiresToken(): boolean {
    return this.#tokens !== undefined;
  }

  async authenticate(request: { readonly token?: string }): Promise<AgentPrincipal> {
    if (!this.#tokens) return this.#principal;
    const presented = Buffer.from(request.token ?? '');
    for (const [token, principal] of this.#tokens) {
      const known = Buffer.from(token);
      if (known.length === presented.length && timingSafeEqual(known, presented)) return principal;
    }
    throw new AgentAuthError('the token sent as the password is not valid for this sidecar');
  }
}
