/**
 * Where a port forwarding connects (`ssh -L`, `ssh -D`: a direct-tcpip channel names a host and a
 * port), and how a rule's `match.ssh.destinations` reads it (ssh-match.ts).
 *
 * The host is taken as the agent wrote it and never resolved: the sidecar cannot know what a name
 * resolves to on the host, and a rule that relied on it would be decided on a guess. So a name and
 * an address never match each other (`localhost` is not `127.0.0.1`). What is normalised is only
 * what changes nothing about where the host connects: case and one trailing dot of a name, the
 * spelling of an IPv6 address (RFC 5952, in brackets: `[::1]:5432`).
 *
 * A host is one of four kinds, and a pattern's host says which kinds it can cover:
 * - `ipv4`: a dotted quad (`10.0.0.7`); covered by a pattern of digits, dots and wildcards;
 * - `ipv6`: covered by a pattern in brackets;
 * - `name`: labels of letters, digits, `-` and `_` whose last label is not a number; covered by a
 *   name pattern;
 * - `other`: anything else, above all an address spelled another way (`127.1`, `2130706433`,
 *   `0x7f.0.0.1`, `010.0.0.1`: the host's resolver reads them as addresses) and text no resolver
 *   takes. Covered only by a host pattern of nothing but `*`.
 * A host pattern of nothing but `*` covers every host.
 *
 * Read on the safe side of each action (docs/adr/0011-allow-covers-every-facet.md):
 * - `strict` (allow): the kinds must agree, and `*` and `?` stay within one label of a name or one
 *   number of an address, so `10.0.0.*` never covers the name `10.0.0.evil.example` and
 *   `*.internal` never covers `a.db.internal`;
 * - `lenient` (deny, requireApproval): `*` crosses dots, an `other` host matches every pattern (it
 *   could be any address), and an IPv4-mapped IPv6 address is also read as its IPv4 address. A deny
 *   rule still cannot catch a name that resolves to an address it lists: allow what is needed.
 */
import { compileGlob, type NameMatcher } from './name-glob.ts';

export type DestinationHostKind = 'ipv4' | 'ipv6' | 'name' | 'other';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NAME_LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
/** A last label a resolver could read as a number (inet_aton): then the whole host may be an address. */
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/;
const IPV4_PATTERN = /^[0-9.*?]+$/;
const IPV4_MAPPED = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/** An IPv6 address in its shortest form (RFC 5952) without brackets, or undefined when it is not one. */
function canonicalIpv6(text: string): string | undefined {
  try {
    const { hostname } = new URL(`http://[${text}]/`);
    return hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

function hostKind(host: string): DestinationHostKind {
  if (IPV4.test(host)) return 'ipv4';
  if (host.includes(':')) return canonicalIpv6(host) === host ? 'ipv6' : 'other';
  if (host.length > 253) return 'other';
  const labels = host.split('.');
  if (!labels.every((label) => NAME_LABEL.test(label))) return 'other';
  return NUMERIC_LABEL.test(labels.at(-1) ?? '') ? 'other' : 'name';
}

/** Lower case, one trailing dot of a name dropped, an IPv6 address in its shortest form. */
function normalHost(host: string): string {
  const lower = host.toLowerCase();
  const bare = lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
  if (bare.includes(':')) return canonicalIpv6(bare) ?? bare;
  return bare.endsWith('.') && bare.length > 1 ? bare.slice(0, -1) : bare;
}

/** A forwarding's destination as the facts carry it: `host:port`, an IPv6 host in brackets (`[::1]:5432`). */
export function forwardDestination(host: string, port: number): string {
  const normal = normalHost(host);
  return `${normal.includes(':') ? `[${normal}]` : normal}:${port}`;
}

interface Destination {
  readonly host: string;
  readonly kind: DestinationHostKind;
  readonly port: string;
}

/** Reads back what forwardDestination wrote. */
function parseDestination(destination: string): Destination {
  const colon = destination.lastIndexOf(':');
  const written = destination.slice(0, colon);
  const host = written.startsWith('[') && written.endsWith(']') ? written.slice(1, -1) : written;
  return { host, kind: hostKind(host), port: destination.slice(colon + 1) };
}

/** `::ffff:a00:7` read as `10.0.0.7`. */
function mappedIpv4(host: string): string | undefined {
  const match = IPV4_MAPPED.exec(host);
  if (!match) return undefined;
  const [high, low] = [Number.parseInt(match[1]!, 16), Number.parseInt(match[2]!, 16)];
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

export type DestinationMatcher = (destination: string) => boolean;

/** Thrown for a pattern the CRD's validation would refuse; compile-problems.ts reports it. */
export class DestinationPatternError extends Error {
  constructor(pattern: string, why: string) {
    super(
      `destination pattern ${JSON.stringify(pattern)} ${why}: write host:port, for example db.internal:5432, 10.0.0.*:443 or [fd00::5]:*`,
    );
    this.name = 'DestinationPatternError';
  }
}

function portMatcher(pattern: string, written: string): (port: string) => boolean {
  if (written === '*') return () => true;
  if (!/^\d{1,5}$/.test(written)) throw new DestinationPatternError(pattern, 'has a port that is neither a number nor *');
  const port = String(Number(written));
  return (value) => value === port;
}

/** A glob per label, the same number of labels: `*` never crosses a dot. */
function labelMatcher(hostPattern: string): NameMatcher {
  const labels = hostPattern.split('.').map(compileGlob);
  return (host) => {
    const values = host.split('.');
    return values.length === labels.length && labels.every((match, i) => match(values[i]!));
  };
}

function hostMatcher(pattern: string, written: string, lenient: boolean): (host: string, kind: DestinationHostKind) => boolean {
  if (written === '') throw new DestinationPatternError(pattern, 'has no host');
  if (/^\*+$/.test(written)) return () => true;
  const bracketed = written.startsWith('[') && written.endsWith(']');
  const lower = written.toLowerCase();
  if (!bracketed && lower.includes(':')) throw new DestinationPatternError(pattern, 'has an IPv6 address without brackets');
  if (bracketed) {
    const inner = lower.slice(1, -1);
    // A literal address is compared in its shortest form; a glob as written (an author writes it in that form).
    const glob = compileGlob(/[*?]/.test(inner) ? inner : (canonicalIpv6(inner) ?? inner));
    if (lenient) return (host, kind) => kind === 'other' || glob(host);
    return (host, kind) => kind === 'ipv6' && glob(host);
  }
  const host = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (lenient) {
    const glob = compileGlob(host);
    return (value, kind) => {
      if (kind === 'other') return true;
      if (glob(value)) return true;
      const mapped = kind === 'ipv6' ? mappedIpv4(value) : undefined;
      return mapped !== undefined && glob(mapped);
    };
  }
  const labels = labelMatcher(host);
  const wanted: DestinationHostKind = IPV4_PATTERN.test(host) ? 'ipv4' : 'name';
  return (value, kind) => kind === wanted && labels(value);
}

/** One `host:port` pattern of `match.ssh.destinations`, read strictly (allow) or leniently (deny, requireApproval). */
export function compileDestinationPattern(pattern: string, lenient: boolean): DestinationMatcher {
  const colon = pattern.lastIndexOf(':');
  if (colon < 0) throw new DestinationPatternError(pattern, 'has no port');
  const port = portMatcher(pattern, pattern.slice(colon + 1));
  const host = hostMatcher(pattern, pattern.slice(0, colon), lenient);
  return (destination) => {
    const parsed = parseDestination(destination);
    return port(parsed.port) && host(parsed.host, parsed.kind);
  };
}
