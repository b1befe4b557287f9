/**
 * What a stream must come out as: the whole text masked at once, written independently of the
 * stream masker (no prefilter, no cuts, no byte offsets), the way PostgreSQL's masker treats one
 * text value. The stream tests compare against it.
 */
import type { CompiledRule } from '../compiled-rule.ts';
import type { SpanFinder } from '../span-finder.ts';
import { mergeSpans, type RuleSpan, rewriteSpans } from '../span-rewrite.ts';
import { maskSpan } from '../strategies.ts';
import type { StreamMasker } from '../stream-masker.ts';

export interface WholeTextResult {
  readonly text: string;
  /** Masked spans (after merging). */
  readonly spans: number;
}

export function maskWholeText(rules: readonly CompiledRule[], text: string): WholeTextResult {
  const seen = new Set<SpanFinder>();
  const spans: RuleSpan[] = [];
  rules.forEach((rule, index) => {
    for (const finder of rule.finders) {
      if (seen.has(finder)) continue;
      seen.add(finder);
      const sink: number[] = [];
      finder.findSpans(text, sink);
      for (let k = 0; k + 1 < sink.length; k += 2) spans.push({ start: sink[k]!, end: sink[k + 1]!, rule: index });
    }
  });
  const merged = mergeSpans(spans);
  return {
    text: rewriteSpans(text, merged, (span, original) => maskSpan(rules[span.rule]!.strategy, original), false),
    spans: merged.length,
  };
}

/** Pushes `bytes` cut at `cuts` (sorted positions inside it), then flushes; returns everything released. */
export function streamThrough(masker: StreamMasker, bytes: Uint8Array, cuts: readonly number[]): Buffer {
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut <= from) continue;
    out.push(masker.push(bytes.subarray(from, cut)));
    from = cut;
  }
  out.push(masker.flush());
  return Buffer.concat(out);
}

/** Every position: the stream arrives one byte at a time, like keystrokes echoed by a shell. */
export function everyByte(length: number): number[] {
  return Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1);
}
