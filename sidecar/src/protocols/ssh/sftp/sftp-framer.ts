/**
 * Cuts one direction of an SFTP channel into whole packets (length field included), so that only
 * whole packets are ever decided and forwarded. Bounded: a length over the limit is refused as
 * soon as its four bytes arrive, before any of its body is buffered; at most one packet's worth
 * (plus one chunk) is held. A zero length cannot carry the type byte every packet has.
 */
import { SftpProtocolError } from './sftp-error.ts';

export class SftpFramer {
  readonly #maxLength: number;
  readonly #chunks: Buffer[] = [];
  #buffered = 0;

  /** `maxLength`: the largest value a packet's length field may have. */
  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  /** Bytes of a packet not yet complete: at the end of the stream, what would be lost half-sent. */
  get pending(): number {
    return this.#buffered;
  }

  /** The whole packets this chunk completes, in order; throws SftpProtocolError on a bad length. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const packets: Buffer[] = [];
    for (;;) {
      if (this.#buffered < 4) break;
      const length = this.#peekLength();
      if (length === 0) throw new SftpProtocolError('SftpMalformed', 'an SFTP packet of length 0 has no type');
      if (length > this.#maxLength) {
        throw new SftpProtocolError(
          'SftpPacketTooLarge',
          `an SFTP packet of ${length} bytes is over the ${this.#maxLength} bytes the sidecar reads`,
        );
      }
      if (this.#buffered < 4 + length) break;
      packets.push(this.#take(4 + length));
    }
    return packets;
  }

  #peekLength(): number {
    const first = this.#chunks[0]!;
    if (first.length >= 4) return first.readUInt32BE(0);
    return this.#take(4, true).readUInt32BE(0);
  }

  /** The first `count` bytes, removed unless `peek`. */
  #take(count: number, peek = false): Buffer {
    const whole = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks, this.#buffered);
    const taken = whole.subarray(0, count);
    if (peek) {
      this.#chunks.splice(0, this.#chunks.length, whole);
      return taken;
    }
    const rest = whole.subarray(count);
    this.#chunks.splice(0, this.#chunks.length, ...(rest.length > 0 ? [rest] : []));
    this.#buffered = rest.length;
    // A copy: the packet outlives the chunk it was cut from, which may be much larger.
    return Buffer.from(taken);
  }
}
