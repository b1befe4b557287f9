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
 *
 * With a tap (the recording, channel-capture.ts) every chunk of each stream passes through it on
 * its way; when the tap answers a chunk with a promise, that stream forwards nothing more until it
 * settles, and the windows stop the writers as they do for a slow reader. A rejected promise stops
 * the pipe: the host's channel is closed and the agent gets neither more bytes nor an exit status
 * (the caller says why). The exit status likewise waits for the tap's `ended`.
 */
import { once } from 'node:events';
import { type Readable, Transform, type Writable } from 'node:stream';
import type { OutputStream } from '@airlock/contracts/recording';
import type { ServerChannel } from 'ssh2';
import type { HostExit, UpstreamChannel } from '../backend/upstream-link.ts';

/** Sees what passes; a promise holds the stream until it settles, a rejection stops the pipe. */
export interface PipeTap {
  data(stream: OutputStream, chunk: Buffer): Promise<void> | undefined;
  /** The host ended the command: its exit goes to the agent once this settles. */
  ended(exit: HostExit): Promise<void> | undefined;
}

export interface PipeHooks {
  bytesIn(count: number): void;
  bytesOut(count: number): void;
  /** Resolves when the agent closed the channel or its connection went away. */
  readonly agentGone: Promise<void>;
  readonly tap?: PipeTap;
  /**
   * A transform for each of the host's output streams (the masking of values in output), between
   * the host and the tap: what is recorded is what the agent gets. Its last bytes come at its end,
   * so the exit status waits for it as it waits for the tap.
   */
  readonly outputFilter?: (stream: 'stdout' | 'stderr') => Transform;
}

export type PipeOutcome =
  /** The host closed the channel; `exit` is what it reported (empty when it reported nothing). */
  | { readonly kind: 'ended'; readonly exit: HostExit }
  /** The agent went away first; the host's channel was closed. */
  | { readonly kind: 'agentGone' }
  /** The tap refused to go on (the recording cannot be stored); the host's channel was closed, the agent's is left to the caller. */
  | { readonly kind: 'stopped'; readonly error: Error };

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

/** A stream that hands each chunk to the tap and forwards it once the tap lets it. */
function tapped(tap: PipeTap, stream: OutputStream, stop: (error: Error) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let waiting: Promise<void> | undefined;
      try {
        waiting = tap.data(stream, chunk);
      } catch (error) {
        waiting = Promise.reject(error);
      }
      if (waiting === undefined) {
        done(null, chunk);
        return;
      }
      waiting.then(
        () => done(null, chunk),
        (error: unknown) => stop(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });
}

/** Resolves when `stream` has handed on its last byte (its readable side ended). */
function ended(stream: Readable): Promise<void> {
  return stream.readableEnded ? Promise.resolve() : once(stream, 'end').then(() => undefined);
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
    const stopped = Promise.withResolvers<void>();
    const stop = (error: Error): void => {
      if (settled) return;
      settle({ kind: 'stopped', error });
      stopped.resolve();
      agent.unpipe();
      upstream.unpipe();
      upstream.stderr.unpipe();
      upstream.close();
    };
    for (const stream of [agent, agent.stderr, upstream, upstream.stderr]) stream.on('error', () => undefined);
    agent.on('data', (chunk: Buffer) => hooks.bytesIn(chunk.length));
    upstream.on('data', (chunk: Buffer) => hooks.bytesOut(chunk.length));
    upstream.stderr.on('data', (chunk: Buffer) => hooks.bytesOut(chunk.length));
    const { tap, outputFilter } = hooks;
    const filtered = (source: Readable, stream: 'stdout' | 'stderr'): Readable => {
      if (!outputFilter) return source;
      const filter = outputFilter(stream);
      filter.on('error', (error: Error) => stop(error));
      return source.pipe(filter);
    };
    // Without a tap or filter the streams join directly; with them, each goes through them.
    const stdin = tap ? agent.pipe(tapped(tap, 'stdin', stop)) : agent;
    const hostStdout = filtered(upstream, 'stdout');
    const hostStderr = filtered(upstream.stderr, 'stderr');
    const stdout = tap ? hostStdout.pipe(tapped(tap, 'stdout', stop)) : hostStdout;
    const stderr = tap ? hostStderr.pipe(tapped(tap, 'stderr', stop)) : hostStderr;
    stdin.pipe(upstream);
    stdout.pipe(agent, { end: false });
    stderr.pipe(agent.stderr, { end: false });
    // ssh2 emits the host channel's close after its stdout ended, not after its stderr did; a tap or filter may still hold either.
    const outputEnded = Promise.all([ended(stderr), tap || outputFilter ? ended(stdout) : undefined]);
    upstream.once('close', () => {
      void (async () => {
        await Promise.race([outputEnded, hooks.agentGone, stopped.promise]);
        await Promise.all([flushed(agent, hooks.agentGone), flushed(agent.stderr, hooks.agentGone)]);
        const exit = host.exit();
        if (!settled) {
          try {
            await Promise.race([tap?.ended(exit), hooks.agentGone]);
          } catch (error) {
            stop(error instanceof Error ? error : new Error(String(error)));
          }
        }
        if (!settled) {
          forwardExit(agent, exit);
          agent.end();
        }
        settle({ kind: 'ended', exit });
      })();
    });
    void hooks.agentGone.then(() => {
      agent.unpipe();
      upstream.close();
      settle({ kind: 'agentGone' });
    });
  });
}
