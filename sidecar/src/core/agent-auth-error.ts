/**
 * The one way an AgentAuthenticator refuses an agent (core/ports.ts). Every protocol renders it in
 * its own words — PostgreSQL a FATAL 28000, SSH a rejected login, Kubernetes a 401 Status — so the
 * message is what the agent reads: it says what to send instead, and never holds a token.
 */
export class AgentAuthError extends Error {
  readonly code = 'AgentAuthFailed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentAuthError';
  }
}
