/**
 * Proves that a rule can never decide. Within a policy the strictest matching rule decides (deny,
 * then requireApproval, then allow), and among rules of the same action the first in order
 * (docs/adr/0011-allow-covers-every-facet.md). So a rule never decides when another rule matches
 * every command it matches and is stricter, or has the same action and comes first.
 *
 * Only proofs: a false "never decides" warning would teach authors to ignore warnings, so every
 * step is a sufficient condition and anything the proof cannot establish counts as "may decide".
 * The proof treats a command's facets (kinds, command tags, objects, functions, ...) as
 * independent. Real commands are a subset of those combinations, so inclusion over all of them
 * implies inclusion over the real ones. Both rules are conjunctions of per-field conditions, so
 * one rule covers another when each field it sets covers the other rule's condition on that facet
 * (an unset field on the other rule allows any value).
 *
 * How a list matches depends on the action (CRD RuleMatch, security invariant 4):
 *   allow ("every"): every value of the facet is listed; a command without values passes vacuously.
 *   deny, requireApproval ("any"): at least one value is listed; a command without values fails.
 * So an "any" list never covers an "every" list on a facet that can be empty (an allow rule for
 * objects [x] matches `SELECT 1`, a deny rule for objects [x] does not), and an "every" list never
 * covers an "any" one (the deny rule also matches commands with values outside the list).
 */
import type { PolicyRule } from '@airlock/crds';
import { fieldShape, fieldsReadByAllowWhenUnset, type ListField, type MatchView, viewMatch } from './match-fields.ts';

type Family = 'every' | 'any';

const familyOf = (action: PolicyRule['action']): Family => (action === 'allow' ? 'every' : 'any');

const SEVERITY: Readonly<Record<PolicyRule['action'], number>> = { allow: 0, requireApproval: 1, deny: 2 };

/**
 * The first rule proven to decide every command `rules[index]` matches: a stricter rule
 * anywhere in the policy, or an earlier rule with the same action.
 */
export function shadowingRule(rules: readonly PolicyRule[], index: number): PolicyRule | undefined {
  const rule = rules[index];
  if (rule === undefined) return undefined;
  return rules.find((other, at) => {
    if (at === index) return false;
    const wins = SEVERITY[other.action] > SEVERITY[rule.action] || (other.action === rule.action && at < index);
    return wins && covers(other, rule);
  });
}

/** True only when `wider` provably matches every command `narrower` matches. */
export function covers(wider: Pick<PolicyRule, 'match' | 'action'>, narrower: Pick<PolicyRule, 'match' | 'action'>): boolean {
  const a = familyOf(wider.action);
  const b = familyOf(narrower.action);
  // A command that cannot be classified is never allowed: whether an allow rule still "matches"
  // it (and is overruled) or leaves it to other rules is the sidecar's business, so an allow
  // rule is never taken to cover a deny or approval rule.
  if (a === 'every' && b === 'any') return false;
  return matchCovers(viewMatch(wider.match), a, viewMatch(narrower.match), b);
}

function matchCovers(wider: MatchView, a: Family, narrower: MatchView, b: Family): boolean {
  if (wider.protocol === undefined) return true; // an empty match matches every command
  if (narrower.protocol !== wider.protocol) return false; // an empty match also matches other protocols
  if (a === 'every') {
    // Fields an allow rule reads also when unset (SSH writes, sudo, request types): the two allow
    // rules read them alike only when they set them alike.
    for (const name of fieldsReadByAllowWhenUnset(wider.protocol)) {
      if (!sameValue(wider.fields.get(name), narrower.fields.get(name))) return false;
    }
  }
  for (const [name, value] of wider.fields) {
    const shape = fieldShape(wider.protocol, name);
    if (shape === undefined) return false;
    const other = narrower.fields.get(name);
    if (shape.shape === 'flag') {
      if (typeof value !== 'boolean' || other !== value) return false;
      // `sudo: true` narrows a deny rule and widens an allow rule: equal values mean different things.
      if (shape.readByAllowWhenUnset === true && a !== b) return false;
    } else if (typeof value === 'boolean' || typeof other === 'boolean' || !listCovers(shape, value, a, other, b)) {
      return false;
    }
  }
  return true;
}

function sameValue(one: readonly string[] | boolean | undefined, other: readonly string[] | boolean | undefined): boolean {
  if (typeof one !== 'object' || typeof other !== 'object') return one === other;
  return one.length === other.length && one.every((value) => other.includes(value));
}

function listCovers(shape: ListField, wider: readonly string[], a: Family, narrower: readonly string[] | undefined, b: Family): boolean {
  // An empty list constrains nothing today; it could come to mean "matches nothing", so the
  // wider rule proves nothing through it. On the narrower rule it is read as unset, the widest.
  if (wider.length === 0) return false;
  const constrained = narrower !== undefined && narrower.length > 0;
  if (!constrained) {
    // The narrower rule allows any values here, none included; only a list matching every value covers that.
    if (!isUniversal(shape, wider)) return false;
    return a === 'every' || shape.neverEmpty;
  }
  if (a === 'any' && b === 'every' && !shape.neverEmpty) return false;
  return narrower.every((value) => listIncludes(shape, wider, a === 'any' && b === 'any', value));
}

const isAllStars = (pattern: string): boolean => /^\*+$/.test(pattern);

function isUniversal(shape: ListField, patterns: readonly string[]): boolean {
  return shape.comparison === 'nameGlob' && patterns.some(isAllStars);
}

/**
 * Every value `value` matches is matched by one of `patterns`. `lenient`: both rules are deny or
 * approval rules, whose command patterns also match the longer tags they are the first words of.
 */
function listIncludes(shape: ListField, patterns: readonly string[], lenient: boolean, value: string): boolean {
  switch (shape.comparison) {
    case 'exact':
    case 'opaqueGlob':
      return patterns.includes(value);
    case 'commandTag': {
      const tag = value.toLowerCase();
      return patterns.some((pattern) => {
        const other = pattern.toLowerCase();
        return tag === other || (lenient && tag.startsWith(`${other} `));
      });
    }
    case 'nameGlob':
      return patterns.some((pattern) => isAllStars(pattern) || pattern.toLowerCase() === value.toLowerCase());
  }
}
