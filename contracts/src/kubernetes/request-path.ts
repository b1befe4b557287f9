/**
 * The segments of a request path, read stricter than the API server reads them. The API server
 * trims the slashes at both ends, decodes the path (%2F included), then splits it at `/`; it never
 * resolves `.` or `..`. Whatever a path means, it then means to every layer in front of the API
 * server too (this parser, a policy, an audit reader, a proxy that normalizes), so only spellings
 * that cannot mean two things are placed:
 *
 * - an encoded slash would split into more segments at the API server than here;
 * - `.` and `..` segments are resolved by some HTTP stacks and URL libraries and not by others;
 * - an empty segment (`//`, a trailing `/`) is dropped by the API server but not by every reader;
 * - a decoded `%` (from %25) invites a second decoding further on, a backslash is a separator to
 *   some stacks, and anything but visible ASCII could make a reviewer read a name that is not
 *   there. No Kubernetes name holds any of these.
 */
import { type UnknownRequestInfo, unknownRequest } from './request-info.ts';

/** RFC 3986 path characters: unreserved, sub-delims, `:`, `@`, `/`, and `%` escapes (checked when decoding). */
const PATH_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
const ENCODED_SLASH = /%2f/i;
/** Visible ASCII without `%` and `\`. */
const PLAIN_SEGMENT = /^[\x21-\x24\x26-\x5b\x5d-\x7e]+$/;

/** The decoded segments of a path that starts with `/`; [] for `/`. */
export function splitRequestPath(rawPath: string): readonly string[] | UnknownRequestInfo {
  if (!rawPath.startsWith('/') || !PATH_CHARACTERS.test(rawPath)) {
    return unknownRequest('MalformedPath', 'the path is not an absolute path of URL characters');
  }
  if (rawPath === '/') return [];
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    if (raw === '') {
      return unknownRequest('EmptySegment', 'the path has an empty segment (// or a trailing /), which the API server drops');
    }
    if (ENCODED_SLASH.test(raw)) {
      return unknownRequest('EncodedSlash', 'a path segment holds an encoded slash (%2F), which the API server decodes before splitting');
    }
    const decoded = decodeSegment(raw);
    if (decoded === undefined) return unknownRequest('MalformedPath', 'a path segment has a bad percent escape or is not UTF-8');
    if (decoded === '.' || decoded === '..') {
      return unknownRequest('DotSegment', 'the path has a . or .. segment, which some layers resolve and the API server does not');
    }
    if (!PLAIN_SEGMENT.test(decoded)) {
      return unknownRequest('MalformedPath', 'a path segment decodes to something other than visible ASCII, or to % or \\');
    }
    segments.push(decoded);
  }
  return segments;
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
