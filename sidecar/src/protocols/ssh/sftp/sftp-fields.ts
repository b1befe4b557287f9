/**
 * Reading and writing the fields of one SFTP packet. The reader never reads past the packet: a
 * field that does not fit is a malformed packet (SftpProtocolError), not a partial value.
 */
import { SftpProtocolError } from './sftp-error.ts';

export class SftpReader {
  readonly #packet: Buffer;
  #at: number;

  /** Over a whole packet, length field included; reading starts at the type byte. */
  constructor(packet: Buffer) {
    this.#packet = packet;
    this.#at = 4;
  }

  #need(count: number, what: string): void {
    if (this.#at + count > this.#packet.length) {
      throw new SftpProtocolError('SftpMalformed', `an SFTP packet ends inside its ${what}`);
    }
  }

  byte(what: string): number {
    this.#need(1, what);
    return this.#packet.readUInt8(this.#at++);
  }

  uint32(what: string): number {
    this.#need(4, what);
    const value = this.#packet.readUInt32BE(this.#at);
    this.#at += 4;
    return value;
  }

  uint64(what: string): bigint {
    this.#need(8, what);
    const value = this.#packet.readBigUInt64BE(this.#at);
    this.#at += 8;
    return value;
  }

  string(what: string): Buffer {
    const length = this.uint32(`${what}'s length`);
    this.#need(length, what);
    const value = this.#packet.subarray(this.#at, this.#at + length);
    this.#at += length;
    return value;
  }

  get remaining(): number {
    return this.#packet.length - this.#at;
  }
}

/** A packet from its type and body fields: numbers are uint32, Buffers and strings are SFTP strings. */
export function sftpPacket(type: number, fields: readonly (number | bigint | string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from([type])];
  for (const field of fields) {
    if (typeof field === 'number') {
      const number = Buffer.alloc(4);
      number.writeUInt32BE(field);
      parts.push(number);
    } else if (typeof field === 'bigint') {
      const number = Buffer.alloc(8);
      number.writeBigUInt64BE(field);
      parts.push(number);
    } else {
      const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
      const length = Buffer.alloc(4);
      length.writeUInt32BE(bytes.length);
      parts.push(length, bytes);
    }
  }
  const body = Buffer.concat(parts);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  return Buffer.concat([length, body]);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A name as text, or undefined when it is not UTF-8 or holds a NUL (the host would read it otherwise than the policy). */
export function nameText(bytes: Buffer): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return UTF8.decode(bytes);
  } catch {
    return undefined;
  }
}
