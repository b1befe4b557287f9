/**
 * What a stream must come out as: the whole text masked at once, written independently of the
 * stream masker (no prefilter, no cuts, no byte offsets), the way PostgreSQL's masker treats one
 * text value. The stream tests compare against it.
 *
 * Terminal escape sequences are not text (terminal-text.ts reads them): the finders read the text
 * with them taken out; a masked span's replacement stands where its first character stood and the
 * sequences inside it follow; each string payload is masked as a text of its own.
 */
import type { CompiledRule } from '../compiled-rule.ts';
import type { SpanFinder } from '../span-finder.ts';
import { mergeSpans, type RuleSpan, rewriteSpans } from '../span-rewrite.ts';
import { maskSpan } from '../strategies.ts';
import type { StreamMasker } from '../stream-masker.ts';
import { splitTerminalText } from './terminal-text.ts';

export interface WholeTextResult {
  readonly text: string;
  /** Masked spans (after merging). */
  readonly spans: number;
}

export function maskWholeText(rules: readonly CompiledRule[], text: string): WholeTextResult {
  const pieces = splitTerminalText(text);
  if (pieces.every((piece) => piece.role === 'text')) return maskPlainText(rules, text);
  const shown = pieces.flatMap((piece) => (piece.role === 'text' ? [piece.text] : [])).join('');
  const spans = findSpans(rules, shown);
  let spanCount = spans.length;
  let out = '';
  let at = 0;
  let next = 0;
  for (const piece of pieces) {
    if (piece.role === 'control') out += piece.text;
    else if (piece.role === 'payload') {
      const masked = maskPlainText(rules, piece.text);
      out += masked.text;
      spanCount += masked.spans;
    } else {
      for (const unit of piece.text) {
        for (let k = 0; k < unit.length; k++, at++) {
          while (next < spans.length && spans[next]!.end <= at) next++;
          const span = spans[next];
          if (span === undefined || at < span.start) out += unit[k];
          else if (at === span.start) out += maskSpan(rules[span.rule]!.strategy, shown.slice(span.start, span.end));
        }
      }
    }
  }
  return { text: out, spans: spanCount };
}

function maskPlainText(rules: readonly CompiledRule[], text: string): WholeTextResult {
  const merged = findSpans(rules, text);
  return {
    text: rewriteSpans(text, merged, (span, original) => maskSpan(rules[span.rule]!.strategy, original), false),
    spans: merged.length,
  };
}

/** Every finder's spans in `text`, each finder once (with its first rule), merged. */
function findSpans(rules: readonly CompiledRule[], text: string): RuleSpan[] {
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
  return mergeSpans(spans);
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
