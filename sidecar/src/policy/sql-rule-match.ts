/**
 * Compiles a rule's `match.sql` into a predicate over a statement's classification. Every field
 * that is set must match; within a list, any entry. A rule for another protocol never matches SQL;
 * an empty match matches every statement.
 *
 * Unqualified names (`orders` rather than `public.orders`) resolve through the session's
 * search_path, which the sidecar does not track. So they are matched leniently where that is the
 * safe side — a deny or approval rule for `billing.orders` also catches `orders` — and strictly
 * for allow rules, where an unqualified name only matches patterns for the `public` schema.
 */
import type { PolicyRule, SQLMatch } from '@airlock/crds';
import { compileGlob, type NameMatcher } from '../name-glob.ts';
import type { StatementClassification } from '../sql/classification.ts';

export type StatementPredicate = (statement: StatementClassification) => boolean;

const ALWAYS: StatementPredicate = () => true;
const NEVER: StatementPredicate = () => false;

/** Matches schema-qualified patterns against names that may or may not be qualified. */
function nameMatcher(patterns: readonly string[], lenientUnqualified: boolean): NameMatcher {
  const compiled = patterns.map((pattern) => {
    const dot = pattern.lastIndexOf('.');
    const whole = compileGlob(pattern);
    const schema = dot >= 0 ? compileGlob(pattern.slice(0, dot)) : undefined;
    const name = dot >= 0 ? compileGlob(pattern.slice(dot + 1)) : whole;
    return (value: string): boolean => {
      if (whole(value)) return true;
      if (value.includes('.') || schema === undefined) return false;
      return name(value) && (lenientUnqualified || schema('public'));
    };
  });
  return (value) => compiled.some((match) => match(value));
}

/** A pattern names a command tag when equal, or a prefix of it: TRUNCATE matches "TRUNCATE TABLE". */
function commandMatcher(patterns: readonly string[]): NameMatcher {
  const compiled = patterns.map((pattern) => {
    const lower = pattern.toLowerCase();
    const glob = compileGlob(lower);
    return (tag: string): boolean => tag === lower || tag.startsWith(`${lower} `) || glob(tag);
  });
  return (tag) => compiled.some((match) => match(tag));
}

export function compileSqlMatch(rule: Pick<PolicyRule, 'match' | 'action'>): StatementPredicate {
  const { match } = rule;
  const others = match.ssh ?? match.http ?? match.kubernetes;
  const sql: SQLMatch | undefined = match.sql;
  if (sql === undefined) return others === undefined ? ALWAYS : NEVER;
  const lenient = rule.action !== 'allow';
  const checks: StatementPredicate[] = [];
  if (sql.statementKinds?.length) {
    const kinds = new Set(sql.statementKinds);
    checks.push((s) => s.kinds.some((kind) => kinds.has(kind)));
  }
  if (sql.commands?.length) {
    const matches = commandMatcher(sql.commands);
    checks.push((s) => s.commands.some((command) => matches(command.toLowerCase())));
  }
  if (sql.objects?.length) {
    const matches = nameMatcher(sql.objects, lenient);
    checks.push((s) => s.objects.some(matches));
  }
  if (sql.functions?.length) {
    const matches = nameMatcher(sql.functions, lenient);
    checks.push((s) => s.functions.some(matches));
  }
  if (sql.writesWithoutWhere !== undefined) {
    const want = sql.writesWithoutWhere;
    checks.push((s) => s.writesWithoutWhere === want);
  }
  return (statement) => checks.every((check) => check(statement));
}
