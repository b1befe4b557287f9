/**
 * The agent side of the startup phase: answers SSLRequest and GSSENCRequest with "no" (the
 * listener is on the pod's loopback, plain is fine), routes a CancelRequest to the session it
 * names, reads the StartupMessage, and authenticates the agent through the identity interface —
 * no password for pod identity, or the agent's own token sent as the password.
 */
import type { Socket } from 'node:net';
import { AgentAuthError } from '../../../core/agent-auth-error.ts';
import type { AgentAuthenticator, AgentPrincipal, TargetConfig } from '../../../core/ports.ts';
import { SocketFrames } from '../socket-frames.ts';
import { encode } from '../wire/backend-messages.ts';
import { ProtocolError } from '../wire/errors.ts';
import { type Frame, FrameDecoder } from '../wire/frame-decoder.ts';
import { decodeFrontend, decodeStartupPhase } from '../wire/frontend-messages.ts';

/** A StartupMessage is small; a larger first frame is an attack or not PostgreSQL. */
const MAX_STARTUP_BYTES = 10_000;
const NO = Buffer.from('N');

export type AgentStartup =
  | {
      readonly kind: 'session';
      readonly parameters: Map<string, string>;
      readonly principal: AgentPrincipal;
      readonly frames: SocketFrames;
    }
  | { readonly kind: 'cancel'; readonly processId: number; readonly secretKey: Buffer };

export async function acceptAgent(
  socket: Socket,
  options: {
    readonly target: TargetConfig;
    readonly authenticator: AgentAuthenticator;
    readonly maxFrameBytes: number;
    readonly signal: AbortSignal;
  },
): Promise<AgentStartup> {
  const frames = new SocketFrames(socket, new FrameDecoder({ untyped: true, maxFrameBytes: MAX_STARTUP_BYTES }), 'the agent');
  let frame: Frame;
  for (;;) {
    frame = await frames.next(options.signal);
    const message = decodeStartupPhase(frame);
    if (message.type === 'sslRequest' || message.type === 'gssEncRequest') {
      socket.write(NO);
      frames.resume('untyped');
      continue;
    }
    if (message.type === 'cancelRequest') {
      frames.detach();
      return { kind: 'cancel', processId: message.processId, secretKey: message.secretKey };
    }
    const { target, authenticator } = options;
    const needsToken = authenticator.requiresToken(target);
    // After the StartupMessage (and the password, if one is asked for) frames may be as large as
    // the configured limit; until then the small startup limit applies.
    if (!needsToken) frames.decoder.setMaxFrameBytes(options.maxFrameBytes);
    frames.resume('typed');
    const user = message.parameters.get('user') ?? '';
    let token: string | undefined;
    if (needsToken) {
      socket.write(encode.authenticationCleartextPassword());
      const reply = decodeFrontend(await frames.next(options.signal));
      frames.decoder.setMaxFrameBytes(options.maxFrameBytes);
      if (reply.type !== 'password') throw new ProtocolError('MessageMalformed', `expected a password message, got ${reply.type}`);
      token = reply.payload.subarray(0, Math.max(0, reply.payload.indexOf(0))).toString('utf8');
    }
    let principal: AgentPrincipal;
    try {
      principal = await authenticator.authenticate({ target, user, ...(token === undefined ? {} : { token }) });
    } catch (error) {
      throw error instanceof AgentAuthError
        ? error
        : new AgentAuthError(`the agent could not be authenticated: ${(error as Error).message}`, { cause: error });
    }
    return { kind: 'session', parameters: message.parameters, principal, frames };
  }
}
