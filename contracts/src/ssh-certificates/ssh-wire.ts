/**
 * The SSH wire encoding (RFC 4251 §5) that keys, certificates and signatures are made of: uint32,
 * uint64, string (length-prefixed bytes), mpint and name-lists. Writers return bytes; the reader
 * refuses anything cut short or longer than it says, so a parsed structure is exactly its bytes.
 */
import { SshKeyError } from './errors.ts';

export function sshUint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

export function sshUint64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(value);
  return bytes;
}

export function sshString(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return Buffer.concat([sshUint32(bytes.length), bytes]);
}

/** A non-negative integer from its unsigned big-endian bytes: no leading zeros, and a zero byte first when the top bit is set. */
export function sshMpint(unsigned: Uint8Array): Buffer {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start++;
  const magnitude = Buffer.from(unsigned.subarray(start));
  const needsPad = magnitude.length > 0 && (magnitude[0]! & 0x80) !== 0;
  return sshString(needsPad ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

/** Strings one after another, as a certificate's principals are packed. */
export function sshStrings(values: readonly string[]): Buffer {
  return Buffer.concat(values.map((value) => sshString(value)));
}

/** Reads SSH wire values from the front of `bytes`; every read checks the bytes are there. */
export class SshReader {
  readonly #bytes: Buffer;
  readonly #what: string;
  #offset = 0;

  /** `what` names the structure in errors: "the certificate", "the private key". */
  constructor(bytes: Uint8Array, what: string) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#bytes.length - this.#offset;
  }

  uint32(): number {
    return this.#take(4).readUInt32BE();
  }

  uint64(): bigint {
    return this.#take(8).readBigUInt64BE();
  }

  string(): Buffer {
    return this.#take(this.uint32());
  }

  /** A string that must be UTF-8 text (names, key ids, principals). */
  text(): string {
    const bytes = this.string();
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) throw this.#malformed('holds a name that is not UTF-8');
    return text;
  }

  /** An mpint as unsigned big-endian bytes; a negative one is refused (no key or signature holds one). */
  mpint(): Buffer {
    const bytes = this.string();
    if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) throw this.#malformed('holds a negative integer');
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    return bytes.subarray(start);
  }

  /** Strings packed one after another up to the end of `bytes`. */
  static strings(bytes: Uint8Array, what: string): string[] {
    const reader = new SshReader(bytes, what);
    const values: string[] = [];
    while (reader.remaining > 0) values.push(reader.text());
    return values;
  }

  /** The structure must end here: trailing bytes mean it is not what it claims to be. */
  end(): void {
    if (this.remaining !== 0) throw this.#malformed(`has ${this.remaining} bytes after its end`);
  }

  #take(length: number): Buffer {
    if (length > this.remaining) throw this.#malformed('is cut short');
    const slice = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return slice;
  }

  #malformed(problem: string): SshKeyError {
    return new SshKeyError('Malformed', `${this.#what} ${problem}`);
  }
}
