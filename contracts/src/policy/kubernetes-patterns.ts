/**
 * How the patterns of a `match.kubernetes` read one value of a request (kubernetes-match.ts), on
 * the safe side of each action (docs/adr/0011-allow-covers-every-facet.md): `strict` for allow,
 * where a pattern covers only what it says, `lenient` for deny and requireApproval, where a
 * pattern matches whatever it could include. Globs are the API's (shell-glob.ts: `*` stays within
 * a segment, `**` crosses `/`, case counts for allow and not for deny).
 */
import { ALL_NAMESPACES, CLUSTER_SCOPE, NAMED_ONLY_SUBRESOURCES, UNNAMED_OBJECTS } from './kubernetes-facts.ts';
import { compileShellGlob, type GlobReading, type ShellTextMatcher } from './shell-glob.ts';

export type ValueMatcher = (value: string) => boolean;

const isAllStars = (pattern: string): boolean => /^\*+$/.test(pattern);
const hasWildcard = (pattern: string): boolean => /[*?]/.test(pattern);

function anyOf(patterns: readonly string[], reading: GlobReading): ShellTextMatcher {
  const compiled = patterns.map((pattern) => compileShellGlob(pattern, reading));
  return (value) => compiled.some((match) => match(value));
}

/** `pods` → ['pods'], `pods/exec` → ['pods', 'exec']; more than one `/`, or an empty side, is not a resource pattern. */
function splitResourcePattern(pattern: string): readonly [string] | readonly [string, string] {
  const parts = pattern.split('/');
  if (parts.length > 2 || parts.some((part) => part === '')) {
    throw new Error(`resources pattern "${pattern}" is not resource or resource/subresource`);
  }
  return parts.length === 2 ? [parts[0]!, parts[1]!] : [parts[0]!];
}

/**
 * Resources, as `resource` or `resource/subresource` values. A pattern without `/` names a
 * resource: for allow it covers the resource alone (pods does not cover pods/exec or pods/log, and,
 * unlike RBAC, `*` covers no subresource); for deny it matches the resource with any subresource
 * (secrets catches secrets/anything). `resource/sub` names subresources only, never the resource
 * itself. For allow, a NAMED_ONLY subresource (exec, proxy, token...) is covered only by a pattern
 * that spells it out: pods/exec does, and so does a wildcard resource with proxy spelled out;
 * pods/* does not, nor does a wildcard on both sides.
 */
export function resourceMatcher(patterns: readonly string[], reading: GlobReading): ValueMatcher {
  const strict = reading === 'strict';
  const compiled = patterns.map((pattern) => {
    const [resourcePart, subresourcePart] = splitResourcePattern(pattern);
    const resource = compileShellGlob(resourcePart, reading);
    if (subresourcePart === undefined) {
      return (name: string, sub: string | undefined) => resource(name) && (sub === undefined || !strict);
    }
    const subresource = compileShellGlob(subresourcePart, reading);
    const spelledOut = !hasWildcard(subresourcePart);
    return (name: string, sub: string | undefined) =>
      sub !== undefined && resource(name) && subresource(sub) && (!strict || spelledOut || !NAMED_ONLY_SUBRESOURCES.has(sub.toLowerCase()));
  });
  return (value) => {
    const slash = value.indexOf('/');
    const name = slash < 0 ? value : value.slice(0, slash);
    const sub = slash < 0 ? undefined : value.slice(slash + 1);
    return compiled.some((covers) => covers(name, sub));
  };
}

/**
 * Namespaces, with CLUSTER_SCOPE and ALL_NAMESPACES among the values (kubernetes-facts.ts). The
 * pattern "" stands for cluster scope and nothing else matches it. A request across all
 * namespaces: for allow only a pattern of nothing but `*` covers it (`prod-*` does not cover
 * `kubectl get pods -A`); for deny every other pattern matches it, because it includes the
 * namespaces the pattern names.
 */
export function namespaceMatcher(patterns: readonly string[], reading: GlobReading): ValueMatcher {
  const cluster = patterns.includes('');
  const named = patterns.filter((pattern) => pattern !== '');
  const everyNamespace = reading === 'strict' ? named.some(isAllStars) : named.length > 0;
  const glob = anyOf(named, reading);
  return (value) => {
    if (value === CLUSTER_SCOPE) return cluster;
    if (value === ALL_NAMESPACES) return everyNamespace;
    return glob(value);
  };
}

/**
 * Object names, with UNNAMED_OBJECTS for a request that names none. For allow only a pattern of
 * nothing but `*` covers such a request (it touches objects the rule did not name); for deny
 * every pattern matches it, since it may touch the named objects.
 */
export function nameMatcher(patterns: readonly string[], reading: GlobReading): ValueMatcher {
  const unnamed = reading === 'strict' ? patterns.some(isAllStars) : patterns.length > 0;
  const glob = anyOf(patterns, reading);
  return (value) => (value === UNNAMED_OBJECTS ? unnamed : glob(value));
}

/** Non-resource paths and API groups need nothing beyond the glob and the set. */
export const pathMatcher = anyOf;

export function exactMatcher(values: readonly string[]): ValueMatcher {
  const set = new Set(values);
  return (value) => set.has(value);
}
