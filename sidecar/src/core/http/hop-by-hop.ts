/**
 * Hop-by-hop headers (RFC 9110 section 7.6.1): they describe one connection, so a proxy never passes
 * them on, in either direction. Connection may name more of them; those go too. Shared by the
 * request side (request-headers.ts) and the response side (response-relay.ts).
 */

/** Always connection-scoped, whatever Connection says. Lower case, as node delivers header names. */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** The header names a Connection header value lists (`close`, `keep-alive`, `upgrade`, or any other), lower case. */
export function connectionOptions(value: string | readonly string[] | undefined): Set<string> {
  const values = value === undefined ? [] : typeof value === 'string' ? [value] : value;
  const names = new Set<string>();
  for (const item of values) {
    for (const token of item.split(',')) {
      const name = token.trim().toLowerCase();
      if (name) names.add(name);
    }
  }
  return names;
}

/** True for a header a proxy must not pass on: a hop-by-hop header, or one that Connection names. */
export function isHopByHop(name: string, named: ReadonlySet<string>): boolean {
  const lower = name.toLowerCase();
  return HOP_BY_HOP_HEADERS.has(lower) || lower.startsWith('proxy-') || named.has(lower);
}
