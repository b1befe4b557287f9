/**
 * The policy's masking rules applied to one JSON value at a time. Column rules (`columns`) match
 * the value's JSON key and mask the whole value; span rules (detectors, patterns) scan string
 * values and mask what they find, as the PostgreSQL row masker does for a text field: the first
 * rule whose column glob matches decides, a whole-value mask hides every span so string values a
 * column rule selected are not scanned, and overlapping spans are decided by the first rule
 * (contracts `rankFinders` / `mergeSpans`).
 *
 * Numbers and booleans are never scanned (a detector finds spans in text; a card number stored
 * as a JSON number is not what Kubernetes objects hold). When a column rule selects one it becomes
 * JSON null whatever the strategy: a masked string ("****", "h:...") where an integer belongs
 * would make typed clients (client-go, kubectl's typed printers) fail to decode the whole object,
 * while null decodes everywhere (Go leaves the zero value), and a number cannot carry a redaction.
 */
import {
  type CompiledRule,
  maskSpan,
  maskWhole,
  measure,
  mergeSpans,
  newFeatures,
  type RankedFinder,
  type RuleSpan,
  rankFinders,
  rewriteSpans,
  type ValueFeatures,
} from '@airlock/contracts/masking';
import { addCount, type MutableCounts } from './mask-counts.ts';

/** Keys repeat across a response (every pod has `name`, `image`); ConfigMap keys and labels do not, so the cache is bounded. */
const COLUMN_CACHE_LIMIT = 4096;

export class PolicyValueMasker {
  readonly #rules: readonly CompiledRule[];
  readonly #finders: readonly RankedFinder[];
  readonly #hasColumns: boolean;
  readonly #columnCache = new Map<string, CompiledRule | null>();
  // Scratch for one scan at a time: masking is synchronous.
  readonly #features: ValueFeatures = newFeatures();
  readonly #sink: number[] = [];

  constructor(rules: readonly CompiledRule[]) {
    this.#rules = rules;
    this.#finders = rankFinders(rules);
    this.#hasColumns = rules.some((rule) => rule.columns.length > 0);
  }

  /** The first rule whose `columns` match the key (case-insensitive), or undefined. */
  columnRule(key: string | undefined): CompiledRule | undefined {
    if (key === undefined || !this.#hasColumns) return undefined;
    let rule = this.#columnCache.get(key);
    if (rule === undefined) {
      const lower = key.toLowerCase();
      rule = this.#rules.find((candidate) => candidate.columns.some((matches) => matches(lower))) ?? null;
      if (this.#columnCache.size >= COLUMN_CACHE_LIMIT) this.#columnCache.clear();
      this.#columnCache.set(key, rule);
    }
    return rule ?? undefined;
  }

  /**
   * A string value under `key` (and, for name/value pairs such as env vars, under the pair's
   * name too): the same string when nothing matched, the masked text, or null (strategy null).
   */
  maskString(text: string, key: string | undefined, pairName: string | undefined, counts: MutableCounts): string | null {
    const rule = this.columnRule(key) ?? this.columnRule(pairName);
    if (rule) {
      addCount(counts, rule.name);
      return maskWhole(rule.strategy, Buffer.from(text, 'utf8'));
    }
    return this.#finders.length === 0 ? text : this.#scan(text, counts);
  }

  /** A number or boolean (or a number kept as its source text): null when a column rule selects its key, otherwise itself. */
  maskScalar<T>(value: T, key: string | undefined, pairName: string | undefined, counts: MutableCounts): T | null {
    const rule = this.columnRule(key) ?? this.columnRule(pairName);
    if (!rule) return value;
    addCount(counts, rule.name);
    return null;
  }

  #scan(text: string, counts: MutableCounts): string | null {
    if (text.length === 0) return text;
    const bytes = Buffer.from(text, 'utf8');
    const features = measure(bytes, 0, bytes.length, this.#features);
    const spans: RuleSpan[] = [];
    const sink = this.#sink;
    for (const { finder, rule } of this.#finders) {
      if (!finder.mayMatch(features, bytes, 0, bytes.length)) continue;
      sink.length = 0;
      finder.findSpans(text, sink);
      for (let k = 0; k + 1 < sink.length; k += 2) spans.push({ start: sink[k]!, end: sink[k + 1]!, rule });
    }
    if (spans.length === 0) return text;
    const merged = mergeSpans(spans);
    const only = merged.length === 1 ? merged[0] : undefined;
    // A span that is the whole value can honour strategy null, as in the row masker.
    if (only && only.start === 0 && only.end === text.length && this.#rules[only.rule]!.strategy.kind === 'null') {
      addCount(counts, this.#rules[only.rule]!.name);
      return null;
    }
    const masking = new Set<string>();
    const out = rewriteSpans(
      text,
      merged,
      (span, original) => {
        const rule = this.#rules[span.rule]!;
        masking.add(rule.name);
        return maskSpan(rule.strategy, original);
      },
      false,
    );
    for (const name of masking) addCount(counts, name);
    return out;
  }
}
