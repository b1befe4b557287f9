/**
 * Whether the agent that sent a request is still there. Watched from the first moment the
 * handler runs: an agent that sent a change and closed its connection at once must not leave a
 * request held (and, once approved, run) for nobody — the close can come while the body is read,
 * the request placed or its decision stored, before any hold starts listening.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface AgentPresence {
  /** Resolves when the agent's connection is gone (at once if it already is). */
  readonly closed: Promise<void>;
  /** The connection is gone now. */
  gone(): boolean;
}

export function watchAgent(request: IncomingMessage, response: ServerResponse): AgentPresence {
  let isGone = request.socket.destroyed || response.destroyed;
  const closed = new Promise<void>((resolve) => {
    const leave = () => {
      // A response that finished closes too: that is the end of the exchange, not the agent leaving.
      if (!response.writableFinished) isGone = true;
      resolve();
    };
    if (isGone) resolve();
    else {
      response.once('close', leave);
      request.socket.once('close', leave);
    }
  });
  return { closed, gone: () => isGone || request.socket.destroyed };
}
