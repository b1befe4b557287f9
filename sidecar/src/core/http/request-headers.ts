/**
 * Which of the agent's request headers may go to the upstream. The agent holds no credential, so
 * whatever it sends as one (Authorization, Cookie) is dropped and the sidecar adds its own; framing
 * and connection headers are dropped because the sidecar re-frames the request it read whole
 * (that is what makes request smuggling towards the upstream impossible: the upstream only ever
 * sees a Content-Length the sidecar computed from the bytes it holds).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { connectionOptions, isHopByHop } from './hop-by-hop.ts';

/**
 * Dropped besides the hop-by-hop headers. Expect: the listener already answered the expectation
 * (100-continue) and the body is read whole before it goes upstream.
 */
const NEVER_FORWARDED: ReadonlySet<string> = new Set(['authorization', 'cookie', 'host', 'content-length', 'expect']);

/**
 * The agent's headers as they may go upstream: without hop-by-hop headers (Connection and the
 * headers it names, Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade — except
 * Connection/Upgrade when `upgrade` is true), without Authorization and Cookie (the agent holds
 * no credential; the sidecar adds its own), without Host (the client sets it), and without
 * Content-Length (the caller sets it from the body it read).
 */
export function forwardableRequestHeaders(headers: IncomingHttpHeaders, options: { readonly upgrade: boolean }): OutgoingHttpHeaders {
  const named = connectionOptions(headers.connection);
  // An upgrade keeps its own two headers, but still not the other headers Connection names.
  named.delete('upgrade');
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (NEVER_FORWARDED.has(lower)) continue;
    if (options.upgrade && (lower === 'connection' || lower === 'upgrade')) continue;
    if (isHopByHop(lower, named)) continue;
    forwarded[lower] = value;
  }
  if (options.upgrade && headers.upgrade !== undefined) {
    forwarded.connection = 'Upgrade';
    forwarded.upgrade = headers.upgrade;
  }
  return forwarded;
}

/** Header names present whose prefix is listed (e.g. ['impersonate-']) — the caller refuses such requests. */
export function headersWithPrefix(headers: IncomingHttpHeaders, prefixes: readonly string[]): string[] {
  const lowered = prefixes.map((prefix) => prefix.toLowerCase());
  return Object.keys(headers)
    .map((name) => name.toLowerCase())
    .filter((name) => headers[name] !== undefined && lowered.some((prefix) => name.startsWith(prefix)));
}
