/**
 * Policy globs: `*` matches any run of characters (dots included), everything else is literal.
 * Compiled once per policy into an anchored RegExp; the only quantifier is `.*` between literals,
 * and patterns are bounded by the CRD schema, so matching stays cheap.
 */
export type GlobMatcher = (value: string) => boolean;

export function compileGlob(pattern: string, options: { caseInsensitive?: boolean } = {}): GlobMatcher {
  if (!pattern.includes('*')) {
    if (options.caseInsensitive) {
      const lower = pattern.toLowerCase();
      return (value) => value.toLowerCase() === lower;
    }
    return (value) => value === pattern;
  }
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regexp = new RegExp(`^${source}$`, options.caseInsensitive ? 'is' : 's');
  return (value) => regexp.test(value);
}

/** Any of the patterns matches. An empty list matches nothing. */
export function compileGlobs(patterns: readonly string[], options: { caseInsensitive?: boolean } = {}): GlobMatcher {
  const matchers = patterns.map((pattern) => compileGlob(pattern, options));
  return (value) => matchers.some((match) => match(value));
}
