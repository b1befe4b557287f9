/**
 * Name globs as the API documents them (crds GLOB_HELP): `*` matches any run of characters (also
 * none), `?` one character, no escaping. Names have no `/`, so `*` and `**` match the same.
 * Case-insensitive: the pattern is lower-cased, and callers pass names already lower-cased
 * (or, for quoted identifiers, as written, so they only match patterns of the same case).
 * Used by policy rules (objects, functions, command tags) and masking (columns).
 */

/** Takes a name already lower-cased with `toLowerCase()`. */
export type NameMatcher = (lowerName: string) => boolean;

export function compileGlob(glob: string): NameMatcher {
  const pattern = glob.toLowerCase();
  const stars = pattern.split('*').length - 1;
  if (!pattern.includes('?')) {
    if (stars === 0) return (name) => name === pattern;
    if (pattern === '*') return () => true;
    if (stars === 1 && pattern.startsWith('*')) {
      const suffix = pattern.slice(1);
      return (name) => name.endsWith(suffix);
    }
    if (stars === 1 && pattern.endsWith('*')) {
      const prefix = pattern.slice(0, -1);
      return (name) => name.startsWith(prefix);
    }
  }
  const glyphs = Array.from(pattern);
  return (name) => wildcardMatch(glyphs, Array.from(name));
}

/**
 * Iterative wildcard matching, O(pattern × name) worst case, no recursion and no regex engine:
 * on a mismatch, go back to the last '*' and let it swallow one more character.
 */
function wildcardMatch(pattern: readonly string[], name: readonly string[]): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let starName = 0;
  while (n < name.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === name[n])) {
      p++;
      n++;
    } else if (c === '*') {
      star = p++;
      starName = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++starName;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
