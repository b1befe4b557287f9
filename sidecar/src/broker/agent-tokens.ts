/**
 * Which token a principal was verified from. The broker checks an agent's token again when the
 * session it opened asks for credentials or holds a command (the requester of the ApprovalRequest
 * is the token's identity and the human it names, not the pod), so the sidecar must send the token
 * along; the principal is what the protocols carry through a session, so the token is looked up by
 * it. One instance per sidecar, shared by the authenticator that fills it and the broker seams that
 * read it; a principal no session holds any more is forgotten with it (WeakMap).
 */
import type { AgentPrincipal } from '../core/ports.ts';

export class PresentedTokens {
  readonly #tokens = new WeakMap<AgentPrincipal, string>();

  /** `principal` must be an object made for this token (the broker's answer), never the pod's own principal. */
  remember(principal: AgentPrincipal, token: string): void {
    this.#tokens.set(principal, token);
  }

  /** The token `principal` was verified from; undefined for the pod's own identity. */
  tokenOf(principal: AgentPrincipal | undefined): string | undefined {
    return principal === undefined ? undefined : this.#tokens.get(principal);
  }
}
