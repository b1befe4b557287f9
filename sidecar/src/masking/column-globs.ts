/**
 * Column selectors: `columns` globs match a result column's name, `tableColumns` globs match
 * schema.table.column. `*` matches any run of characters (also none), `?` one character; there
 * is no escaping, and quoted identifiers that contain a dot cannot be named in tableColumns.
 * Case-insensitive, because PostgreSQL folds unquoted identifiers and authors write either case.
 * Compiled once per policy; evaluated once per RowDescription, never per row.
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

export interface TableColumnMatcher {
  readonly schema: NameMatcher;
  readonly table: NameMatcher;
  readonly column: NameMatcher;
}

/** Parses 'schema.table.column' (each part a glob); null when it does not have exactly three non-empty parts. */
export function compileTableColumn(selector: string): TableColumnMatcher | null {
  const parts = selector.split('.');
  if (parts.length !== 3 || parts.some((part) => part === '')) return null;
  const [schema, table, column] = parts as [string, string, string];
  return { schema: compileGlob(schema), table: compileGlob(table), column: compileGlob(column) };
}
