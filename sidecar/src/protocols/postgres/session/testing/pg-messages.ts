/**
 * Protocol messages for session tests, built by hand the way the PostgreSQL documentation lays
 * them out ("Message Formats"), independently of the codec and the session under test.
 */
import { dataRow } from '../../masking/testing/data-row.ts';
import { cstr, i16, i32, typed } from '../../wire/testing/wire.ts';

export { dataRow };

/** Messages the agent sends. */
export const frontend = {
  query: (sql: string): Buffer => typed('Q', cstr(sql)),
  parse: (sql: string, name = ''): Buffer => typed('P', cstr(name), cstr(sql), i16(0)),
  /** Text-format parameters; null is SQL NULL. */
  bind: (parameters: readonly (string | null)[] = [], statement = '', portal = ''): Buffer =>
    typed(
      'B',
      cstr(portal),
      cstr(statement),
      i16(0),
      i16(parameters.length),
      ...parameters.flatMap((p) => (p === null ? [i32(-1)] : [i32(Buffer.byteLength(p)), Buffer.from(p, 'utf8')])),
      i16(0),
    ),
  describePortal: (portal = ''): Buffer => typed('D', Buffer.from('P'), cstr(portal)),
  execute: (portal = '', maxRows = 0): Buffer => typed('E', cstr(portal), i32(maxRows)),
  sync: (): Buffer => typed('S'),
  terminate: (): Buffer => typed('X'),
};

/** One text column of a RowDescription (no table, type text unless told). */
export interface ColumnSpec {
  readonly name: string;
  readonly typeOid?: number;
}

/** Messages the server sends. */
export const backend = {
  rowDescription: (columns: readonly ColumnSpec[]): Buffer =>
    typed(
      'T',
      i16(columns.length),
      ...columns.flatMap((c) => [cstr(c.name), i32(0), i16(0), i32(c.typeOid ?? 25), i16(-1), i32(-1), i16(0)]),
    ),
  commandComplete: (tag: string): Buffer => typed('C', cstr(tag)),
  readyForQuery: (status: 'I' | 'T' | 'E' = 'I'): Buffer => typed('Z', Buffer.from(status)),
  parseComplete: (): Buffer => typed('1'),
  bindComplete: (): Buffer => typed('2'),
  noData: (): Buffer => typed('n'),
  parameterStatus: (name: string, value: string): Buffer => typed('S', cstr(name), cstr(value)),
  errorResponse: (fields: { readonly severity?: string; readonly code: string; readonly message: string }): Buffer =>
    typed(
      'E',
      Buffer.from('S'),
      cstr(fields.severity ?? 'ERROR'),
      Buffer.from('C'),
      cstr(fields.code),
      Buffer.from('M'),
      cstr(fields.message),
      Buffer.from([0]),
    ),
};

/** A received message: its type letter, its body (after the length), and its bytes. */
export interface WireMessage {
  readonly type: string;
  readonly body: Buffer;
  readonly raw: Buffer;
}

/** The fields of an ErrorResponse or NoticeResponse body, by their one-letter codes. */
export function noticeFields(message: WireMessage): Record<string, string> {
  const out: Record<string, string> = {};
  let offset = 0;
  while (offset < message.body.length && message.body[offset] !== 0) {
    const code = String.fromCharCode(message.body[offset]!);
    const end = message.body.indexOf(0, offset + 1);
    out[code] = message.body.subarray(offset + 1, end).toString('utf8');
    offset = end + 1;
  }
  return out;
}

/** The text of a Query, or the statement text of a Parse (after its name). */
export function sqlOf(message: WireMessage): string {
  const body = message.type === 'P' ? message.body.subarray(message.body.indexOf(0) + 1) : message.body;
  return body.subarray(0, body.indexOf(0)).toString('utf8');
}
