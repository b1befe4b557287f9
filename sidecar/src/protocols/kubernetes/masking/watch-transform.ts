/**
 * Masks a watch stream as it passes: the API server writes one JSON event per line
 * ({"type":"ADDED","object":{...}}\n), and the network splits the stream anywhere. Complete lines
 * are masked and passed on as soon as they arrive; a line with nothing masked goes out as the
 * bytes that came in (runs of them as one slice of the chunk), and only a line split across
 * chunks is copied and held, up to `maxLineBytes`: a bigger event errors the stream rather than
 * buffer without bound.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { type MaskCounts, type MutableCounts, newCounts } from './mask-counts.ts';
import { KubernetesMaskingError } from './masking-error.ts';
import type { ResourceMasker } from './resource-masker.ts';
import { isJsonWhitespaceOnly, maskEventLine } from './watch-event.ts';

const NEWLINE = 0x0a;
const NEWLINE_BYTES = Buffer.from('\n');

export class WatchMaskingTransform extends Transform {
  readonly #masker: ResourceMasker;
  readonly #maxLineBytes: number;
  readonly #counts: MutableCounts = newCounts();
  /** Copies of the start of a line split across chunks. */
  #held: Buffer[] = [];
  #heldBytes = 0;

  constructor(masker: ResourceMasker, maxLineBytes: number) {
    super();
    this.#masker = masker;
    this.#maxLineBytes = maxLineBytes;
  }

  /** Values masked so far, by rule name; final once the stream has ended. */
  get counts(): MaskCounts {
    return this.#counts;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.#consume(chunk);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      // A last event without its newline. A line cut off mid-event does not parse: the stream errors (NotJson).
      if (this.#heldBytes > 0) {
        const line = this.#takeHeld();
        if (!isJsonWhitespaceOnly(line)) this.push(maskEventLine(this.#masker, line, this.#counts) ?? line);
        else this.push(line);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  #consume(chunk: Buffer): void {
    let lineStart = 0;
    // Start of the bytes of this chunk not yet pushed, all of them unchanged lines.
    let unpushed = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, lineStart)) {
      if (this.#heldBytes > 0) {
        this.#checkSize(this.#heldBytes + newline - lineStart);
        this.#hold(chunk.subarray(lineStart, newline));
        const line = this.#takeHeld();
        this.push(maskEventLine(this.#masker, line, this.#counts) ?? line);
        this.push(NEWLINE_BYTES);
        unpushed = newline + 1;
      } else {
        this.#checkSize(newline - lineStart);
        const line = chunk.subarray(lineStart, newline);
        const masked = isJsonWhitespaceOnly(line) ? undefined : maskEventLine(this.#masker, line, this.#counts);
        if (masked !== undefined) {
          if (lineStart > unpushed) this.push(chunk.subarray(unpushed, lineStart));
          this.push(masked);
          this.push(NEWLINE_BYTES);
          unpushed = newline + 1;
        }
      }
      lineStart = newline + 1;
    }
    if (lineStart > unpushed) this.push(chunk.subarray(unpushed, lineStart));
    if (lineStart < chunk.length) {
      this.#checkSize(this.#heldBytes + chunk.length - lineStart);
      // Copied: holding a view would keep the whole chunk alive.
      this.#hold(Buffer.from(chunk.subarray(lineStart)));
    }
  }

  #hold(part: Buffer): void {
    this.#held.push(part);
    this.#heldBytes += part.length;
  }

  #takeHeld(): Buffer {
    const line = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held, this.#heldBytes);
    this.#held = [];
    this.#heldBytes = 0;
    return line;
  }

  #checkSize(lineBytes: number): void {
    if (lineBytes > this.#maxLineBytes)
      throw new KubernetesMaskingError(
        'EventTooLarge',
        `a watch event is larger than ${this.#maxLineBytes} bytes, the most the masker holds; the watch is ended (list with a smaller page or watch fewer objects)`,
      );
  }
}
