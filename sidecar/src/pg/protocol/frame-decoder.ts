/**
 * Splits a byte stream into PostgreSQL frames. Incremental: `push(chunk)` returns the frames the
 * chunk completes. Frames are views into the chunk when they lie inside it; only a frame split
 * across chunks is copied (as node-postgres' parser does). Lengths are checked before anything is
 * buffered, so a peer cannot make us hold more than `maxFrameBytes`.
 */
import { ProtocolError } from './errors.ts';

export interface Frame {
  /** The type byte, or 0 for an untyped startup-phase frame (StartupMessage, SSLRequest, ...). */
  code: number;
  /** The bytes after the header. */
  payload: Buffer;
  /** The whole frame as received, for forwarding without re-encoding. */
  raw: Buffer;
}

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

export class FrameDecoder {
  #maxFrameBytes: number;
  #untyped: boolean;
  /** After a startup-phase frame we stop until the session says what comes next. */
  #stalled = false;
  #pending: Buffer | undefined;

  /**
   * @param untyped start in the startup phase, where frames have no type byte (agent side only).
   */
  constructor(options: { maxFrameBytes?: number; untyped?: boolean } = {}) {
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#untyped = options.untyped ?? false;
  }

  /** After the startup message, frames carry a type byte. Call `drain()` for what is buffered. */
  expectTyped(): void {
    this.#untyped = false;
    this.#stalled = false;
  }

  /** The agent sent SSLRequest or GSSENCRequest and was told no: its next frame is untyped again. */
  expectUntyped(): void {
    this.#untyped = true;
    this.#stalled = false;
  }

  /** Changes the frame size limit for what is decoded from now on (the startup phase uses a small one). */
  setMaxFrameBytes(maxFrameBytes: number): void {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Frames already buffered, after `expectTyped` or `expectUntyped`. */
  drain(): Frame[] {
    return this.push(Buffer.alloc(0));
  }

  get buffered(): number {
    return this.#pending?.length ?? 0;
  }

  push(chunk: Buffer): Frame[] {
    let buffer = chunk;
    if (this.#stalled) {
      this.#pending = this.#pending ? Buffer.concat([this.#pending, chunk]) : Buffer.from(chunk);
      return [];
    }
    if (this.#pending) {
      buffer = Buffer.concat([this.#pending, chunk], this.#pending.length + chunk.length);
      this.#pending = undefined;
    }
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < buffer.length) {
      const header = this.#untyped ? 4 : 5;
      if (buffer.length - offset < header) break;
      const lengthAt = this.#untyped ? offset : offset + 1;
      const length = buffer.readInt32BE(lengthAt);
      const minimum = this.#untyped ? 8 : 4;
      if (length < minimum) {
        throw new ProtocolError('FrameLengthInvalid', `invalid message length ${length} (minimum ${minimum})`);
      }
      if (length > this.#maxFrameBytes) {
        throw new ProtocolError('FrameTooLarge', `message of ${length} bytes exceeds the limit of ${this.#maxFrameBytes}`);
      }
      const total = (this.#untyped ? 0 : 1) + length;
      if (buffer.length - offset < total) break;
      const raw = buffer.subarray(offset, offset + total);
      frames.push({ code: this.#untyped ? 0 : raw[0]!, payload: raw.subarray(header), raw });
      offset += total;
      if (this.#untyped) {
        // What follows depends on how the session answers this frame.
        this.#stalled = true;
        break;
      }
    }
    if (offset < buffer.length) this.#pending = Buffer.from(buffer.subarray(offset));
    return frames;
  }
}
