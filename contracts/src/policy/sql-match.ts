/**
 * Compiles a rule's `match.sql` into a FacetMatch over a statement's classification: kinds,
 * command tags, objects, functions and writesWithoutWhere are its facets, read the way the rule's
 * action reads them (facet-match.ts: allow covers every value, deny and approval match any). A
 * rule for another protocol never matches SQL; an empty match matches every statement.
 *
 * Unqualified names (`orders` rather than `public.orders`) resolve through the session's
 * search_path, which the sidecar does not track (changing it is `privilege`, see
 * statement-shape.ts). So names are matched on the safe side of each action:
 * - deny and approval rules match leniently: a pattern for `billing.orders` catches `orders`, and a
 *   pattern without a schema (`wipe`) catches the name in any schema (`public.wipe`);
 * - allow rules match strictly: an unqualified name only matches patterns for the `public`
 *   schema, and a qualified name only a pattern that matches it whole.
 */
import type { PolicyRule, SQLMatch } from '@airlock/crds';
import { compileFacetMatch, constantMatch, coverageFor, type FacetConstraint, type FacetMatch } from './facet-match.ts';
import { compileGlob, type NameMatcher } from './name-glob.ts';
import type { OperationFacts } from './operation.ts';

/** What a statement does, in the policy's words (ApprovalPolicy `match.sql.statementKinds`). */
export type SqlStatementKind = NonNullable<SQLMatch['statementKinds']>[number];

/** The facets of one SQL statement a `match.sql` reads; the sidecar's classifier derives them from the parse tree. */
export interface SqlFacts extends OperationFacts {
  /** Every kind that applies; a data-modifying CTE is both read and write. */
  readonly kinds: readonly SqlStatementKind[];
  /** PostgreSQL command tags: SELECT, INSERT, DROP TABLE, ALTER SYSTEM, ... (the outer statement first). */
  readonly commands: readonly string[];
  /** Relations touched, as written, lower-cased: `public.orders` or `orders` when unqualified. */
  readonly objects: readonly string[];
  /** Functions called, as written, lower-cased: `pg_terminate_backend`, `pg_catalog.now`. */
  readonly functions: readonly string[];
  /** An UPDATE or DELETE (anywhere in the statement) has no WHERE clause. */
  readonly writesWithoutWhere: boolean;
}

export type StatementMatch = FacetMatch<SqlFacts>;
type StatementConstraint = FacetConstraint<SqlFacts>;

/** Matches schema-qualified patterns against names that may or may not be qualified. */
function nameMatcher(patterns: readonly string[], lenient: boolean): NameMatcher {
  const compiled = patterns.map((pattern) => {
    const dot = pattern.lastIndexOf('.');
    const whole = compileGlob(pattern);
    const schema = dot >= 0 ? compileGlob(pattern.slice(0, dot)) : undefined;
    const name = dot >= 0 ? compileGlob(pattern.slice(dot + 1)) : whole;
    return (value: string): boolean => {
      if (whole(value)) return true;
      const valueDot = value.lastIndexOf('.');
      if (valueDot >= 0) return lenient && schema === undefined && name(value.slice(valueDot + 1));
      if (schema === undefined) return false;
      return name(value) && (lenient || schema('public'));
    };
  });
  return (value) => compiled.some((match) => match(value));
}

/**
 * Command tags. For deny and approval a pattern also names every tag it is the first words of
 * (TRUNCATE catches "TRUNCATE TABLE", SELECT catches "SELECT FOR UPDATE"); for allow a pattern
 * names the whole tag (SELECT does not cover "SELECT INTO" or "SELECT FOR UPDATE"; list each
 * tag an allow rule covers: DROP TABLE, DROP INDEX).
 */
function commandMatcher(patterns: readonly string[], lenient: boolean): NameMatcher {
  const compiled = patterns.map((pattern) => {
    const lower = pattern.toLowerCase();
    const glob = compileGlob(lower);
    return (tag: string): boolean => tag === lower || glob(tag) || (lenient && tag.startsWith(`${lower} `));
  });
  return (tag) => compiled.some((match) => match(tag.toLowerCase()));
}

/** The facets a SQL match constrains; exported for the policy tools that explain a decision. */
export function sqlConstraints(sql: SQLMatch, action: PolicyRule['action']): StatementConstraint[] {
  const lenient = action !== 'allow';
  const constraints: StatementConstraint[] = [];
  if (sql.statementKinds?.length) {
    const kinds = new Set<string>(sql.statementKinds);
    constraints.push({ facet: 'kind', valuesOf: (s) => s.kinds, accepts: (kind) => kinds.has(kind) });
  }
  if (sql.commands?.length) {
    constraints.push({ facet: 'command', valuesOf: (s) => s.commands, accepts: commandMatcher(sql.commands, lenient) });
  }
  if (sql.objects?.length) {
    constraints.push({ facet: 'object', valuesOf: (s) => s.objects, accepts: nameMatcher(sql.objects, lenient) });
  }
  if (sql.functions?.length) {
    constraints.push({ facet: 'function', valuesOf: (s) => s.functions, accepts: nameMatcher(sql.functions, lenient) });
  }
  if (sql.writesWithoutWhere !== undefined) {
    const want = String(sql.writesWithoutWhere);
    constraints.push({
      facet: 'writesWithoutWhere',
      valuesOf: (s) => [String(s.writesWithoutWhere)],
      accepts: (value) => value === want,
    });
  }
  return constraints;
}

export function compileSqlMatch(rule: Pick<PolicyRule, 'match' | 'action'>): StatementMatch {
  const { match } = rule;
  const coverage = coverageFor(rule.action);
  const others = match.ssh ?? match.http ?? match.kubernetes;
  if (match.sql === undefined) return constantMatch(others === undefined, coverage);
  return compileFacetMatch(sqlConstraints(match.sql, rule.action), coverage);
}
