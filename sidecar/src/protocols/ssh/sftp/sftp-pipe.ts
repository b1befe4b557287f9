/**
 * Joins an agent's sftp channel to the host's through the filter (sftp-filter.ts): each direction
 * is cut into whole packets (sftp-framer.ts), so the host never receives part of a packet and a
 * packet is forwarded only once decided. Whatever the filter cannot read closes both channels,
 * with the reason on the agent's stderr (which OpenSSH's sftp and scp print).
 *
 * Agent to host runs one chunk at a time, the agent's channel paused meanwhile: the packets of a
 * chunk are decided, then the records of the decisions among them are stored (Recording Block:
 * one wait for the burst, ADR 0012), then they are forwarded or answered in order. Both ways wait
 * for the receiving channel to drain, so a peer that does not read stops its sender, and the
 * sidecar holds no more than a packet and the channels' windows.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import type { HostExit, UpstreamChannel } from '../backend/upstream-link.ts';
import { agentLines, EXIT_STATUS } from '../session/agent-messages.ts';
import { SftpProtocolError } from './sftp-error.ts';
import type { SftpFilter } from './sftp-filter.ts';
import { SftpFramer } from './sftp-framer.ts';
import { MAX_SFTP_PACKET } from './sftp-protocol.ts';

export interface SftpPipeHooks {
  bytesIn(count: number): void;
  bytesOut(count: number): void;
  /** Resolves once everything recorded so far is stored, rejects when it cannot be; undefined: nothing to wait for. */
  beforeForward(): Promise<void> | undefined;
  /** Resolves when the agent closed the channel or its connection went away. */
  readonly agentGone: Promise<void>;
}

export type SftpPipeOutcome =
  | { readonly kind: 'ended'; readonly exit: HostExit }
  | { readonly kind: 'agentGone' }
  /** The sidecar closed the channel: `code` is SftpProtocolError's, or StoreUnavailable. */
  | { readonly kind: 'closed'; readonly code: string; readonly message: string };

/** Resolves when `stream` drained, or as soon as `stop` does. */
function drained(stream: Writable, stop: Promise<void>): Promise<void> {
  // An error ends the wait too: the channel's close, which follows, settles the pipe.
  return Promise.race([
    once(stream, 'drain').then(
      () => undefined,
      () => undefined,
    ),
    stop,
  ]);
}

/** Resolves once everything written to `stream` so far was handed to ssh2, or when `stop` does. */
function flushed(stream: Writable, stop: Promise<void>): Promise<void> {
  if (stream.writableEnded || stream.destroyed) return Promise.resolve();
  return Promise.race([new Promise<void>((resolve) => stream.write(Buffer.alloc(0), () => resolve())), stop]);
}

export function pipeSftp(agent: ServerChannel, host: UpstreamChannel, filter: SftpFilter, hooks: SftpPipeHooks): Promise<SftpPipeOutcome> {
  const upstream = host.channel;
  return new Promise<SftpPipeOutcome>((resolve) => {
    let settled = false;
    let stopped!: () => void;
    const stop = new Promise<void>((resolveStop) => (stopped = resolveStop));
    const settle = (outcome: SftpPipeOutcome): void => {
      if (settled) return;
      settled = true;
      stopped();
      resolve(outcome);
    };
    for (const stream of [agent, agent.stderr, upstream, upstream.stderr]) stream.on('error', () => undefined);

    const close = (code: string, message: string): void => {
      if (settled) return;
      settle({ kind: 'closed', code, message });
      agent.pause();
      upstream.close();
      agent.stderr.write(agentLines([`the SFTP session was closed: ${message}`], false), () => {
        try {
          agent.exit(EXIT_STATUS.denied);
          agent.end();
        } catch {
          // The agent's channel is gone already: there is nobody to tell.
        }
      });
    };
    const closeOn = (error: unknown): void => {
      if (error instanceof SftpProtocolError) close(error.code, error.message);
      else close('SftpFailed', `the SFTP filter failed: ${(error as Error).message}`);
    };

    const fromAgent = new SftpFramer(MAX_SFTP_PACKET);
    const fromHost = new SftpFramer(MAX_SFTP_PACKET);

    const agentChunk = async (chunk: Buffer): Promise<void> => {
      const verdicts = fromAgent.push(chunk).map((packet) => filter.fromAgent(packet));
      if (verdicts.some((verdict) => verdict.kind === 'forward' && verdict.decided)) {
        try {
          await hooks.beforeForward();
        } catch (error) {
          close('StoreUnavailable', `the session's records cannot be stored, so nothing more is sent: ${(error as Error).message}`);
          return;
        }
      }
      for (const verdict of verdicts) {
        if (settled) return;
        if (verdict.kind === 'forward') {
          if (!upstream.write(verdict.packet)) await drained(upstream, stop);
        } else {
          agent.stderr.write(agentLines([verdict.sentence], false));
          // The agent may send refused requests without reading the answers: they wait for its window, not in memory.
          if (!agent.write(verdict.reply)) await drained(agent, stop);
        }
      }
    };
    let queue = Promise.resolve();
    agent.on('data', (chunk: Buffer) => {
      hooks.bytesIn(chunk.length);
      agent.pause();
      queue = queue
        .then(() => (settled ? undefined : agentChunk(chunk)))
        .then(() => {
          if (!settled) agent.resume();
        }, closeOn);
    });
    agent.on('end', () => {
      queue = queue.then(() => {
        if (settled) return;
        if (fromAgent.pending > 0)
          close('SftpMalformed', `the agent ended its stream inside a packet (${fromAgent.pending} bytes were not sent)`);
        else upstream.end();
      });
    });

    upstream.on('data', (chunk: Buffer) => {
      hooks.bytesOut(chunk.length);
      if (settled) return;
      let packets: Buffer[];
      try {
        packets = fromHost.push(chunk).map((packet) => filter.fromHost(packet));
      } catch (error) {
        closeOn(error);
        return;
      }
      let room = true;
      for (const packet of packets) room = agent.write(packet) && room;
      if (!room) {
        upstream.pause();
        void drained(agent, stop).then(() => upstream.resume());
      }
    });
    upstream.stderr.on('data', (chunk: Buffer) => hooks.bytesOut(chunk.length));
    upstream.stderr.pipe(agent.stderr, { end: false });

    const stderrEnded = upstream.stderr.readableEnded ? Promise.resolve() : once(upstream.stderr, 'end').then(() => undefined);
    upstream.once('close', () => {
      void (async () => {
        if (settled) return;
        await Promise.race([stderrEnded, hooks.agentGone, stop]);
        await Promise.all([flushed(agent, hooks.agentGone), flushed(agent.stderr, hooks.agentGone)]);
        const exit = host.exit();
        if (!settled) {
          if (exit.code !== undefined) agent.exit(exit.code);
          agent.end();
        }
        settle({ kind: 'ended', exit });
      })();
    });
    void hooks.agentGone.then(() => {
      if (!settled) upstream.close();
      settle({ kind: 'agentGone' });
    });
  });
}
