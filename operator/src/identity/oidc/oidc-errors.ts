/**
 * Why an agent's OIDC token was refused. The code is stable (the broker sends it to the sidecar as the
 * refusal's reason, and the agent sees it); the message says what to change. Messages never quote the token: it is a bearer
 * credential, and error text ends up in logs and on the agent's terminal. Claim names and the
 * values of a verified token's claims may appear; an unverified token's claims only as far as
 * they explain the refusal (its iss, its alg).
 */
import type { TokenCheckRefusal } from '@airlock/contracts/broker';

/** The broker protocol's list: the code reaches the sidecar as the refusal's `reason`. */
export type OidcTokenErrorCode = TokenCheckRefusal;

export class OidcTokenError extends Error {
  readonly code: OidcTokenErrorCode;

  constructor(code: OidcTokenErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcTokenError';
    this.code = code;
  }
}
