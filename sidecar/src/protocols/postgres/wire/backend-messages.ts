/**
 * Messages a PostgreSQL server sends: encoders for those the sidecar answers with itself
 * (errors, notices, authentication, ...) and decoders for those it inspects on the way back
 * from the upstream (row shapes, rows, completion tags, errors, transaction status).
 */
import { BufferReader } from './buffer-reader.ts';
import { BufferWriter } from './buffer-writer.ts';
import { ProtocolError } from './errors.ts';
import type { Frame } from './frame-decoder.ts';

const code = (c: string): number => c.charCodeAt(0);

/** ErrorResponse and NoticeResponse fields, by their one-letter protocol codes. */
export interface NoticeFields {
  severity: 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE' | 'DEBUG' | 'INFO' | 'LOG';
  /** SQLSTATE, five characters. */
  code: string;
  message: string;
  detail?: string;
  hint?: string;
}

const FIELD_CODES: [keyof NoticeFields, string][] = [
  ['severity', 'S'],
  ['code', 'C'],
  ['message', 'M'],
  ['detail', 'D'],
  ['hint', 'H'],
];

function notice(type: 'E' | 'N', fields: NoticeFields): Buffer {
  const writer = new BufferWriter(code(type));
  writer.byte(code('S')).cstring(fields.severity);
  writer.byte(code('V')).cstring(fields.severity);
  for (const [key, field] of FIELD_CODES) {
    if (key === 'severity') continue;
    const value = fields[key];
    if (value !== undefined) writer.byte(code(field)).cstring(value);
  }
  return writer.byte(0).message();
}

export const encode = {
  errorResponse: (fields: NoticeFields): Buffer => notice('E', fields),
  noticeResponse: (fields: NoticeFields): Buffer => notice('N', fields),
  readyForQuery: (status: TransactionStatus): Buffer => new BufferWriter(code('Z'), 6).byte(code(status)).message(),
  authenticationOk: (): Buffer => new BufferWriter(code('R'), 9).int32(0).message(),
  authenticationCleartextPassword: (): Buffer => new BufferWriter(code('R'), 9).int32(3).message(),
  parameterStatus: (name: string, value: string): Buffer => new BufferWriter(code('S')).cstring(name).cstring(value).message(),
  backendKeyData: (processId: number, secretKey: Buffer): Buffer =>
    new BufferWriter(code('K'), 13).int32(processId).bytes(secretKey).message(),
  negotiateProtocolVersion: (newestMinor: number, unrecognized: string[]): Buffer => {
    const writer = new BufferWriter(code('v')).int32(newestMinor).int32(unrecognized.length);
    for (const option of unrecognized) writer.cstring(option);
    return writer.message();
  },
  commandComplete: (tag: string): Buffer => new BufferWriter(code('C')).cstring(tag).message(),
  emptyQueryResponse: (): Buffer => new BufferWriter(code('I'), 5).message(),
};

/** The byte in ReadyForQuery: idle, in a transaction block, or in a failed transaction block. */
export type TransactionStatus = 'I' | 'T' | 'E';

export type BackendMessage =
  | { type: 'authentication'; kind: number; data: Buffer; frame: Frame }
  | { type: 'parameterStatus'; name: string; value: string; frame: Frame }
  | { type: 'backendKeyData'; processId: number; secretKey: Buffer; frame: Frame }
  | { type: 'readyForQuery'; status: TransactionStatus; frame: Frame }
  | { type: 'errorResponse'; fields: Map<string, string>; frame: Frame }
  | { type: 'noticeResponse'; fields: Map<string, string>; frame: Frame }
  | { type: 'rowDescription'; columns: ColumnDescription[]; frame: Frame }
  | { type: 'dataRow'; frame: Frame }
  | { type: 'commandComplete'; tag: string; frame: Frame }
  | { type: 'other'; frame: Frame };

export interface ColumnDescription {
  name: string;
  tableOid: number;
  columnNumber: number;
  typeOid: number;
  typeSize: number;
  typeModifier: number;
  format: 0 | 1;
}

function fields(reader: BufferReader): Map<string, string> {
  const out = new Map<string, string>();
  for (;;) {
    const field = reader.byte();
    if (field === 0) break;
    out.set(String.fromCharCode(field), reader.cstring());
  }
  reader.end();
  return out;
}

export function decodeBackend(frame: Frame): BackendMessage {
  switch (String.fromCharCode(frame.code)) {
    case 'R': {
      const reader = new BufferReader(frame.payload, 'Authentication');
      return { type: 'authentication', kind: reader.int32(), data: reader.rest(), frame };
    }
    case 'S': {
      const reader = new BufferReader(frame.payload, 'ParameterStatus');
      const name = reader.cstring();
      const value = reader.cstring();
      reader.end();
      return { type: 'parameterStatus', name, value, frame };
    }
    case 'K': {
      const reader = new BufferReader(frame.payload, 'BackendKeyData');
      return { type: 'backendKeyData', processId: reader.int32(), secretKey: Buffer.from(reader.rest()), frame };
    }
    case 'Z': {
      const reader = new BufferReader(frame.payload, 'ReadyForQuery');
      const status = String.fromCharCode(reader.byte());
      reader.end();
      if (status !== 'I' && status !== 'T' && status !== 'E')
        throw new ProtocolError('MessageMalformed', `ReadyForQuery: status ${JSON.stringify(status)}`);
      return { type: 'readyForQuery', status, frame };
    }
    case 'E':
      return { type: 'errorResponse', fields: fields(new BufferReader(frame.payload, 'ErrorResponse')), frame };
    case 'N':
      return { type: 'noticeResponse', fields: fields(new BufferReader(frame.payload, 'NoticeResponse')), frame };
    case 'T': {
      const reader = new BufferReader(frame.payload, 'RowDescription');
      const count = reader.int16();
      const columns: ColumnDescription[] = [];
      for (let i = 0; i < count; i++) {
        const name = reader.cstring();
        const tableOid = reader.int32() >>> 0;
        const columnNumber = reader.int16();
        const typeOid = reader.int32() >>> 0;
        const typeSize = reader.int16();
        const typeModifier = reader.int32();
        const format = reader.int16();
        if (format !== 0 && format !== 1) throw new ProtocolError('MessageMalformed', `RowDescription: format ${format}`);
        columns.push({ name, tableOid, columnNumber, typeOid, typeSize, typeModifier, format });
      }
      reader.end();
      return { type: 'rowDescription', columns, frame };
    }
    case 'D':
      return { type: 'dataRow', frame };
    case 'C': {
      const reader = new BufferReader(frame.payload, 'CommandComplete');
      const tag = reader.cstring();
      reader.end();
      return { type: 'commandComplete', tag, frame };
    }
    default:
      return { type: 'other', frame };
  }
}

/** The fields of a DataRow as views (null for SQL NULL), bounds-checked. */
export function dataRowFields(frame: Frame): (Buffer | null)[] {
  const reader = new BufferReader(frame.payload, 'DataRow');
  const count = reader.int16();
  const out: (Buffer | null)[] = [];
  for (let i = 0; i < count; i++) {
    const length = reader.int32();
    if (length < -1) throw new ProtocolError('MessageMalformed', `DataRow: field ${i + 1} has length ${length}`);
    out.push(length === -1 ? null : reader.bytes(length));
  }
  reader.end();
  return out;
}

/** A DataRow with the given fields, lengths recomputed. */
export function encodeDataRow(values: readonly (Uint8Array | null)[]): Buffer {
  let size = 7;
  for (const v of values) size += 4 + (v?.length ?? 0);
  const writer = new BufferWriter(code('D'), size).int16(values.length);
  for (const v of values) {
    if (v === null) writer.int32(-1);
    else writer.int32(v.length).bytes(v);
  }
  return writer.message();
}
