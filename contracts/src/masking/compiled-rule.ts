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
