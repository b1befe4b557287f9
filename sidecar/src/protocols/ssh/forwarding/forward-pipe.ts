/**
 * Joins the agent's direct-tcpip channel to the host's for one forwarded connection: bytes pass
 * both ways as they are, counted, never read.
 *
 * Backpressure is SSH's own, as for a command (session/channel-pipe.ts): each side's channel
 * window opens only as the other side reads, so a slow reader stops the writer with no more than
 * the two windows buffered here.
 *
 * A TCP connection can be half closed, and protocols rely on it (a client that sends its request
 * and then shuts down its writing side still reads the answer). The agent's EOF goes to the host
 * as an EOF (ssh2's client channel stays open for reading). The host's EOF goes to the agent as an
 * EOF alone, after everything before it was written: ending the agent's channel the stream way
 * would make ssh2 close it (server channels close when they end), cutting what the agent still
 * sends. When either side closes, the other is closed once what it was sent has been written.
 */
import type { Readable, Writable } from 'node:stream';
import type { ClientChannel, ServerChannel } from 'ssh2';

/** Bytes that passed on one forwarded connection. */
export interface ForwardTraffic {
  /** From the agent to the destination. */
  readonly toHost: number;
  /** From the destination to the agent. */
  readonly toAgent: number;
}

export interface ForwardHooks {
  bytesIn(count: number): void;
  bytesOut(count: number): void;
  /** Resolves when the agent's connection went away. */
  readonly agentGone: Promise<void>;
}

/**
 * Resolves when `stream` emits `event`. Not events.once: that rejects on an 'error' event, and a
 * channel error (handled: the close follows) must not become an unhandled rejection.
 */
function emitted(stream: Readable | Writable, event: 'end' | 'finish' | 'close'): Promise<void> {
  return new Promise<void>((resolve) => stream.once(event, () => resolve()));
}

/** Resolves when `stream` has handed on its last byte. */
function ended(stream: Readable): Promise<void> {
  return stream.readableEnded ? Promise.resolve() : emitted(stream, 'end');
}

/** Resolves once everything written to `stream` so far was handed to ssh2 (a write of nothing queues behind them). */
function flushed(stream: Writable): Promise<void> {
  return new Promise<void>((resolve) => stream.write(Buffer.alloc(0), () => resolve()));
}

/** Resolves once `stream` wrote its last byte after end(). */
function finished(stream: Writable): Promise<void> {
  return stream.writableFinished ? Promise.resolve() : emitted(stream, 'finish');
}

export function pipeForward(agent: ServerChannel, host: ClientChannel, hooks: ForwardHooks): Promise<ForwardTraffic> {
  return new Promise<ForwardTraffic>((resolve) => {
    let toHost = 0;
    let toAgent = 0;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      resolve({ toHost, toAgent });
    };
    for (const stream of [agent, agent.stderr, host, host.stderr]) stream.on('error', () => undefined);
    const agentChannelClosed = emitted(agent, 'close');
    const agentClosed = Promise.race([agentChannelClosed, hooks.agentGone]);
    const hostClosed = emitted(host, 'close');
    agent.on('data', (chunk: Buffer) => {
      toHost += chunk.length;
      hooks.bytesIn(chunk.length);
    });
    host.on('data', (chunk: Buffer) => {
      toAgent += chunk.length;
      hooks.bytesOut(chunk.length);
    });
    agent.pipe(host);
    host.pipe(agent, { end: false });
    const hostEof = ended(host)
      .then(() => Promise.race([flushed(agent), agentClosed]))
      .then(() => agent.eof());
    const closeAgent = (): void => {
      agent.close();
      // Whatever the agent still sends has nowhere to go: drained, so its channel can end.
      agent.unpipe(host);
      agent.resume();
      settle();
    };
    const closeHost = (): void => {
      host.close();
      host.unpipe(agent);
      host.resume();
      settle();
    };
    void hostClosed.then(async () => {
      await Promise.race([hostEof, agentClosed]);
      closeAgent();
    });
    void agentChannelClosed.then(async () => {
      await Promise.race([finished(host), hostClosed, hooks.agentGone]);
      closeHost();
    });
    void hooks.agentGone.then(closeHost);
  });
}
