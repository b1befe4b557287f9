/**
 * Messages an agent (a PostgreSQL client) sends, decoded from frames into a union discriminated
 * on `type`. Each keeps its frame, so a message that is allowed is forwarded byte for byte.
 */
import { BufferReader } from './buffer-reader.ts';
import { ProtocolError } from './errors.ts';
import type { Frame } from './frame-decoder.ts';

export const PROTOCOL_3_0 = 196608; // 3 << 16
export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;

export type StartupPhaseMessage =
  | { type: 'startup'; majorVersion: number; minorVersion: number; parameters: Map<string, string>; frame: Frame }
  | { type: 'sslRequest'; frame: Frame }
  | { type: 'gssEncRequest'; frame: Frame }
  | { type: 'cancelRequest'; processId: number; secretKey: Buffer; frame: Frame };

export type ParameterFormat = 0 | 1;

export type FrontendMessage =
  /** `sqlIsUtf8` false: the text's bytes are not valid UTF-8 (sql then holds U+FFFD for them). */
  | { type: 'query'; sql: string; sqlIsUtf8: boolean; frame: Frame }
  | { type: 'parse'; statement: string; sql: string; sqlIsUtf8: boolean; parameterTypes: number[]; frame: Frame }
  | {
      type: 'bind';
      portal: string;
      statement: string;
      parameterFormats: ParameterFormat[];
      /** Parameter values as sent; null is SQL NULL. */
      parameters: (Buffer | null)[];
      resultFormats: ParameterFormat[];
      frame: Frame;
    }
  | { type: 'describe'; target: 'statement' | 'portal'; name: string; frame: Frame }
  | { type: 'execute'; portal: string; maxRows: number; frame: Frame }
  | { type: 'close'; target: 'statement' | 'portal'; name: string; frame: Frame }
  | { type: 'sync'; frame: Frame }
  | { type: 'flush'; frame: Frame }
  | { type: 'copyData'; data: Buffer; frame: Frame }
  | { type: 'copyDone'; frame: Frame }
  | { type: 'copyFail'; message: string; frame: Frame }
  | { type: 'functionCall'; functionOid: number; frame: Frame }
  | { type: 'terminate'; frame: Frame }
  /** PasswordMessage, SASLInitialResponse or SASLResponse: which one depends on the auth exchange. */
  | { type: 'password'; payload: Buffer; frame: Frame };

export function decodeStartupPhase(frame: Frame): StartupPhaseMessage {
  const reader = new BufferReader(frame.payload, 'startup message');
  const code = reader.int32();
  switch (code) {
    case SSL_REQUEST_CODE:
      reader.end();
      return { type: 'sslRequest', frame };
    case GSSENC_REQUEST_CODE:
      reader.end();
      return { type: 'gssEncRequest', frame };
    case CANCEL_REQUEST_CODE: {
      const processId = reader.int32();
      // Protocol 3.2 allows longer keys (up to 256 bytes); 3.0 sends 4.
      const secretKey = Buffer.from(reader.rest());
      if (secretKey.length < 4 || secretKey.length > 256) {
        throw new ProtocolError('MessageMalformed', `CancelRequest: secret key of ${secretKey.length} bytes`);
      }
      return { type: 'cancelRequest', processId, secretKey, frame };
    }
  }
  const majorVersion = code >>> 16;
  const minorVersion = code & 0xffff;
  if (majorVersion !== 3) {
    throw new ProtocolError(
      'UnsupportedProtocolVersion',
      `unsupported frontend protocol ${majorVersion}.${minorVersion}: server supports 3.0`,
    );
  }
  const parameters = new Map<string, string>();
  for (;;) {
    const name = reader.cstring();
    if (name === '') break;
    parameters.set(name, reader.cstring());
  }
  reader.end();
  return { type: 'startup', majorVersion, minorVersion, parameters, frame };
}

const formats = (reader: BufferReader, what: string): ParameterFormat[] => {
  const count = reader.int16();
  if (count < 0) throw new ProtocolError('MessageMalformed', `${what}: negative format count`);
  const out: ParameterFormat[] = [];
  for (let i = 0; i < count; i++) {
    const format = reader.int16();
    if (format !== 0 && format !== 1)
      throw new ProtocolError('MessageMalformed', `${what}: format code ${format} is neither text (0) nor binary (1)`);
    out.push(format);
  }
  return out;
};

const describeTarget = (byte: number, what: string): 'statement' | 'portal' => {
  if (byte === 0x53) return 'statement'; // S
  if (byte === 0x50) return 'portal'; // P
  throw new ProtocolError('MessageMalformed', `${what}: target ${JSON.stringify(String.fromCharCode(byte))} is neither S nor P`);
};

export function decodeFrontend(frame: Frame): FrontendMessage {
  const type = String.fromCharCode(frame.code);
  switch (type) {
    case 'Q': {
      const reader = new BufferReader(frame.payload, 'Query');
      const { text: sql, utf8: sqlIsUtf8 } = reader.checkedCstring();
      reader.end();
      return { type: 'query', sql, sqlIsUtf8, frame };
    }
    case 'P': {
      const reader = new BufferReader(frame.payload, 'Parse');
      const statement = reader.cstring();
      const { text: sql, utf8: sqlIsUtf8 } = reader.checkedCstring();
      const count = reader.int16();
      if (count < 0) throw new ProtocolError('MessageMalformed', 'Parse: negative parameter type count');
      const parameterTypes: number[] = [];
      for (let i = 0; i < count; i++) parameterTypes.push(reader.int32() >>> 0);
      reader.end();
      return { type: 'parse', statement, sql, sqlIsUtf8, parameterTypes, frame };
    }
    case 'B': {
      const reader = new BufferReader(frame.payload, 'Bind');
      const portal = reader.cstring();
      const statement = reader.cstring();
      const parameterFormats = formats(reader, 'Bind');
      const count = reader.int16();
      if (count < 0) throw new ProtocolError('MessageMalformed', 'Bind: negative parameter count');
      if (parameterFormats.length > 1 && parameterFormats.length !== count) {
        throw new ProtocolError('MessageMalformed', `Bind: ${parameterFormats.length} parameter formats for ${count} parameters`);
      }
      const parameters: (Buffer | null)[] = [];
      for (let i = 0; i < count; i++) {
        const length = reader.int32();
        if (length < -1) throw new ProtocolError('MessageMalformed', `Bind: parameter ${i + 1} has length ${length}`);
        parameters.push(length === -1 ? null : reader.bytes(length));
      }
      const resultFormats = formats(reader, 'Bind');
      reader.end();
      return { type: 'bind', portal, statement, parameterFormats, parameters, resultFormats, frame };
    }
    case 'D':
    case 'C': {
      const what = type === 'D' ? 'Describe' : 'Close';
      const reader = new BufferReader(frame.payload, what);
      const target = describeTarget(reader.byte(), what);
      const name = reader.cstring();
      reader.end();
      return { type: type === 'D' ? 'describe' : 'close', target, name, frame };
    }
    case 'E': {
      const reader = new BufferReader(frame.payload, 'Execute');
      const portal = reader.cstring();
      const maxRows = reader.int32();
      reader.end();
      return { type: 'execute', portal, maxRows, frame };
    }
    case 'S':
      new BufferReader(frame.payload, 'Sync').end();
      return { type: 'sync', frame };
    case 'H':
      new BufferReader(frame.payload, 'Flush').end();
      return { type: 'flush', frame };
    case 'd':
      return { type: 'copyData', data: frame.payload, frame };
    case 'c':
      new BufferReader(frame.payload, 'CopyDone').end();
      return { type: 'copyDone', frame };
    case 'f': {
      const reader = new BufferReader(frame.payload, 'CopyFail');
      const message = reader.cstring();
      reader.end();
      return { type: 'copyFail', message, frame };
    }
    case 'F': {
      const reader = new BufferReader(frame.payload, 'FunctionCall');
      return { type: 'functionCall', functionOid: reader.int32() >>> 0, frame };
    }
    case 'X':
      new BufferReader(frame.payload, 'Terminate').end();
      return { type: 'terminate', frame };
    case 'p':
      return { type: 'password', payload: frame.payload, frame };
    default:
      throw new ProtocolError('UnknownMessageType', `unknown frontend message type 0x${frame.code.toString(16).padStart(2, '0')}`);
  }
}
