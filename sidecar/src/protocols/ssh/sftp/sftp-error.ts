/**
 * A stream the filter cannot read safely: the SFTP channel is closed, never forwarded in part.
 * Codes are stable (recorded as the session's error code); messages say what was wrong.
 */
export type SftpProtocolErrorCode =
  /** A packet's length is over MAX_SFTP_PACKET. */
  | 'SftpPacketTooLarge'
  /** A packet is shorter than its fields, or says it is empty. */
  | 'SftpMalformed'
  /** A packet out of order: not INIT first, a second VERSION, an id reused while an open awaits its handle. */
  | 'SftpOutOfOrder'
  /** The host speaks another SFTP version than the one the filter reads. */
  | 'SftpVersionUnsupported';

export class SftpProtocolError extends Error {
  readonly code: SftpProtocolErrorCode;

  constructor(code: SftpProtocolErrorCode, message: string) {
    super(message);
    this.name = 'SftpProtocolError';
    this.code = code;
  }
}
