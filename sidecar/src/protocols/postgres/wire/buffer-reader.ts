/** Bounds-checked reads from one message payload. Every read past the end throws MessageTruncated. */
import { isUtf8 } from 'node:buffer';
import { ProtocolError } from './errors.ts';

export class BufferReader {
  readonly #buffer: Buffer;
  readonly #what: string;
  #offset = 0;

  constructor(buffer: Buffer, what: string) {
    this.#buffer = buffer;
    this.#what = what;
  }

  get remaining(): number {
    return this.#buffer.length - this.#offset;
  }

  #need(bytes: number): void {
    if (bytes < 0 || this.#offset + bytes > this.#buffer.length) {
      throw new ProtocolError(
        'MessageTruncated',
        `${this.#what}: message ends early (needs ${bytes} more bytes at offset ${this.#offset})`,
      );
    }
  }

  byte(): number {
    this.#need(1);
    return this.#buffer[this.#offset++]!;
  }

  int16(): number {
    this.#need(2);
    const value = this.#buffer.readInt16BE(this.#offset);
    this.#offset += 2;
    return value;
  }

  int32(): number {
    this.#need(4);
    const value = this.#buffer.readInt32BE(this.#offset);
    this.#offset += 4;
    return value;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.#buffer.indexOf(0, this.#offset);
    if (end === -1)
      throw new ProtocolError('MessageTruncated', `${this.#what}: string without its terminating NUL at offset ${this.#offset}`);
    const value = this.#buffer.toString('utf8', this.#offset, end);
    this.#offset = end + 1;
    return value;
  }

  /**
   * A NUL-terminated string, and whether its bytes are valid UTF-8. Node decodes invalid bytes as
   * U+FFFD, so the text alone cannot tell a replacement character that was sent from one that
   * stands for bytes the server would read differently.
   */
  checkedCstring(): { readonly text: string; readonly utf8: boolean } {
    const end = this.#buffer.indexOf(0, this.#offset);
    const utf8 = end === -1 || isUtf8(this.#buffer.subarray(this.#offset, end));
    return { text: this.cstring(), utf8 };
  }

  /** A view of the next `length` bytes (no copy). */
  bytes(length: number): Buffer {
    this.#need(length);
    const value = this.#buffer.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return value;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** Messages must be used up exactly; trailing bytes mean a client we do not understand. */
  end(): void {
    if (this.remaining !== 0) throw new ProtocolError('MessageMalformed', `${this.#what}: ${this.remaining} unexpected trailing bytes`);
  }
}
