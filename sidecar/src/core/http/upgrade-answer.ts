/**
 * Answers on a raw socket, for Upgrade requests: node hands those over without a ServerResponse,
 * so a refusal (policy denied an exec) or the upstream's own non-101 answer (403, 404) is written
 * here as a complete HTTP/1.1 response that ends the connection.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectionOptions, isHopByHop } from './hop-by-hop.ts';
import { warningHeader } from './response-relay.ts';

/** An answer to an upgrade that does not happen is an error document; more than this is cut off. */
const DEFAULT_MAX_REFUSAL_BODY_BYTES = 1024 * 1024;

/** A complete answer with `Connection: close`, then the socket ends. */
export function answerOnSocket(
  socket: Duplex,
  statusCode: number,
  answer: { readonly headers?: readonly (readonly [string, string])[]; readonly body?: Buffer; readonly warnings?: readonly string[] } = {},
): void {
  const body = answer.body ?? Buffer.alloc(0);
  const lines = [`HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}`];
  for (const [name, value] of answer.headers ?? []) {
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') continue;
    if (/[\r\n]/.test(name) || /[\r\n]/.test(value)) continue;
    lines.push(`${name}: ${value}`);
  }
  for (const warning of answer.warnings ?? []) lines.push(`Warning: ${warningHeader(warning)}`);
  lines.push('Connection: close', `Content-Length: ${body.length}`, '', '');
  socket.end(Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]));
}

/** A JSON answer on a raw socket (the sidecar's own refusal of an upgrade). */
export function sendJsonOnSocket(
  socket: Duplex,
  statusCode: number,
  body: unknown,
  options: { readonly warnings?: readonly string[] } = {},
): void {
  answerOnSocket(socket, statusCode, {
    headers: [['Content-Type', 'application/json']],
    body: Buffer.from(JSON.stringify(body)),
    warnings: options.warnings,
  });
}

/**
 * The upstream's non-101 answer to an upgrade, relayed to the agent's socket: status, headers
 * without hop-by-hop ones, the body read whole (at most `maxBodyBytes`; a longer one is cut and the
 * answer says so in a Warning). Resolves with the status and the body bytes once written.
 */
export async function relayOnSocket(
  response: IncomingMessage,
  socket: Duplex,
  options: { readonly maxBodyBytes?: number; readonly warnings?: readonly string[] } = {},
): Promise<{ readonly statusCode: number; readonly bytes: number }> {
  const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_REFUSAL_BODY_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (size + chunk.length > maxBytes) {
        chunks.push(chunk.subarray(0, maxBytes - size));
        cut = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch {
    cut = true;
  }
  response.destroy();
  const named = connectionOptions(headerValues(response.rawHeaders, 'connection'));
  const headers: [string, string][] = [];
  for (let index = 0; index + 1 < response.rawHeaders.length; index += 2) {
    const name = response.rawHeaders[index] ?? '';
    if (!isHopByHop(name, named)) headers.push([name, response.rawHeaders[index + 1] ?? '']);
  }
  const warnings = [...(options.warnings ?? []), ...(cut ? ['the upstream answer was cut short by the sidecar'] : [])];
  const statusCode = response.statusCode ?? 502;
  const body = Buffer.concat(chunks);
  answerOnSocket(socket, statusCode, { headers, body, warnings });
  return { statusCode, bytes: body.length };
}

function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === name) values.push(rawHeaders[index + 1] ?? '');
  }
  return values;
}
