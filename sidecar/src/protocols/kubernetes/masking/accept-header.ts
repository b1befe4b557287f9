/**
 * The Accept header a masked request is sent upstream with. The masker reads JSON only, so the
 * API server must not answer in protobuf (kubectl and client-go ask for
 * `application/vnd.kubernetes.protobuf` first when they can), nor in YAML or CBOR. Only the
 * agent's JSON media ranges are kept, with their parameters: `as=Table;g=meta.k8s.io;v=v1` is
 * how `kubectl get` asks for a Table, and the Table is what it prints.
 *
 * Wildcards (`*` / `*`, `application/*`) are dropped as well: they let the server pick the format,
 * and servers that speak CBOR (or an aggregated API server's own format) may pick one the masker
 * cannot read. When nothing is left the request asks for plain `application/json`, which every
 * Kubernetes API server serves; a response that still is not JSON is refused by `maskBody`.
 */

const JSON_MEDIA_TYPE = 'application/json';

export function jsonOnlyAccept(agentAccept: string | undefined): string {
  if (agentAccept === undefined) return JSON_MEDIA_TYPE;
  const kept: string[] = [];
  for (const range of agentAccept.split(',')) {
    const trimmed = range.trim();
    if (mediaType(trimmed) === JSON_MEDIA_TYPE) kept.push(trimmed);
  }
  return kept.length === 0 ? JSON_MEDIA_TYPE : kept.join(',');
}

/** The media type of a media range or Content-Type, lower-cased, without parameters. */
export function mediaType(value: string): string {
  const semicolon = value.indexOf(';');
  return (semicolon < 0 ? value : value.slice(0, semicolon)).trim().toLowerCase();
}

/** application/json and the structured-syntax suffix +json (merge-patch+json, ...). */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const type = mediaType(contentType);
  return type === JSON_MEDIA_TYPE || (type.startsWith('application/') && type.endsWith('+json'));
}
