export {
  type BackendMessage,
  type ColumnDescription,
  dataRowFields,
  decodeBackend,
  encode,
  encodeDataRow,
  type NoticeFields,
  type TransactionStatus,
} from './backend-messages.ts';
export { ProtocolError, type ProtocolErrorCode } from './errors.ts';
export { DEFAULT_MAX_FRAME_BYTES, type Frame, FrameDecoder } from './frame-decoder.ts';
export {
  CANCEL_REQUEST_CODE,
  decodeFrontend,
  decodeStartupPhase,
  type FrontendMessage,
  GSSENC_REQUEST_CODE,
  PROTOCOL_3_0,
  SSL_REQUEST_CODE,
  type StartupPhaseMessage,
} from './frontend-messages.ts';
