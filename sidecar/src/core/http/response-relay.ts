/**
 * The way back: an upstream answer to the agent, streamed, never buffered whole (a watch or a log
 * follow never ends; a list can be tens of MiB). The body goes through `pipeline`, so a slow agent
 * slows the upstream down instead of filling the sidecar's memory, and an agent that goes away
 * ends the upstream response too. A transform (masking) may rewrite the body; then the upstream's
 * Content-Length no longer holds and node frames the body with chunked encoding instead.
 * Also here: the sidecar's own short answers (sendJson) and the Warning headers kubectl prints.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { connectionOptions, isHopByHop } from './hop-by-hop.ts';

export interface RelayResult {
  readonly statusCode: number;
  /** Body bytes written to the agent (after the transform). */
  readonly bytes: number;
  /** the body arrived whole */
  readonly complete: boolean;
  /** Why the body did not arrive whole: the agent went away, the upstream broke off, the transform failed. */
  readonly error?: Error;
}

export interface RelayOptions {
  readonly transform?: Transform;
  readonly warnings?: readonly string[];
}

/** The longest Warning header value the sidecar writes. */
const MAX_WARNING_BYTES = 1024;

/**
 * Copies status and headers (without hop-by-hop headers; Content-Length dropped when a transform
 * changes the body; `warnings` appended as Warning headers), then streams the body through
 * `transform` (optional) with backpressure (pipeline), and aborts the upstream response when the
 * agent goes away. Never rejects: a body that did not arrive whole shows as `complete: false`, and
 * the agent's connection is then closed, since after the head that is the only way HTTP/1.1 has to
 * say the body is cut.
 */
export async function relayResponse(upstream: IncomingMessage, response: ServerResponse, options: RelayOptions = {}): Promise<RelayResult> {
  const statusCode = upstream.statusCode ?? 502;
  response.writeHead(statusCode, relayedHeaders(upstream.rawHeaders, options));
  let bytes = 0;
  const last: Readable = options.transform ?? upstream;
  last.on('data', (chunk: Buffer | string) => {
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  });
  try {
    if (options.transform) await pipeline(upstream, options.transform, response);
    else await pipeline(upstream, response);
    return { statusCode, bytes, complete: upstream.complete };
  } catch (error) {
    upstream.destroy();
    response.destroy();
    return { statusCode, bytes, complete: false, error: error as Error };
  }
}

/**
 * Answers with the upstream's status and headers and a body of the caller's: for an answer read
 * whole and rewritten (masked) before a byte of it goes out. Content-Length is the new body's;
 * Content-Encoding goes (the body was read decoded), as do the connection-scoped headers.
 */
export function sendReplacedBody(
  upstream: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
  options: Pick<RelayOptions, 'warnings'> = {},
): Promise<void> {
  const headers = relayedHeaders(upstream.rawHeaders, { ...options, replacedBody: true });
  headers.push('Content-Length', String(body.length));
  response.writeHead(upstream.statusCode ?? 502, headers);
  return new Promise<void>((resolve) => response.end(body, resolve));
}

/** The upstream's headers as a raw list (names as sent, duplicates kept), without what is connection-scoped. */
function relayedHeaders(rawHeaders: readonly string[], options: RelayOptions & { readonly replacedBody?: boolean }): string[] {
  const connection: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'connection') connection.push(rawHeaders[index + 1] ?? '');
  }
  const named = connectionOptions(connection);
  const relayed: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] ?? '';
    if (isHopByHop(name, named)) continue;
    const lower = name.toLowerCase();
    if ((options.transform || options.replacedBody) && lower === 'content-length') continue;
    if (options.replacedBody && lower === 'content-encoding') continue;
    relayed.push(name, rawHeaders[index + 1] ?? '');
  }
  for (const warning of options.warnings ?? []) relayed.push('Warning', warningHeader(warning));
  return relayed;
}

/**
 * A Warning header value as the API server writes them and kubectl prints them: `299 - "text"`, the
 * text made printable ASCII (control characters dropped, other characters outside ASCII as `?`,
 * quotes and backslashes escaped), at most 1 KiB.
 */
export function warningHeader(text: string): string {
  const prefix = '299 - "';
  let escaped = '';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f) continue;
    const piece = code > 0x7e ? '?' : character === '"' || character === '\\' ? `\\${character}` : character;
    if (prefix.length + escaped.length + piece.length + 1 > MAX_WARNING_BYTES) break;
    escaped += piece;
  }
  return `${prefix}${escaped}"`;
}

/** A complete JSON answer (status, body) with Content-Type application/json and Content-Length; used for refusals. */
export function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  options: { readonly warnings?: readonly string[]; readonly headers?: OutgoingHttpHeaders } = {},
): void {
  if (response.headersSent) {
    // Too late for an answer of its own: cutting the connection is the only honest signal left.
    response.destroy();
    return;
  }
  const text = JSON.stringify(body);
  if (options.warnings?.length) response.setHeader('warning', options.warnings.map(warningHeader));
  response.writeHead(statusCode, { ...options.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
