/**
 * HTTP/1.1 on a raw socket, for the tests that send what no client library would (conflicting
 * framing, CR in a header, an absolute-form target, a head that trickles in) or that must see the
 * framing of an answer itself: whether a body was cut short or ended properly (Content-Length
 * reached, chunked terminator seen). The parser here is the test's own, written without the
 * sidecar's code, and reads one answer.
 */
import { connect, type Socket } from 'node:net';

export interface RawAnswer {
  readonly statusCode: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The body ended as its framing says: Content-Length bytes, or the chunked terminator. */
  readonly complete: boolean;
  readonly framing: 'content-length' | 'chunked' | 'close';
}

/** Reads one HTTP/1.1 answer from `bytes` (what a socket received until it closed); undefined without a whole head. */
export function parseRawAnswer(bytes: Buffer): RawAnswer | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const statusCode = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const rest = bytes.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) return { statusCode, headers, ...dechunk(rest), framing: 'chunked' };
  if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    return { statusCode, headers, body: rest.subarray(0, length), complete: rest.length >= length, framing: 'content-length' };
  }
  return { statusCode, headers, body: rest, complete: false, framing: 'close' };
}

function dechunk(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (Number.isNaN(size)) return { body: Buffer.concat(parts), complete: false };
    if (size === 0) return { body: Buffer.concat(parts), complete: data.indexOf('\r\n', lineEnd + 2) >= 0 };
    const start = lineEnd + 2;
    if (data.length < start + size + 2) {
      parts.push(data.subarray(start, Math.min(data.length, start + size)));
      return { body: Buffer.concat(parts), complete: false };
    }
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
}

export interface RawExchange {
  /** Everything received until the sidecar closed the connection (or `settleMs` of silence after an answer). */
  readonly received: Buffer;
  readonly answer: RawAnswer | undefined;
  /** The sidecar closed (or reset) the connection. */
  readonly closed: boolean;
}

/**
 * Sends `request` on a new connection and collects what comes back: until the connection closes,
 * or, once a whole answer arrived on a connection kept open, for nothing more to come. `writes`
 * may split the request into pieces sent `gapMs` apart (a trickling client); sending stops when
 * the connection closes.
 */
export function rawExchange(
  port: number,
  request: string | Buffer | readonly (string | Buffer)[],
  options: { readonly gapMs?: number } = {},
): Promise<RawExchange & { readonly piecesSent: number }> {
  const pieces = typeof request === 'string' || Buffer.isBuffer(request) ? [request] : request;
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let piecesSent = 0;
    let closed = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const received = Buffer.concat(chunks);
      socket.destroy();
      resolve({ received, answer: parseRawAnswer(received), closed, piecesSent });
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const answer = parseRawAnswer(Buffer.concat(chunks));
      // A whole answer on a connection the sidecar keeps: nothing more is coming for this request.
      if (answer?.complete && answer.headers.connection !== 'close') finish();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      finish();
    });
    socket.on('connect', async () => {
      for (const piece of pieces) {
        if (closed || done) return;
        socket.write(piece);
        piecesSent++;
        if (options.gapMs) await new Promise((wait) => setTimeout(wait, options.gapMs));
      }
    });
  });
}

/** A GET request head as kubectl would send it (origin-form, Host, a User-Agent the audit log shows). */
export function getRequest(path: string, userAgent: string, extra: readonly string[] = []): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', `User-Agent: ${userAgent}`, 'Accept: application/json', ...extra, '', ''].join('\r\n');
}
