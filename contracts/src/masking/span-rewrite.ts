/**
 * Turns the spans detectors and patterns found into the masked text. Overlapping spans (an
 * e-mail inside a private key block, two rules finding the same card) merge into one, and the
 * first rule among them decides the strategy, as the policy's rule order promises.
 */

export interface RuleSpan {
  start: number;
  end: number;
  /** Index of the rule in policy order; lower decides. */
  rule: number;
}

/** Sorted, non-overlapping spans. Touching spans stay separate so each keeps its own rule. */
export function mergeSpans(spans: RuleSpan[]): RuleSpan[] {
  if (spans.length < 2) return spans;
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: RuleSpan[] = [];
  let current = spans[0]!;
  for (let i = 1; i < spans.length; i++) {
    const next = spans[i]!;
    if (next.start < current.end) {
      current = { start: current.start, end: Math.max(current.end, next.end), rule: Math.min(current.rule, next.rule) };
    } else {
      out.push(current);
      current = next;
    }
  }
  out.push(current);
  return out;
}

/**
 * Replaces each span with `replace(span, text)`. In JSON text a replacement that stands outside a
 * string literal (a card number stored as a JSON number) is written as a JSON string, so
 * {"card":4111111111111111} becomes {"card":"****"} rather than invalid JSON. The caller still
 * checks the result parses: a custom pattern can match across a string's quotes.
 */
export function rewriteSpans(
  text: string,
  spans: readonly RuleSpan[],
  replace: (span: RuleSpan, original: string) => string,
  json: boolean,
): string {
  let out = '';
  let copied = 0;
  // JSON lexer state over the original text, advanced lazily to each span's start.
  let scanned = 0;
  let inString = false;
  for (const span of spans) {
    if (json) {
      while (scanned < span.start) {
        const c = text.charCodeAt(scanned++);
        if (inString) {
          if (c === 0x5c) scanned++;
          else if (c === 0x22) inString = false;
        } else if (c === 0x22) inString = true;
      }
    }
    const replacement = replace(span, text.slice(span.start, span.end));
    out += text.slice(copied, span.start) + (json && !inString ? JSON.stringify(replacement) : replacement);
    copied = span.end;
  }
  return out + text.slice(copied);
}
