/**
 * The type byte of every typed message of protocol 3.0, by the name the PostgreSQL documentation
 * gives it ("Message Formats"). Frontend and backend codes overlap ('D' is Describe one way and
 * DataRow the other), so the two directions are separate tables and a switch names the direction
 * it reads.
 *
 * Frozen objects of literal numbers rather than an enum: the code runs as TypeScript with types
 * erased (no const enum to inline), and a frozen object's properties are constants V8 can rely on
 * in the per-frame switches of the session.
 */

/** Messages the agent (or the sidecar, as the upstream's client) sends. */
export const FRONTEND = Object.freeze({
  Bind: 0x42, // B
  Close: 0x43, // C
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyFail: 0x66, // f
  Describe: 0x44, // D
  Execute: 0x45, // E
  Flush: 0x48, // H
  FunctionCall: 0x46, // F
  Parse: 0x50, // P
  /** PasswordMessage, and SASLInitialResponse, SASLResponse and GSSResponse, which share its code. */
  Password: 0x70, // p
  Query: 0x51, // Q
  Sync: 0x53, // S
  Terminate: 0x58, // X
} as const);

/** Messages the server sends. */
export const BACKEND = Object.freeze({
  /** AuthenticationOk and every other Authentication* request. */
  Authentication: 0x52, // R
  BackendKeyData: 0x4b, // K
  BindComplete: 0x32, // 2
  CloseComplete: 0x33, // 3
  CommandComplete: 0x43, // C
  CopyBothResponse: 0x57, // W
  CopyData: 0x64, // d
  CopyDone: 0x63, // c
  CopyInResponse: 0x47, // G
  CopyOutResponse: 0x48, // H
  DataRow: 0x44, // D
  EmptyQueryResponse: 0x49, // I
  ErrorResponse: 0x45, // E
  FunctionCallResponse: 0x56, // V
  NegotiateProtocolVersion: 0x76, // v
  NoData: 0x6e, // n
  NoticeResponse: 0x4e, // N
  NotificationResponse: 0x41, // A
  ParameterDescription: 0x74, // t
  ParameterStatus: 0x53, // S
  ParseComplete: 0x31, // 1
  PortalSuspended: 0x73, // s
  ReadyForQuery: 0x5a, // Z
  RowDescription: 0x54, // T
} as const);

export type FrontendCode = (typeof FRONTEND)[keyof typeof FRONTEND];
export type BackendCode = (typeof BACKEND)[keyof typeof BACKEND];
