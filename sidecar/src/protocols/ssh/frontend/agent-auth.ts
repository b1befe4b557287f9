/**
 * How an agent logs in to the sidecar's SSH listener, through the shared AgentAuthenticator as for
 * PostgreSQL. Pod identity: the listener is on the pod's loopback, so whoever connects is the pod;
 * `none` is accepted, and so are a public key or a password, unchecked, for clients that insist on
 * sending one. Token mode (`requiresToken`): the password is the agent's token and nothing else is
 * accepted. The user name the agent sends is only recorded; the host login comes from the Target.
 */

import type { Logger } from 'pino';
import type { AuthContext, Connection } from 'ssh2';
import type { AgentAuthenticator, AgentPrincipal, TargetConfig } from '../../../core/ports.ts';

export interface AgentLogin {
  readonly principal: AgentPrincipal;
  /** The user name the agent logged in with. */
  readonly user: string;
}

export interface AgentAuthOptions {
  readonly target: TargetConfig;
  readonly authenticator: AgentAuthenticator;
  readonly logger: Logger;
}

/**
 * Answers the connection's authentication requests and calls `onReady` with who logged in, in
 * ssh2's 'ready' event itself: a channel the agent opens right after its login must find the
 * connection's handlers in place, or ssh2 refuses it.
 */
export function authenticateAgent(connection: Connection, options: AgentAuthOptions, onReady: (login: AgentLogin) => void): void {
  const { target, authenticator, logger } = options;
  const needsToken = authenticator.requiresToken(target);
  let login: AgentLogin | undefined;
  connection.on('authentication', (context: AuthContext) => {
    const user = context.username;
    if (needsToken && context.method !== 'password') {
      context.reject(['password']);
      return;
    }
    if (!needsToken && context.method !== 'none' && context.method !== 'publickey' && context.method !== 'password') {
      context.reject(['none', 'publickey', 'password']);
      return;
    }
    const token = needsToken && context.method === 'password' ? context.password : undefined;
    authenticator.authenticate({ target, user, ...(token === undefined ? {} : { token }) }).then(
      (principal) => {
        login = { principal, user };
        context.accept();
      },
      (error: Error) => {
        logger.warn({ user, method: context.method, message: error.message }, 'agent authentication refused');
        context.reject(needsToken ? ['password'] : ['none']);
      },
    );
  });
  connection.once('ready', () => {
    if (login) onReady(login);
    else connection.end();
  });
}
