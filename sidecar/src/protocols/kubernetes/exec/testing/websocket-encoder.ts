/**
 * A tiny RFC 6455 frame writer for tests, written from the RFC and not from the reader under test:
 * the fixtures of the frame reader's and the exec recording's tests, and the frames the fake exec
 * upstream sends. It can write what a peer may legally send (any length form, masked or not,
 * fragments) and what it may not (RSV bits, reserved opcodes), so tests can check both.
 */

export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameOptions {
  readonly opcode: number;
  readonly payload: Buffer | string;
  /** Final fragment (default true). */
  readonly fin?: boolean;
  /** A 4-byte masking key: the frame is masked with it (client to server frames always are). */
  readonly mask?: Buffer;
  /** Force a length form: 7 (up to 125), 16 or 64 bits; by default the shortest. */
  readonly lengthBits?: 7 | 16 | 64;
  /** RSV1..3 as bits 0x40, 0x20, 0x10 of the first byte. */
  readonly rsv?: number;
}

export function encodeFrame(options: FrameOptions): Buffer {
  const payload = typeof options.payload === 'string' ? Buffer.from(options.payload) : options.payload;
  const bits = options.lengthBits ?? (payload.length <= 125 ? 7 : payload.length <= 0xffff ? 16 : 64);
  const first = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv ?? 0) | options.opcode;
  const maskBit = options.mask ? 0x80 : 0;
  let header: Buffer;
  if (bits === 7) {
    header = Buffer.from([first, maskBit | payload.length]);
  } else if (bits === 16) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  if (!options.mask) return Buffer.concat([header, payload]);
  const masked = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = (payload[i] ?? 0) ^ (options.mask[i % 4] ?? 0);
  return Buffer.concat([header, options.mask, masked]);
}

/** A Kubernetes channel message in one binary frame: the channel byte, then the data. */
export function channelFrame(channel: number, data: Buffer | string, mask?: Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return encodeFrame({ opcode: OPCODE.binary, payload: Buffer.concat([Buffer.from([channel]), bytes]), ...(mask ? { mask } : {}) });
}

/** base64.channel.k8s.io: a text frame of the channel digit and the data as base64. */
export function base64ChannelFrame(channel: number, data: Buffer | string, mask?: Buffer): Buffer {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  return encodeFrame({ opcode: OPCODE.text, payload: `${channel}${bytes.toString('base64')}`, ...(mask ? { mask } : {}) });
}

/** A masking key that is not all zeros, so masking shows. */
export const TEST_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

/** metav1.Status on channel 3 as the kubelet sends it: Success, or Failure with the exit code. */
export function exitStatusJson(code: number): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: 'Success' });
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [sh -c exit ${code}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}
