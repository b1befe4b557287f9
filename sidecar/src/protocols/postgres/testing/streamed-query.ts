/**
 * Runs one simple Query through a raw connection and counts what comes back without keeping it:
 * a million-row result costs the test process nothing, so the memory measured is the sidecar's.
 * The frame reader here is deliberately not the sidecar's (a fixture must not use the code under test).
 */
import { connect } from 'node:net';
import { serialize } from 'pg-protocol';
import { errorFields } from './raw-session.ts';

export interface StreamedResult {
  readonly rows: number;
  readonly bytes: number;
  /** The first DataRow's first field, as text (null when there were no rows or it was NULL). */
  readonly firstField: string | null;
  readonly error?: { readonly code: string; readonly message: string };
}

export async function streamQuery(port: number, sql: string, timeoutMs = 120_000): Promise<StreamedResult> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  let pending: Buffer = Buffer.alloc(0);
  let readies = 0;
  let rows = 0;
  let bytes = 0;
  let firstField: string | null = null;
  let error: StreamedResult['error'];
  const result = new Promise<StreamedResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no result within ${timeoutMs} ms (${rows} rows so far)`)), timeoutMs);
    socket.once('close', () => reject(new Error(`the connection closed after ${rows} rows${error ? `: ${error.message}` : ''}`)));
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // Only a split trailing frame is carried over: the rest of each chunk is read in place.
      const data = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
      let offset = 0;
      while (data.length - offset >= 5) {
        const length = data.readInt32BE(offset + 1);
        if (data.length - offset < 1 + length) break;
        const type = data[offset];
        const payload = data.subarray(offset + 5, offset + 1 + length);
        if (type === 0x44) {
          if (rows === 0 && payload.readInt16BE(0) > 0) {
            const fieldLength = payload.readInt32BE(2);
            firstField = fieldLength < 0 ? null : payload.toString('utf8', 6, 6 + fieldLength);
          }
          rows++;
        } else if (type === 0x45) {
          const fields = errorFields(payload);
          error = { code: fields.get('C') ?? '', message: fields.get('M') ?? '' };
        } else if (type === 0x5a && ++readies === 2) {
          clearTimeout(timer);
          socket.destroy();
          resolve({ rows, bytes, firstField, ...(error ? { error } : {}) });
          return;
        }
        offset += 1 + length;
      }
      pending = offset === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(offset));
    });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(serialize.startup({ user: 'agent', database: 'x' }));
  socket.write(serialize.query(sql));
  return result;
}
