/**
 * Column selectors: `columns` globs match a result column's name, `tableColumns` globs match
 * schema.table.column. `*` matches any run of characters (also none), `?` one character; there
 * is no escaping, and quoted identifiers that contain a dot cannot be named in tableColumns.
 * Case-insensitive, because PostgreSQL folds unquoted identifiers and authors write either case.
 * Compiled once per policy; evaluated once per RowDescription, never per row.
 */

import { compileGlob, type NameMatcher } from '../policy/name-glob.ts';

export { compileGlob, type NameMatcher };

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
