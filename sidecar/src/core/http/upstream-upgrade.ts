/**
 * Opens an upgraded connection to the upstream (WebSocket for kubectl exec/attach/port-forward in
 * newer versions, SPDY/3.1 in older ones): a TLS connection of its own, the request head with the
 * sidecar's Authorization, and node's strict parser reading the answer. A 101 hands over the socket,
 * the exact bytes of the response head (captured as they arrive, so the agent gets what the server
 * said, including headers like Sec-WebSocket-Accept) and the bytes that followed the head; any other
 * status hands over the response for the caller to relay.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { UpstreamError, upstreamFailure } from './upstream-error.ts';

export interface UpgradedUpstream {
  readonly upgraded: true;
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  /** the exact response head bytes to pass to the agent */
  readonly rawHead: Buffer;
  readonly socket: Duplex;
  /** bytes already read after the head */
  readonly rest: Buffer;
}

export interface UpgradeRefused {
  readonly upgraded: false;
  /** The server's answer (403, 404, 400...) for the caller to relay; its connection closes after it. */
  readonly response: IncomingMessage;
}

export type UpgradeResult = UpgradedUpstream | UpgradeRefused;

export function openUpgrade(input: {
  readonly server: string;
  readonly options: RequestOptions;
  readonly connectTimeoutMs: number;
}): Promise<UpgradeResult> {
  const { server, options, connectTimeoutMs } = input;
  return new Promise<UpgradeResult>((resolve, reject) => {
    let settled = false;
    let connected = false;
    let timer: NodeJS.Timeout | undefined;
    const received: Buffer[] = [];
    const capture = (chunk: Buffer): void => {
      received.push(chunk);
    };
    let req: ReturnType<typeof httpsRequest>;
    try {
      req = httpsRequest(options);
    } catch (error) {
      reject(
        new UpstreamError('UpstreamInvalidRequest', `the upgrade request to ${server} cannot be sent: ${(error as Error).message}`, {
          cause: error,
        }),
      );
      return;
    }
    const settle = (): void => {
      settled = true;
      clearTimeout(timer);
      req.socket?.off('data', capture);
    };
    req.once('socket', (socket) => {
      // Ahead of node's parser, so the chunk that completes the head is captured before 'upgrade' fires.
      socket.prependListener('data', capture);
      timer = setTimeout(() => {
        req.destroy(
          new UpstreamError(
            'UpstreamUnavailable',
            `cannot reach ${server}: no TLS connection within ${connectTimeoutMs} ms (limits.upstreamConnectTimeoutMs)`,
          ),
        );
      }, connectTimeoutMs);
      socket.once('secureConnect', () => {
        connected = true;
        clearTimeout(timer);
      });
    });
    req.once('upgrade', (response: IncomingMessage, socket: Duplex, rest: Buffer) => {
      settle();
      // Nothing reads the socket until the tunnel pipes it; paused, no byte is lost meanwhile.
      socket.pause();
      const all = Buffer.concat(received);
      resolve({
        upgraded: true,
        statusCode: response.statusCode ?? 101,
        headers: response.headers,
        rawHead: all.subarray(0, all.length - rest.length),
        socket,
        rest,
      });
    });
    req.once('response', (response: IncomingMessage) => {
      settle();
      resolve({ upgraded: false, response });
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (settled) return;
      settle();
      reject(upstreamFailure(server, error, { connected, aborted: options.signal?.aborted === true }));
    });
    req.end();
  });
}
