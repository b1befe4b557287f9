/**
 * An incremental RFC 6455 frame reader for recording what passes through an exec or attach tunnel.
 * The tunnel forwards the bytes itself (core/http/upgrade-tunnel.ts); this reader only watches a
 * copy of each chunk and turns it into messages: data messages reassembled from their fragments
 * (continuation frames) and unmasked (client frames are masked, RFC 6455 §5.3), control frames
 * (close, ping, pong) as they come, even between the fragments of a message.
 *
 * Bytes in any split, messages out (`push(chunk)`), as node-postgres's parser does: a payload that
 * arrives whole in one chunk is used in place (a subarray, unless it must be unmasked); only a split
 * header is copied. Nothing here can affect the tunnel: a message larger than `maxMessageBytes` is
 * skipped (its size and first bytes reported, its payload never held), and a frame RFC 6455 does not
 * allow (RSV bits of an extension nobody negotiated, a reserved opcode, a fragmented control frame, a
 * continuation of nothing) stops decoding for good: the reader says why and counts what it did not
 * decode, and the recording counts those bytes as unrecorded.
 */

export type DataOpcode = 'text' | 'binary';
export type ControlOpcode = 'close' | 'ping' | 'pong';

export type WebSocketMessage =
  /** A whole data message, unmasked, its fragments joined. */
  | { readonly type: 'data'; readonly opcode: DataOpcode; readonly payload: Buffer }
  /** A data message larger than the bound: only its size and first bytes (unmasked). */
  | { readonly type: 'oversized'; readonly opcode: DataOpcode; readonly size: number; readonly head: Buffer }
  | { readonly type: 'control'; readonly opcode: ControlOpcode; readonly payload: Buffer };

export interface WebSocketReaderOptions {
  /** Largest data message kept whole; larger ones are reported as `oversized`. */
  readonly maxMessageBytes: number;
}

/** How many first bytes of an oversized message are kept: enough for a channel byte (or digit). */
export const OVERSIZED_HEAD_BYTES = 4;

/** Longest frame header: 2 bytes, an 8-byte length, a 4-byte mask. */
const MAX_HEADER_BYTES = 14;
/** RFC 6455 §5.5: control frames carry at most 125 bytes and are never fragmented. */
const MAX_CONTROL_PAYLOAD = 125;

const OPCODES: Readonly<Record<number, DataOpcode | ControlOpcode | 'continuation'>> = {
  0: 'continuation',
  1: 'text',
  2: 'binary',
  8: 'close',
  9: 'ping',
  10: 'pong',
};

interface FrameHeader {
  readonly fin: boolean;
  readonly opcode: DataOpcode | ControlOpcode | 'continuation';
  readonly length: number;
  readonly mask: Buffer | undefined;
  readonly headerLength: number;
}

interface OpenFrame {
  readonly header: FrameHeader;
  /** Payload bytes of this frame read so far (the mask's position). */
  read: number;
  /** A control frame's payload parts. */
  readonly parts: Buffer[];
}

interface OpenMessage {
  readonly opcode: DataOpcode;
  readonly parts: Buffer[];
  size: number;
  oversized: boolean;
  head: Buffer;
}

export class WebSocketFrameReader {
  readonly #maxMessageBytes: number;
  /** Header bytes of a frame split between chunks (a copy). */
  #pending: Buffer = Buffer.alloc(0);
  #frame: OpenFrame | undefined;
  #message: OpenMessage | undefined;
  #stopped: string | undefined;
  #undecoded = 0;

  constructor(options: WebSocketReaderOptions) {
    this.#maxMessageBytes = Math.max(0, Math.floor(options.maxMessageBytes));
  }

  /** Why decoding stopped (a frame RFC 6455 does not allow); undefined while it goes on. */
  get stopped(): string | undefined {
    return this.#stopped;
  }

  /** Bytes pushed that were not decoded because decoding stopped (from the frame that broke it on). */
  get undecodedBytes(): number {
    return this.#undecoded;
  }

  /** Reads a chunk (never changed, never kept beyond the messages that are subarrays of it); the messages it completed, in order. */
  push(chunk: Buffer): WebSocketMessage[] {
    const messages: WebSocketMessage[] = [];
    if (this.#stopped !== undefined) {
      this.#undecoded += chunk.length;
      return messages;
    }
    let data = chunk;
    while (data.length > 0) {
      if (this.#frame === undefined) {
        const bytes = this.#pending.length > 0 ? Buffer.concat([this.#pending, data.subarray(0, MAX_HEADER_BYTES)]) : data;
        const header = readHeader(bytes);
        if (header === undefined) {
          // A header split between chunks: the few bytes so far are copied, the chunk is not kept.
          this.#pending = Buffer.from(bytes.subarray(0, MAX_HEADER_BYTES));
          return messages;
        }
        const refusal = typeof header === 'string' ? header : this.#refusal(header);
        if (typeof header === 'string' || refusal !== undefined) {
          this.#stop(refusal ?? 'an invalid frame', this.#pending.length + data.length);
          return messages;
        }
        data = data.subarray(header.headerLength - this.#pending.length);
        this.#pending = Buffer.alloc(0);
        this.#frame = { header, read: 0, parts: [] };
        this.#startFrame(header);
      } else {
        const frame = this.#frame;
        const part = data.subarray(0, frame.header.length - frame.read);
        data = data.subarray(part.length);
        this.#payload(frame, part);
      }
      const frame = this.#frame;
      if (frame !== undefined && frame.read === frame.header.length) {
        this.#frame = undefined;
        const done = this.#endFrame(frame);
        if (done) messages.push(done);
      }
    }
    return messages;
  }

  /** Why a well-formed header cannot come here, given the message in progress. */
  #refusal(header: FrameHeader): string | undefined {
    const control = header.opcode === 'close' || header.opcode === 'ping' || header.opcode === 'pong';
    if (control && !header.fin) return `a fragmented ${header.opcode} frame (control frames are never fragmented)`;
    if (control && header.length > MAX_CONTROL_PAYLOAD) return `a ${header.opcode} frame of ${header.length} bytes (at most 125)`;
    if (header.opcode === 'continuation' && this.#message === undefined) return 'a continuation frame with no message to continue';
    if ((header.opcode === 'text' || header.opcode === 'binary') && this.#message !== undefined) {
      return `a new ${header.opcode} message before the previous one's final fragment`;
    }
    return undefined;
  }

  #startFrame(header: FrameHeader): void {
    if (header.opcode === 'text' || header.opcode === 'binary') {
      this.#message = { opcode: header.opcode, parts: [], size: 0, oversized: false, head: Buffer.alloc(0) };
    }
    const message = this.#message;
    if ((header.opcode === 'text' || header.opcode === 'binary' || header.opcode === 'continuation') && message !== undefined) {
      message.size += header.length;
      if (!message.oversized && message.size > this.#maxMessageBytes) {
        // From here on only the size counts: what was kept goes, what comes is skipped.
        message.oversized = true;
        message.parts.length = 0;
      }
    }
  }

  #payload(frame: OpenFrame, part: Buffer): void {
    const { header } = frame;
    const at = frame.read;
    frame.read += part.length;
    if (header.opcode !== 'text' && header.opcode !== 'binary' && header.opcode !== 'continuation') {
      frame.parts.push(unmasked(part, header.mask, at));
      return;
    }
    const message = this.#message;
    if (message === undefined) return;
    if (message.head.length < OVERSIZED_HEAD_BYTES) {
      const first = unmasked(part.subarray(0, OVERSIZED_HEAD_BYTES - message.head.length), header.mask, at);
      message.head = Buffer.concat([message.head, first]);
    }
    if (!message.oversized) message.parts.push(unmasked(part, header.mask, at));
  }

  #endFrame(frame: OpenFrame): WebSocketMessage | undefined {
    const { header } = frame;
    if (header.opcode === 'close' || header.opcode === 'ping' || header.opcode === 'pong') {
      return { type: 'control', opcode: header.opcode, payload: joined(frame.parts) };
    }
    const message = this.#message;
    if (!header.fin || message === undefined) return undefined;
    this.#message = undefined;
    if (message.oversized) return { type: 'oversized', opcode: message.opcode, size: message.size, head: message.head };
    return { type: 'data', opcode: message.opcode, payload: joined(message.parts) };
  }

  #stop(reason: string, undecoded: number): void {
    this.#stopped = reason;
    this.#undecoded += undecoded;
    this.#pending = Buffer.alloc(0);
    this.#frame = undefined;
    this.#message = undefined;
  }
}

/** The header at the start of `bytes`; undefined when more bytes are needed; a string when no frame may look like this. */
function readHeader(bytes: Buffer): FrameHeader | string | undefined {
  if (bytes.length < 2) return undefined;
  const first = bytes[0] ?? 0;
  const second = bytes[1] ?? 0;
  if ((first & 0x70) !== 0) return 'a frame with RSV bits set (an extension such as permessage-deflate, which no exec protocol negotiates)';
  const opcode = OPCODES[first & 0x0f];
  if (opcode === undefined) return `a frame with the reserved opcode 0x${(first & 0x0f).toString(16)}`;
  const masked = (second & 0x80) !== 0;
  const short = second & 0x7f;
  const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0;
  const headerLength = 2 + lengthBytes + (masked ? 4 : 0);
  if (bytes.length < headerLength) return undefined;
  let length = short;
  if (short === 126) length = bytes.readUInt16BE(2);
  if (short === 127) {
    const long = bytes.readBigUInt64BE(2);
    if (long > BigInt(Number.MAX_SAFE_INTEGER)) return `a frame length of ${long} bytes (the most significant bit must be 0)`;
    length = Number(long);
  }
  const mask = masked ? bytes.subarray(2 + lengthBytes, headerLength) : undefined;
  // The mask may point into a header copy or the caller's chunk; it is copied so it outlives neither.
  return { fin: (first & 0x80) !== 0, opcode, length, mask: mask && Buffer.from(mask), headerLength };
}

/** The payload part as sent by the peer: unmasked into a copy when masked, the part itself when not. */
function unmasked(part: Buffer, mask: Buffer | undefined, at: number): Buffer {
  if (mask === undefined) return part;
  const out = Buffer.allocUnsafe(part.length);
  for (let i = 0; i < part.length; i++) out[i] = (part[i] ?? 0) ^ (mask[(at + i) & 3] ?? 0);
  return out;
}

function joined(parts: readonly Buffer[]): Buffer {
  if (parts.length === 1) return parts[0] ?? Buffer.alloc(0);
  return Buffer.concat(parts);
}
