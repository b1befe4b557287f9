/**
 * Globs over what a shell command line says: program names, argument strings and file paths
 * (ssh-match.ts). The syntax is the API's (crds GLOB_HELP): `*` matches any characters except `/`,
 * `**` also matches `/`, `?` matches one character; no escaping.
 *
 * Text that the shell fills in only when it runs (a variable, a command substitution, a file-name
 * glob of the command line itself) reaches the policy as SHELL_DYNAMIC: it could be anything. How a
 * pattern reads such text, and everything else, depends on the side of the decision
 * (docs/adr/0011-allow-covers-every-facet.md, "matching on the safe side of each action"):
 *
 * - `strict`, for allow rules: the pattern must match whatever the shell fills in. So SHELL_DYNAMIC is
 *   matched only by `**` (a `*` stops at `/`, and the value could hold one); a value that climbs out
 *   of a directory (a `..` segment) is matched by a pattern with wildcards only when it is nothing but
 *   `**` (`/tmp/**` does not cover `/tmp/../etc/passwd`); and case counts (`RM` is not `rm` on the host).
 * - `lenient`, for deny and requireApproval rules: the pattern matches when it could match. So
 *   SHELL_DYNAMIC matches any text, `*` and `?` also match `/`, and case does not count.
 *
 * Matching is a table over pattern × value (O(m·n), no backtracking, no regex engine): patterns are
 * at most 1 KiB (the CRD), values at most the command line's limit.
 */

/** Stands for text the shell fills in at run time (U+FFFC OBJECT REPLACEMENT CHARACTER). */
export const SHELL_DYNAMIC = '\u{FFFC}';

export type GlobReading = 'strict' | 'lenient';

type Token = { readonly kind: 'char'; readonly char: string } | { readonly kind: 'one' | 'star' | 'globstar' };

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  const glyphs = Array.from(pattern);
  for (let i = 0; i < glyphs.length; i++) {
    const glyph = glyphs[i]!;
    if (glyph === '*') {
      let run = 1;
      while (glyphs[i + 1] === '*') {
        run++;
        i++;
      }
      tokens.push({ kind: run > 1 ? 'globstar' : 'star' });
    } else if (glyph === '?') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char: glyph });
  }
  return tokens;
}

const DOT_DOT_SEGMENT = /(^|[/\s])\.\.($|[/\s])/;

/** A value of one facet, already in the form the facts give it (SHELL_DYNAMIC where the shell fills in). */
export type ShellTextMatcher = (value: string) => boolean;

export function compileShellGlob(pattern: string, reading: GlobReading): ShellTextMatcher {
  const strict = reading === 'strict';
  const tokens = tokenize(strict ? pattern : pattern.toLowerCase());
  const onlyGlobstars = tokens.length > 0 && tokens.every((token) => token.kind === 'globstar');
  // A wildcard could be hiding a climb out of the directory it names; a literal pattern says exactly what it allows.
  const climbable = !onlyGlobstars && tokens.some((token) => token.kind !== 'char');
  const literal = tokens.every((token) => token.kind === 'char') ? (strict ? pattern : pattern.toLowerCase()) : undefined;

  const eats = (token: Token, glyph: string): boolean => {
    if (glyph === SHELL_DYNAMIC) return !strict || token.kind === 'globstar';
    if (token.kind === 'char') return token.char === glyph;
    if (token.kind === 'globstar' || !strict) return true;
    return glyph !== '/';
  };

  return (raw) => {
    const value = strict ? raw : raw.toLowerCase();
    if (strict && climbable && DOT_DOT_SEGMENT.test(value)) return false;
    if (literal !== undefined && !value.includes(SHELL_DYNAMIC)) return value === literal;
    const glyphs = Array.from(value);
    const n = glyphs.length;
    // reach[j]: the first i tokens can produce the first j glyphs of the value.
    let previous = new Uint8Array(n + 1);
    previous[0] = 1;
    // Lenient only: a dynamic glyph may stand for any text, so with no tokens used it can still vanish.
    if (!strict) for (let j = 1; j <= n; j++) previous[j] = previous[j - 1]! & Number(glyphs[j - 1] === SHELL_DYNAMIC);
    for (const token of tokens) {
      const current = new Uint8Array(n + 1);
      const repeating = token.kind === 'star' || token.kind === 'globstar';
      for (let j = 0; j <= n; j++) {
        let reached = false;
        if (repeating) {
          // Empty, or one more glyph for the same star.
          reached = previous[j] === 1 || (j > 0 && current[j - 1] === 1 && eats(token, glyphs[j - 1]!));
        } else {
          reached = j > 0 && previous[j - 1] === 1 && eats(token, glyphs[j - 1]!);
          // Lenient: a dynamic glyph at j can produce this token and go on producing.
          if (!strict && !reached && j < n && glyphs[j] === SHELL_DYNAMIC) reached = previous[j] === 1;
        }
        // Lenient: a dynamic glyph can end having produced nothing more.
        if (!strict && !reached && j > 0 && glyphs[j - 1] === SHELL_DYNAMIC) reached = current[j - 1] === 1;
        current[j] = reached ? 1 : 0;
      }
      previous = current;
    }
    return previous[n] === 1;
  };
}
