/**
 * How the sidecar refuses a command without breaking the session. The denied message is replaced
 * by one the upstream itself rejects (a statement that does not parse), so the server really
 * enters the state an error leaves it in — a failed transaction block stays failed, the extended
 * protocol skips to Sync — and the upstream's error is swapped for the sidecar's on the way back.
 * The agent sees one ErrorResponse, in order, from a server whose state matches it.
 */
import { serialize } from 'pg-protocol';
import { encode, type NoticeFields } from '../wire/backend-messages.ts';

/** Text no PostgreSQL accepts; the upstream answers it with SQLSTATE 42601. */
const UNPARSEABLE = 'airlock_denied_this_statement';
export const REPLACEMENT_SQLSTATE = '42601';

/** Replaces a Query or FunctionCall: the server answers ErrorResponse, ReadyForQuery. */
export const DENIED_QUERY: Buffer = serialize.query(UNPARSEABLE);
/** Replaces a Parse, Bind or Execute in the extended protocol: a named Parse that fails creates nothing. */
export const DENIED_PARSE: Buffer = serialize.parse({ name: 'airlock_denied', text: UNPARSEABLE, types: [] });

export const SQLSTATE = {
  insufficientPrivilege: '42501',
  queryCanceled: '57014',
  programLimitExceeded: '54000',
  protocolViolation: '08P01',
  connectionFailure: '08006',
  featureNotSupported: '0A000',
  invalidAuthorization: '28000',
  tooManyConnections: '53300',
  configurationLimitExceeded: '53400',
  duplicatePreparedStatement: '42P05',
} as const;

export function denialError(fields: Omit<NoticeFields, 'severity'>): Buffer {
  return encode.errorResponse({ severity: 'ERROR', ...fields, message: `airlock: ${fields.message}` });
}

export function fatalError(code: string, message: string, hint?: string): Buffer {
  return encode.errorResponse({ severity: 'FATAL', code, message: `airlock: ${message}`, ...(hint ? { hint } : {}) });
}
