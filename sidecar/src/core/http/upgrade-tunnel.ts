/**
 * After the upstream answered 101, the agent's connection and the upstream's carry WebSocket or
 * SPDY frames both ways until one side is done. The sidecar does not parse them here; `taps` see
 * every chunk as it passes (a recorder, a frame decoder that decides on exec input), without
 * changing or delaying it. Backpressure both ways (pipe), and the two sockets live and die
 * together: what one side still had in flight is delivered, then both are destroyed.
 */
import type { Duplex } from 'node:stream';
import type { UpgradedUpstream } from './upstream-upgrade.ts';

export interface TunnelResult {
  /** Tunnel bytes the agent sent (after its request head, `agentHead` included). */
  readonly bytesFromAgent: number;
  /** Tunnel bytes sent to the agent (after the response head, `rest` included). */
  readonly bytesToAgent: number;
  /** agent-ended, upstream-ended, agent-closed, upstream-closed, agent-error or upstream-error. */
  readonly reason: string;
}

export interface TunnelTaps {
  readonly fromAgent?: (chunk: Buffer) => void;
  readonly toAgent?: (chunk: Buffer) => void;
}

/**
 * Writes rawHead and rest to the agent, `agentHead` (bytes the agent sent after its request head)
 * upstream, then pipes both ways with backpressure until either side ends; `taps` see every chunk
 * (for recording) without changing it; both sockets are destroyed together at the end.
 */
export function tunnel(agent: Duplex, agentHead: Buffer, upstream: UpgradedUpstream, taps: TunnelTaps = {}): Promise<TunnelResult> {
  const remote = upstream.socket;
  let bytesFromAgent = 0;
  let bytesToAgent = 0;
  return new Promise<TunnelResult>((resolve) => {
    let done = false;
    const finish = (reason: string): void => {
      if (done) return;
      done = true;
      agent.destroy();
      remote.destroy();
      resolve({ bytesFromAgent, bytesToAgent, reason });
    };
    const fromAgent = (chunk: Buffer): void => {
      bytesFromAgent += chunk.length;
      taps.fromAgent?.(chunk);
    };
    const toAgent = (chunk: Buffer): void => {
      bytesToAgent += chunk.length;
      taps.toAgent?.(chunk);
    };
    agent.on('error', () => finish('agent-error'));
    remote.on('error', () => finish('upstream-error'));
    agent.once('close', () => finish('agent-closed'));
    remote.once('close', () => finish('upstream-closed'));
    // One side ended: pipe ends the other's writable side; once that is flushed, the tunnel is over.
    agent.once('end', () => remote.once('finish', () => finish('agent-ended')));
    remote.once('end', () => agent.once('finish', () => finish('upstream-ended')));

    agent.write(upstream.rawHead);
    if (upstream.rest.length > 0) {
      toAgent(upstream.rest);
      agent.write(upstream.rest);
    }
    if (agentHead.length > 0) {
      fromAgent(agentHead);
      remote.write(agentHead);
    }
    agent.on('data', fromAgent);
    remote.on('data', toAgent);
    agent.pipe(remote);
    remote.pipe(agent);
    agent.resume();
    remote.resume();
  });
}
