/**
 * Splits a byte stream into PostgreSQL frames. Incremental: `push(chunk)` returns the frames the
 * chunk completes. Frames are views into the chunk when they lie inside it; only the bytes of a
 * frame split across chunks are copied, into a buffer that grows geometrically, so a frame that
 * arrives in many small chunks costs linear copying, not quadratic (node-postgres' parser.ts
 * `mergeBuffer` does the same). Lengths are checked before anything is buffered, so a peer cannot
 * make us hold more than `maxFrameBytes` (and at most twice what it really sent).
 *
 * Unlike node-postgres, frames outlive `push` (the session queues them behind held statements),
 * so a buffer that frames were handed out from is never written again: the remainder moves to a
 * fresh one.
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

/** The first allocation for a split frame; small frames stay in Node's shared buffer pool. */
const MIN_CAPACITY = 1024;

export class FrameDecoder {
  #maxFrameBytes: number;
  #untyped: boolean;
  /** After a startup-phase frame we stop until the session says what comes next. */
  #stalled = false;
  /** Owned bytes not yet returned as frames: a split frame, or (while stalled) whatever followed. */
  #pending: Buffer | undefined;
  #pendingLength = 0;
  #copiedBytes = 0;

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

  /** Bytes held that are not yet part of a returned frame. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /** Every byte this decoder copied so far (appends and regrowth): linear in the input, by design. */
  get copiedBytes(): number {
    return this.#copiedBytes;
  }

  push(chunk: Buffer): Frame[] {
    if (this.#stalled) {
      this.#append(chunk);
      return [];
    }
    const owned = this.#pendingLength > 0;
    if (owned) this.#append(chunk);
    const buffer = owned ? this.#pending!.subarray(0, this.#pendingLength) : chunk;
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < buffer.length) {
      const header = this.#untyped ? 4 : 5;
      if (buffer.length - offset < header) break;
      const total = this.#frameTotal(buffer, offset);
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
    if (owned) {
      // Nothing completed: the pending buffer stays as it is, and keeps growing.
      if (offset === 0) return frames;
      // Frames are views into it now: never write into it again.
      this.#pending = undefined;
      this.#pendingLength = 0;
    }
    if (offset < buffer.length) this.#append(buffer.subarray(offset));
    return frames;
  }

  /** The whole size of the frame whose header starts at `offset`; throws for a length out of bounds. */
  #frameTotal(buffer: Buffer, offset: number): number {
    const length = buffer.readInt32BE(this.#untyped ? offset : offset + 1);
    const minimum = this.#untyped ? 8 : 4;
    if (length < minimum) {
      throw new ProtocolError('FrameLengthInvalid', `invalid message length ${length} (minimum ${minimum})`);
    }
    if (length > this.#maxFrameBytes) {
      throw new ProtocolError('FrameTooLarge', `message of ${length} bytes exceeds the limit of ${this.#maxFrameBytes}`);
    }
    return (this.#untyped ? 0 : 1) + length;
  }

  #append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const needed = this.#pendingLength + bytes.length;
    if (!this.#pending || needed > this.#pending.length) {
      let capacity = Math.max(this.#pending?.length ?? 0, MIN_CAPACITY);
      while (capacity < needed) capacity *= 2;
      // No more room than the frame being assembled needs, once its header says how much.
      const first = this.#firstFrameTotal(bytes);
      if (first !== undefined) capacity = Math.max(needed, Math.min(capacity, first));
      const grown = Buffer.allocUnsafe(capacity);
      if (this.#pending) {
        this.#pending.copy(grown, 0, 0, this.#pendingLength);
        this.#copiedBytes += this.#pendingLength;
      }
      this.#pending = grown;
    }
    bytes.copy(this.#pending, this.#pendingLength);
    this.#copiedBytes += bytes.length;
    this.#pendingLength = needed;
  }

  /** The declared size of the first pending frame (after `bytes` are appended), when its header is there. */
  #firstFrameTotal(bytes: Buffer): number | undefined {
    const header = this.#untyped ? 4 : 5;
    if (this.#pendingLength + bytes.length < header) return undefined;
    const head = Buffer.alloc(header);
    const fromPending = Math.min(this.#pendingLength, header);
    this.#pending?.copy(head, 0, 0, fromPending);
    bytes.copy(head, fromPending, 0, header - fromPending);
    const length = head.readInt32BE(this.#untyped ? 0 : 1);
    // Out-of-bounds lengths are refused by push; here they only mean "no hint".
    if (length < 4 || length > this.#maxFrameBytes) return undefined;
    return (this.#untyped ? 0 : 1) + length;
  }
}
