/**
 * What the listener answers when it refuses a request itself, before any handler sees it: the
 * status for each refusal code, and the bytes of a complete `Connection: close` answer for the
 * cases where node's parser failed and there is no ServerResponse to write with. A protocol may
 * render the body its clients understand (Kubernetes: a Status object); the default is a small
 * JSON object with the code and the message. Never a stack trace.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpLimits } from './http-limits.ts';

/** After a refusal the listener still reads (and drops) what the client sends for this long, so the answer is not lost to a reset. */
const REFUSAL_LINGER_MS = 1000;

export type HttpRefusalCode =
  /** The parser refused the bytes (smuggling shapes, bad characters, bad chunk sizes...). */
  | 'MalformedRequest'
  | 'HeadersTooLarge'
  /** The request head did not arrive within headersTimeoutMs (slowloris). */
  | 'HeadersTimeout'
  /** The request did not arrive whole within headersTimeoutMs + requestBodyTimeoutMs. */
  | 'RequestTimeout'
  /** More than maxConnections at once: closed without an answer. */
  | 'TooManyConnections'
  /** A request-target that is not origin-form (`http://host/...`, `*`, anything not starting with `/`). */
  | 'AbsoluteFormTarget'
  /** A method outside GET HEAD POST PUT PATCH DELETE OPTIONS (CONNECT, TRACE, WebDAV methods...). */
  | 'MethodNotAllowed'
  /** The listener is closing: new requests on open connections are refused. */
  | 'ShuttingDown';

export const REFUSAL_STATUS: Readonly<Record<HttpRefusalCode, number>> = {
  MalformedRequest: 400,
  HeadersTooLarge: 431,
  HeadersTimeout: 408,
  RequestTimeout: 408,
  TooManyConnections: 503,
  AbsoluteFormTarget: 400,
  MethodNotAllowed: 405,
  ShuttingDown: 503,
};

export interface RefusalBody {
  readonly contentType: string;
  readonly body: string;
}

/** Renders the body of a refusal, or of the 500 the listener sends when a handler failed ('InternalError'). */
export type RenderRefusal = (refusal: {
  readonly code: HttpRefusalCode | 'InternalError';
  readonly statusCode: number;
  readonly message: string;
}) => RefusalBody;

export const renderJsonRefusal: RenderRefusal = ({ code, message }) => ({
  contentType: 'application/json',
  body: JSON.stringify({ code, message }),
});

/** A whole HTTP/1.1 answer that ends the connection, for writing straight to a socket. */
export function refusalBytes(statusCode: number, rendered: RefusalBody, extraHeaders: readonly string[] = []): Buffer {
  const body = Buffer.from(rendered.body);
  const head = [
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}`,
    'Connection: close',
    `Content-Type: ${rendered.contentType}`,
    `Content-Length: ${body.length}`,
    ...extraHeaders,
    '',
    '',
  ].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** What a node:http 'clientError' means for the agent: which refusal, and a message that says what to change. */
export function classifyParserError(
  error: NodeJS.ErrnoException,
  context: { readonly limits: HttpLimits; readonly requestInFlight: boolean },
): { readonly code: HttpRefusalCode; readonly message: string } {
  const { limits } = context;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return { code: 'HeadersTooLarge', message: `the request head is over ${limits.maxHeaderBytes} bytes (limits.maxHeaderBytes)` };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return context.requestInFlight
      ? {
          code: 'RequestTimeout',
          message: `the request did not arrive whole within ${limits.headersTimeoutMs + limits.requestBodyTimeoutMs} ms`,
        }
      : {
          code: 'HeadersTimeout',
          message: `the request head did not arrive within ${limits.headersTimeoutMs} ms (limits.headersTimeoutMs)`,
        };
  }
  // llhttp's reason is one of its fixed phrases ("Invalid header value char"), never the client's bytes.
  const reason = (error as { reason?: unknown }).reason;
  const detail = typeof reason === 'string' ? `: ${reason}` : '';
  return { code: 'MalformedRequest', message: `the request is not valid HTTP/1.1${detail}; the sidecar accepts no lenient forms` };
}

/** Sends the answer and closes; keeps reading (and dropping) briefly so the client reads the answer rather than a reset. */
export function endWithAnswer(socket: Duplex, bytes: Buffer): void {
  socket.end(bytes);
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
