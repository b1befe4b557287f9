/**
 * Searches one released segment of a stream and masks what the finders find, as PostgreSQL's
 * masker does for a text value: every span any finder reports is masked, overlapping spans merge
 * and the first rule among them decides the strategy. The segment comes with the bytes before it
 * as context (what \b and ^ look at, or the start of a match a forced cut split); spans are kept
 * only where they reach into the segment, and a span cut by the segment's start is redacted,
 * whatever its rule says: a partial or a hash of a fragment would reveal more, or mean nothing.
 */
import { endsWithEndLine, openBlockEnd } from './private-key-blocks.ts';
import { type ScanText, scanTextOf } from './scan-text.ts';
import { mergeSpans, type RuleSpan } from './span-rewrite.ts';
import { maskSpan, REDACTED } from './strategies.ts';
import type { StreamMaskingPlan } from './stream-masking-plan.ts';

export interface SegmentSearch {
  /** The context's bytes, then the segment's. */
  readonly bytes: Buffer;
  readonly contextLength: number;
  /** Per finder of the plan: whether its prefilter let it run. */
  readonly candidates: readonly boolean[];
  /** A private key block is open where the segment starts (a forced cut fell inside it): mask on to its END line. */
  readonly keyBlockOpen: boolean;
}

/** One masked span: the segment's bytes [start, end) (offsets without the context) become `replacement`. */
export interface SegmentEdit {
  readonly start: number;
  readonly end: number;
  readonly replacement: Buffer;
}

export interface SegmentResult {
  /** The masked spans, in order, not overlapping; empty when nothing in the segment is masked. */
  readonly edits: readonly SegmentEdit[];
  /** A private key block runs on past the segment's end. */
  readonly keyBlockOpen: boolean;
}

const NO_EDITS: readonly SegmentEdit[] = [];

export function searchSegment(plan: StreamMaskingPlan, search: SegmentSearch, onMasked: (rule: string) => void): SegmentResult {
  const { bytes, contextLength } = search;
  const scan = scanTextOf(bytes);
  const { text } = scan;
  // Where the segment starts in the text: the context is whole characters.
  const from = contextLength === 0 ? 0 : scan.charsBefore(contextLength);
  const spans: RuleSpan[] = [];
  // Clipped spans all start at `from`, and so does any merged span that holds one.
  let fragmentAtFrom = false;
  const add = (start: number, end: number, rule: number, fragment: boolean): void => {
    if (end <= from) return;
    if (fragment || start < from) fragmentAtFrom = true;
    spans.push({ start: Math.max(start, from), end, rule });
  };
  const { keyFinder } = plan;
  let keyBlockOpen = false;
  if (search.keyBlockOpen && keyFinder) {
    const end = openBlockEnd(text, from);
    add(from, end < 0 ? text.length : end, keyFinder.rule, true);
    keyBlockOpen = end < 0;
  }
  const sink: number[] = [];
  plan.finders.forEach((ranked, index) => {
    if (!search.candidates[index]) return;
    sink.length = 0;
    ranked.finder.findSpans(text, sink);
    for (let k = 0; k + 1 < sink.length; k += 2) {
      const start = sink[k]!;
      const end = sink[k + 1]!;
      add(start, end, ranked.rule, false);
      // The detector runs a block without its END line to the end of the text: it goes on in the next segment.
      if (ranked === keyFinder && end === text.length && !endsWithEndLine(text.slice(start, end))) keyBlockOpen = true;
    }
  });
  if (spans.length === 0) return { edits: NO_EDITS, keyBlockOpen };
  return { edits: editsOf(plan, scan, contextLength, mergeSpans(spans), fragmentAtFrom ? from : -1, onMasked), keyBlockOpen };
}

/** Each span's byte range in the segment and what replaces it. */
function editsOf(
  plan: StreamMaskingPlan,
  scan: ScanText,
  contextLength: number,
  spans: readonly RuleSpan[],
  fragmentStart: number,
  onMasked: (rule: string) => void,
): SegmentEdit[] {
  return spans.map((span) => {
    const rule = plan.rules[span.rule]!;
    const replacement = span.start === fragmentStart ? REDACTED : maskSpan(rule.strategy, scan.text.slice(span.start, span.end));
    onMasked(rule.name);
    return {
      start: scan.byteStart(span.start) - contextLength,
      end: scan.byteEnd(span.end) - contextLength,
      replacement: Buffer.from(replacement, 'utf8'),
    };
  });
}

/** `segment` with each edit's bytes replaced; every other byte as it came. */
export function applyEdits(segment: Buffer, edits: readonly SegmentEdit[]): Buffer {
  const out: Buffer[] = [];
  let copied = 0;
  for (const edit of edits) {
    out.push(segment.subarray(copied, edit.start), edit.replacement);
    copied = edit.end;
  }
  out.push(segment.subarray(copied));
  return Buffer.concat(out);
}
