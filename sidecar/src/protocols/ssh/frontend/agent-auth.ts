/**
 * How an agent logs in to the sidecar's SSH listener, through the shared AgentAuthenticator as for
 * PostgreSQL. Pod identity: the listener is on the pod's loopback, so whoever connects is the pod;
 * `none` is accepted, and so are a public key or a password, unchecked, for clients that insist on
 * sending one. Token mode (`requiresToken`): the agent's token is the password, or the answer to
 * the one keyboard-interactive prompt; nothing else is accepted. The user name the agent sends is
 * only recorded; the host login comes from the Target.
 */

import type { Logger } from 'pino';
import type { AuthContext, AuthenticationType, Connection } from 'ssh2';
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
  const tokenMethods: AuthenticationType[] = ['password', 'keyboard-interactive'];
  const decide = (context: AuthContext, token: string | undefined): void => {
    const user = context.username;
    authenticator.authenticate({ target, user, ...(token === undefined ? {} : { token }) }).then(
      (principal) => {
        login = { principal, user };
        context.accept();
      },
      (error: Error) => {
        logger.warn({ user, method: context.method, message: error.message }, 'agent authentication refused');
        context.reject(needsToken ? tokenMethods : ['none']);
      },
    );
  };
  connection.on('authentication', (context: AuthContext) => {
    if (needsToken) {
      if (context.method === 'password') {
        decide(context, context.password);
        return;
      }
      // One prompt, not echoed; the answer is the token (clients that offer only this method, and
      // tools that drive SSH prompts, e.g. an expect-style agent, log in this way).
      if (context.method === 'keyboard-interactive') {
        context.prompt([{ prompt: 'airlock token: ', echo: false }], 'airlock', 'Send your token, or pod-identity.', (answers) => {
          const answer = answers[0];
          if (answers.length !== 1 || answer === undefined) {
            context.reject(tokenMethods);
            return;
          }
          decide(context, answer);
        });
        return;
      }
      context.reject(tokenMethods);
      return;
    }
    if (context.method !== 'none' && context.method !== 'publickey' && context.method !== 'password') {
      context.reject(['none', 'publickey', 'password']);
      return;
    }
    decide(context, undefined);
  });
  connection.once('ready', () => {
    if (login) onReady(login);
    else connection.end();
  });
}
