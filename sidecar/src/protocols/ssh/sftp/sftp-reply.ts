/**
 * The host's side of an SFTP channel as far as the filter needs it: which request a reply answers
 * (a HANDLE names the file an OPEN was allowed for), the VERSION the host speaks (only version 3 is
 * read; its extension list is cut down to those the filter decides), and the limits the host
 * announces (cut down to what the sidecar reads). Also the STATUS the sidecar answers a refused
 * request with itself.
 */
import { SftpProtocolError } from './sftp-error.ts';
import { SftpReader, sftpPacket } from './sftp-fields.ts';
import { KNOWN_EXTENSIONS, MAX_SFTP_DATA, MAX_SFTP_PACKET, PACKET, SFTP_VERSION } from './sftp-protocol.ts';

export type SftpReply =
  | { readonly type: typeof PACKET.VERSION }
  | { readonly type: typeof PACKET.HANDLE; readonly id: number; readonly handle: Buffer }
  | { readonly type: number; readonly id: number };

export function readReply(packet: Buffer): SftpReply {
  const reader = new SftpReader(packet);
  const type = reader.byte('type');
  if (type === PACKET.VERSION) return { type };
  const id = reader.uint32('request id');
  if (type === PACKET.HANDLE) return { type, id, handle: reader.string('handle') };
  return { type, id };
}

/** The host's VERSION with only the extensions the filter knows; another version closes the channel. */
export function filterVersion(packet: Buffer): Buffer {
  const reader = new SftpReader(packet);
  reader.byte('type');
  const version = reader.uint32('version');
  if (version !== SFTP_VERSION) {
    throw new SftpProtocolError(
      'SftpVersionUnsupported',
      `the host speaks SFTP version ${version}; the sidecar reads version ${SFTP_VERSION} only, as OpenSSH speaks it`,
    );
  }
  const kept: Buffer[] = [];
  while (reader.remaining > 0) {
    const name = reader.string('extension name');
    const data = reader.string('extension data');
    if (KNOWN_EXTENSIONS.has(name.toString('latin1'))) kept.push(name, data);
  }
  return sftpPacket(PACKET.VERSION, [version, ...kept]);
}

const clamp = (value: bigint, most: number): bigint => (value === 0n || value > BigInt(most) ? BigInt(most) : value);

/** The reply to limits@openssh.com, with packet, read and write sizes no larger than the sidecar reads. */
export function clampLimits(packet: Buffer): Buffer {
  const reader = new SftpReader(packet);
  reader.byte('type');
  const id = reader.uint32('request id');
  const packetLength = reader.uint64('max-packet-length');
  const readLength = reader.uint64('max-read-length');
  const writeLength = reader.uint64('max-write-length');
  const openHandles = reader.uint64('max-open-handles');
  return sftpPacket(PACKET.EXTENDED_REPLY, [
    id,
    clamp(packetLength, MAX_SFTP_PACKET - 4096),
    clamp(readLength, MAX_SFTP_DATA),
    clamp(writeLength, MAX_SFTP_DATA),
    openHandles,
  ]);
}

/** A STATUS reply (code, message, empty language tag). */
export function statusPacket(id: number, code: number, message: string): Buffer {
  return sftpPacket(PACKET.STATUS, [id, code, message, '']);
}
