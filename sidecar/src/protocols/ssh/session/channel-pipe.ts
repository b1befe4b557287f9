/**
 * Joins an agent's channel to the host's channel for one running command: the agent's stdin goes
 * up as it is (binary-safe, its EOF becomes the host's EOF), the host's stdout and stderr come back
 * on the agent's stdout and stderr, and when the host closes the channel its exit status (or the
 * signal that ended the command) is handed to the agent before the agent's channel closes.
 *
 * Backpressure is SSH's own: each side's channel window opens only as the other side reads, so a
 * slow reader stops the writer without the sidecar buffering more than the two windows. The exit
 * status is sent only after everything the host wrote has been written to the agent's channel,
 * because ssh2 sends it at once while data may still wait for the agent's window.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import type { HostExit, UpstreamChannel } from '../backend/upstream-link.ts';

export interface PipeHooks {
  bytesIn(count: number): void;
  bytesOut(count: number): void;
  /** Resolves when the agent closed the channel or its connection went away. */
  readonly agentGone: Promise<void>;
}

export type PipeOutcome =
  /** The host closed the channel; `exit` is what it reported (empty when it reported nothing). */
  | { readonly kind: 'ended'; readonly exit: HostExit }
  /** The agent went away first; the host's channel was closed. */
  | { readonly kind: 'agentGone' };

/** Resolves once everything written to `stream` so far was handed to ssh2, or when the agent is gone. */
function flushed(stream: Writable, agentGone: Promise<void>): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return Promise.resolve();
  return Promise.race([new Promise<void>((resolve) => stream.write(Buffer.alloc(0), () => resolve())), agentGone]);
}

/** Sends the host's exit to the agent; a signal ssh2 does not know becomes exit status 255 (as OpenSSH's client reports one). */
function forwardExit(agent: ServerChannel, exit: HostExit): void {
  if (exit.code !== undefined) {
    agent.exit(exit.code);
  } else if (exit.signal !== undefined) {
    try {
      agent.exit(exit.signal, exit.coreDumped === true, exit.description ?? '');
    } catch {
      agent.exit(255);
    }
  }
}

export function pipeChannels(agent: ServerChannel, host: UpstreamChannel, hooks: PipeHooks): Promise<PipeOutcome> {
  const upstream = host.channel;
  return new Promise<PipeOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: PipeOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    for (const stream of [agent, agent.stderr, upstream, upstream.stderr]) stream.on('error', () => undefined);
    agent.on('data', (chunk: Buffer) => hooks.bytesIn(chunk.length));
    upstream.on('data', (chunk: Buffer) => hooks.bytesOut(chunk.length));
    upstream.stderr.on('data', (chunk: Buffer) => hooks.bytesOut(chunk.length));
    agent.pipe(upstream);
    upstream.pipe(agent, { end: false });
    upstream.stderr.pipe(agent.stderr, { end: false });
    const stderrEnded = upstream.stderr.readableEnded ? Promise.resolve() : once(upstream.stderr, 'end').then(() => undefined);
    upstream.once('close', () => {
      void (async () => {
        await Promise.race([stderrEnded, hooks.agentGone]);
        await Promise.all([flushed(agent, hooks.agentGone), flushed(agent.stderr, hooks.agentGone)]);
        const exit = host.exit();
        if (!settled) {
          forwardExit(agent, exit);
          agent.end();
        }
        settle({ kind: 'ended', exit });
      })();
    });
    void hooks.agentGone.then(() => {
      agent.unpipe(upstream);
      upstream.close();
      settle({ kind: 'agentGone' });
    });
  });
}
