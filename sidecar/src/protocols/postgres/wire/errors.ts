/**
 * A frame or message that breaks the PostgreSQL protocol. The session answers it with an
 * ErrorResponse (SQLSTATE 08P01, protocol_violation) and closes; nothing of it goes upstream.
 */
export type ProtocolErrorCode =
  | 'FrameLengthInvalid'
  | 'FrameTooLarge'
  | 'MessageTruncated'
  | 'MessageMalformed'
  | 'UnknownMessageType'
  | 'UnsupportedProtocolVersion';

export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
