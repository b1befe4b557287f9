/** A masking rule after compilation: what `compileMaskingRules` hands a protocol's masker. */
import type { NameMatcher, TableColumnMatcher } from './column-globs.ts';
import type { SpanFinder } from './span-finder.ts';
import type { Strategy } from './strategies.ts';

export interface CompiledRule {
  /** Recorded with each value it masks: "policy/rule", or "profile:pii" for a target's profile. */
  readonly name: string;
  readonly strategy: Strategy;
  /** Whole-value selectors. */
  readonly columns: readonly NameMatcher[];
  readonly tableColumns: readonly TableColumnMatcher[];
  /** Span selectors: detectors, then custom patterns. */
  readonly finders: readonly SpanFinder[];
}

export interface RankedFinder {
  readonly finder: SpanFinder;
  /** Index of the first rule that uses it: it decides the strategy where spans overlap. */
  readonly rule: number;
}

/**
 * The span finders of a rule list, each once, ranked by the first rule that names it: a detector
 * several rules name runs once, and the first rule decides its spans anyway. Row and stream
 * maskers both search with this list.
 */
export function rankFinders(rules: readonly CompiledRule[]): RankedFinder[] {
  const seen = new Set<SpanFinder>();
  const finders: RankedFinder[] = [];
  rules.forEach((rule, index) => {
    for (const finder of rule.finders) {
      if (seen.has(finder)) continue;
      seen.add(finder);
      finders.push({ finder, rule: index });
    }
  });
  return finders;
}
