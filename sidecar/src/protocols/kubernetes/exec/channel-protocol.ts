/**
 * Which stream protocol an upgraded exec or attach speaks, from the API server's 101 answer, and
 * how one of its WebSocket messages reads as a channel and its bytes.
 *
 * kubectl (1.29 and later) asks for a WebSocket with the subprotocols `v5.channel.k8s.io`,
 * `v4.channel.k8s.io`, ... and the server names the one it chose in `Sec-WebSocket-Protocol`. In
 * the binary ones each message's first byte is the channel (0 stdin, 1 stdout, 2 stderr, 3 error,
 * 4 resize; v5 adds 255, "close channel N"); in `base64.channel.k8s.io` (browsers' text-only
 * clients) a message is the channel as an ASCII digit, then the bytes as base64. From v4 on the
 * error channel carries a JSON metav1.Status with the exit code; before, a plain message.
 *
 * SPDY/3.1 (what kubectl falls back to, and older clients use) multiplexes its streams with
 * compressed headers; it is not decoded here, so such a stream is counted, not recorded, and so is
 * a WebSocket whose subprotocol is none of these.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocketMessage } from './websocket-frames.ts';

export type ChannelProtocol =
  | {
      readonly kind: 'channels';
      /** The subprotocol the server chose, as it wrote it. */
      readonly name: string;
      readonly encoding: 'binary' | 'base64';
      /** The error channel carries a JSON Status (v4 and later), not a plain message. */
      readonly statusErrors: boolean;
    }
  | { readonly kind: 'unrecorded'; readonly reason: string };

const CHANNEL_PROTOCOLS: Readonly<Record<string, { readonly encoding: 'binary' | 'base64'; readonly statusErrors: boolean }>> = {
  'v5.channel.k8s.io': { encoding: 'binary', statusErrors: true },
  'v4.channel.k8s.io': { encoding: 'binary', statusErrors: true },
  'v4.base64.channel.k8s.io': { encoding: 'base64', statusErrors: true },
  'v3.channel.k8s.io': { encoding: 'binary', statusErrors: false },
  'v2.channel.k8s.io': { encoding: 'binary', statusErrors: false },
  'channel.k8s.io': { encoding: 'binary', statusErrors: false },
  'base64.channel.k8s.io': { encoding: 'base64', statusErrors: false },
};

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5: "the peer closed channel N" (N the next byte); kubectl sends it when its stdin ends. */
export const CLOSE = 255;

/** The protocol of a 101 answer's headers. */
export function channelProtocolOf(headers: IncomingHttpHeaders): ChannelProtocol {
  const upgrade = String(headers.upgrade ?? '').trim();
  if (upgrade.toLowerCase() !== 'websocket') {
    return { kind: 'unrecorded', reason: `the stream is ${upgrade || 'not a WebSocket'}, whose frames are not decoded` };
  }
  const name = String(headers['sec-websocket-protocol'] ?? '').trim();
  const known = CHANNEL_PROTOCOLS[name];
  if (known === undefined) {
    return { kind: 'unrecorded', reason: `the WebSocket subprotocol ${JSON.stringify(name)} is not a Kubernetes channel protocol` };
  }
  return { kind: 'channels', name, ...known };
}

export interface ChannelMessage {
  readonly channel: number;
  readonly data: Buffer;
}

/** The channel and bytes of a data message; undefined when it carries none (an empty message, a base64 one that is not). */
export function channelMessage(
  protocol: Extract<ChannelProtocol, { kind: 'channels' }>,
  message: WebSocketMessage,
): ChannelMessage | undefined {
  if (message.type !== 'data' || message.payload.length === 0) return undefined;
  const first = message.payload[0] ?? 0;
  if (protocol.encoding === 'binary') return { channel: first, data: message.payload.subarray(1) };
  const channel = first - 0x30;
  if (channel < 0 || channel > 9) return undefined;
  return { channel, data: Buffer.from(message.payload.subarray(1).toString('latin1'), 'base64') };
}

/** The channel of a message too large to keep, from its first byte(s); undefined when they say none. */
export function oversizedChannel(protocol: Extract<ChannelProtocol, { kind: 'channels' }>, head: Buffer): number | undefined {
  const first = head[0];
  if (first === undefined) return undefined;
  if (protocol.encoding === 'binary') return first;
  const channel = first - 0x30;
  return channel >= 0 && channel <= 9 ? channel : undefined;
}

/** Bytes of stream data in a message of `size` bytes that was not kept: without the channel byte, base64 decoded. */
export function oversizedDataBytes(protocol: Extract<ChannelProtocol, { kind: 'channels' }>, size: number): number {
  const encoded = Math.max(0, size - 1);
  return protocol.encoding === 'binary' ? encoded : Math.floor((encoded * 3) / 4);
}
