/**
 * Values masked, by rule name: what the session record and metrics report for one response or
 * watch stream. A null-prototype record, so a rule named "constructor" or "__proto__" counts like
 * any other.
 */

/** Values masked, by rule name ("kubernetes:secret-data" for the built-in Secret rule, "policy/rule" for policy rules, "profile:pii" ...). */
export type MaskCounts = Readonly<Record<string, number>>;

/** The name Secret values are counted under when no policy rule chose their strategy. */
export const SECRET_DATA_RULE = 'kubernetes:secret-data';

export type MutableCounts = Record<string, number>;

export function newCounts(): MutableCounts {
  return Object.create(null) as MutableCounts;
}

export function addCount(counts: MutableCounts, rule: string, by = 1): void {
  counts[rule] = (counts[rule] ?? 0) + by;
}

export function addCounts(into: MutableCounts, from: MaskCounts): void {
  for (const rule of Object.keys(from)) addCount(into, rule, from[rule]);
}
