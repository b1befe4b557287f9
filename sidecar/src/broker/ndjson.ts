/**
 * Splits an NDJSON byte stream into parsed lines. A chunk is used in place when no partial line is
 * pending; only a split trailing line is kept (copied) until its newline arrives. Empty lines are
 * skipped. A line longer than `maxLineBytes` is refused, so a broken peer cannot grow memory.
 */
import { BrokerError } from './errors.ts';

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;
const NEWLINE = 0x0a;

export class NdjsonLineReader {
  readonly #maxLineBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
  }

  /** The complete lines this chunk ends, parsed. Throws BrokerError (BadResponse) on a line that is not JSON or too long. */
  push(chunk: Buffer): unknown[] {
    const lines: unknown[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      let line = chunk.subarray(start, newline);
      if (this.#pendingBytes > 0) {
        line = Buffer.concat([...this.#pending, line]);
        this.#pending = [];
        this.#pendingBytes = 0;
      }
      this.#checkLength(line.length);
      start = newline + 1;
      const parsed = parseLine(line);
      if (parsed !== undefined) lines.push(parsed);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.#checkLength(this.#pendingBytes + rest.length);
      // Copy: the caller may reuse the chunk's memory once push returns.
      this.#pending.push(Buffer.from(rest));
      this.#pendingBytes += rest.length;
    }
    return lines;
  }

  /** Bytes of an unfinished line: a stream that ends with some was cut off. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  #checkLength(length: number): void {
    if (length > this.#maxLineBytes) {
      throw new BrokerError('BadResponse', `an NDJSON line is longer than ${this.#maxLineBytes} bytes; the broker sent something else`);
    }
  }
}

function parseLine(line: Buffer): unknown {
  const text = line.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BrokerError('BadResponse', `the broker sent a line that is not JSON: ${(error as Error).message}`);
  }
}
