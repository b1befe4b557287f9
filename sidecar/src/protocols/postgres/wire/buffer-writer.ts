/**
 * Builds one message: reserves the type byte and length, appends fields, and fills the header in
 * `message()`, like node-postgres' writer. Grows by doubling.
 */
export class BufferWriter {
  #buffer: Buffer;
  #offset: number;
  readonly #headerSize: number;
  readonly #code: number | null;

  /** `code` is the message type byte; null for the untyped startup-phase messages. */
  constructor(code: number | null, initial = 256) {
    this.#code = code;
    this.#headerSize = code === null ? 4 : 5;
    this.#buffer = Buffer.allocUnsafe(Math.max(initial, this.#headerSize));
    this.#offset = this.#headerSize;
  }

  #ensure(bytes: number): void {
    if (this.#offset + bytes <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#offset + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.#buffer.copy(next, 0, 0, this.#offset);
    this.#buffer = next;
  }

  byte(value: number): this {
    this.#ensure(1);
    this.#buffer[this.#offset++] = value;
    return this;
  }

  int16(value: number): this {
    this.#ensure(2);
    this.#offset = this.#buffer.writeInt16BE(value, this.#offset);
    return this;
  }

  int32(value: number): this {
    this.#ensure(4);
    this.#offset = this.#buffer.writeInt32BE(value, this.#offset);
    return this;
  }

  cstring(value: string): this {
    const length = Buffer.byteLength(value, 'utf8');
    this.#ensure(length + 1);
    this.#offset += this.#buffer.write(value, this.#offset, 'utf8');
    this.#buffer[this.#offset++] = 0;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.#ensure(value.length);
    this.#buffer.set(value, this.#offset);
    this.#offset += value.length;
    return this;
  }

  /** The finished message: header filled in, trimmed to size. */
  message(): Buffer {
    const out = this.#buffer.subarray(0, this.#offset);
    if (this.#code === null) {
      out.writeInt32BE(this.#offset, 0);
    } else {
      out[0] = this.#code;
      out.writeInt32BE(this.#offset - 1, 1);
    }
    return out;
  }
}
