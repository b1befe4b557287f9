/**
 * Masks a byte stream (a command's stdout or stderr, a terminal session) with the span rules of a
 * session's compiled masking rules: the same detectors, custom patterns, merge and strategies
 * PostgreSQL applies to a text value (stream-masking-plan.ts builds what the streams share).
 *
 * The promise: what comes out is what masking the whole stream at once, as one text, would give,
 * however the stream is chunked, for every match no longer than the hold-back bound
 * (`maxHoldBytes`, default 4 KiB) that no `flushPending` cut splits. How:
 *
 * - Hold back only what could still be part of a match. Each finder has a cut profile
 *   (stream-cut-profile.ts): the bytes a match can contain (tokens [A-Za-z0-9_.~+/=-]; card
 *   numbers digits, and a space or dash only after a digit; e-mail addresses their characters and
 *   '@'; a custom pattern whatever its RE2 program can consume), plus whitespace after "Bearer"
 *   and private key blocks from BEGIN to END. A scanner (stream-cut-scanner.ts) looks at each byte
 *   once, in order, and finds the last position no match can straddle, whatever follows; all
 *   before it is released, typically up to the last newline or space, so line output and prompts
 *   pass at once. Non-ASCII characters count as inside a match only for finders that can match
 *   them (e-mail's \p{L}); a cut never splits a character.
 * - Why released text masks as the whole text would: no match crosses a safe cut, and each
 *   released segment is searched with the character before it as context, so \b, ^ and a card's
 *   "not glued to a letter" see what they would see in the whole text. ^ and \A therefore match
 *   only at the start of the stream; $ and \z only at its end (flush).
 * - Bounded memory: at most `maxHoldBytes` are held, plus 256 bytes of context and a private key
 *   marker line. When that many bytes pass without a safe cut, they are searched and released as
 *   they are (a forced cut). A match longer than the bound, or split by a forced cut, is not
 *   masked as a whole: the part before the cut only if it matches on its own; the part after it if
 *   it matches together with up to 256 bytes of context (the tail of a token). A private key block
 *   is masked on to its END line, however long. Parts of a split match are redacted whatever the
 *   rule's strategy.
 * - Interactive shells echo one byte at a time; a word being typed waits for the next separator.
 *   The caller runs an idle timer (e.g. 50 ms; sidecar/src/core/masking/masking-transform.ts) and
 *   calls `flushPending`, which releases the held tail as a forced cut. The trade-off is the one
 *   above: a secret whose first part leaves on the timer is masked only from the cut on.
 * - No added cost where nothing can match: the scanner is one table lookup per byte. Released
 *   text is searched in segments of about a line (the scanner marks safe cuts after newlines, or
 *   every 256 bytes without one), each first put through the finders' byte-statistics prefilter,
 *   as PostgreSQL's masker does per field; only a segment some finder may match is decoded and
 *   searched. What is not masked is returned as a view of the input, not a copy.
 * - Binary output: nothing is re-encoded. A segment is decoded with a map back to byte offsets
 *   (scan-text.ts), invalid bytes become U+FFFD for the finders only, and only the bytes of a
 *   masked span are replaced; every other byte leaves as it came.
 * - A custom pattern that can match every byte (both \s and \S, or (?s).) leaves no safe cut: its
 *   stream's output waits for the bound or the timer. [^\n] or [ \t] instead of . with (?s) or \s
 *   keeps output flowing line by line.
 * - Terminal escape sequences (colour, cursor moves, titles: terminal-escapes.ts) are not text: the
 *   finders read the stream with them taken out, so `sk_live_\x1b[01;31mABC` is one token, and
 *   the whole text promise above is about that text. The scanner never cuts inside a sequence
 *   (at most 256 bytes: longer ones turn back into text) and carries the state before it over to
 *   after it; a masked span's sequences are written after its replacement (escaped-segment.ts).
 *   A sequence's payload (OSC title, hyperlink) is a text of its own, masked on its own. A
 *   segment without an ESC byte takes the plain path and pays nothing for this. A custom pattern
 *   that names ESC itself never matches across a sequence.
 */

import { searchPayloads, spliceEscaped, splitEscapes } from './escaped-segment.ts';
import { applyEdits, type SegmentEdit, searchSegment } from './segment-search.ts';
import { measure, newFeatures, type ValueFeatures } from './span-finder.ts';
import { CutScanner } from './stream-cut-scanner.ts';
import type { StreamMaskingPlan } from './stream-masking-plan.ts';
import { ESC, TerminalEscapeTracker } from './terminal-escapes.ts';
import { charBoundaryAtOrBefore } from './utf8-offsets.ts';

/** Context after a forced cut: enough for the start of a token the cut split. */
const CONTEXT_BYTES = 256;
/** Context after a safe cut: the last character, whole (what \b and ^ look at). */
const LAST_CHARACTER_BYTES = 4;
const EMPTY = Buffer.alloc(0);

/** The end of a segment of released input: a safe cut, or a forced one. */
interface SegmentEnd {
  readonly at: number;
  readonly forced: boolean;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The masker of one byte stream, fed in order. */
export class StreamMasker {
  readonly #plan: StreamMaskingPlan;
  readonly #scanner: CutScanner;
  /** Bytes received and not released; the scanner has seen them all. Starts at a cut. */
  #held: Buffer = EMPTY;
  /** Up to CONTEXT_BYTES of the text (escape sequences taken out) released last, starting on a character boundary. */
  #context: Buffer = EMPTY;
  /**
   * During a release: the text before `data[#contextBaseAt]`, up to CONTEXT_BYTES; the bytes of
   * `data` from there on hold no escape sequence (a segment that held one moved the base past it).
   */
  #contextBase: Buffer = EMPTY;
  #contextBaseAt = 0;
  /** Escape sequences in the bytes released so far: where the last one left off. */
  readonly #escapes = new TerminalEscapeTracker();
  /** During a release: the first ESC byte at or after the segment being masked, or -1. */
  #nextEscape = -1;
  /** The last segment ended at a forced cut: a match may have begun before the next one. */
  #afterForcedCut = false;
  /** A private key block ran on past the end of the last segment. */
  #keyBlockOpen = false;
  readonly #features: ValueFeatures = newFeatures();
  /** Per finder: its prefilter passed for the segment being masked. */
  readonly #candidates: boolean[];
  /** Segment boundaries the scanner found in the current push. */
  readonly #boundaries: number[] = [];
  #masked = new Map<string, number>();
  readonly #count = (rule: string): void => {
    this.#masked.set(rule, (this.#masked.get(rule) ?? 0) + 1);
  };

  constructor(plan: StreamMaskingPlan) {
    this.#plan = plan;
    this.#scanner = new CutScanner(plan.profiles);
    this.#candidates = plan.finders.map(() => false);
  }

  /** Bytes held back, waiting for the rest of a possible match. */
  get pending(): number {
    return this.#held.length;
  }

  /**
   * Takes the next chunk of the stream; returns what can be released now, masked (possibly empty;
   * possibly a view of `chunk`, which the caller must not change before it has written it).
   */
  push(chunk: Uint8Array): Buffer {
    if (chunk.length === 0) return EMPTY;
    const data = this.#held.length === 0 ? asBuffer(chunk) : Buffer.concat([this.#held, chunk]);
    const max = this.#plan.maxHoldBytes;
    const boundaries = this.#boundaries;
    boundaries.length = 0;
    const ends: SegmentEnd[] = [];
    const takeBoundaries = (): void => {
      for (const at of boundaries) ends.push({ at, forced: false });
      boundaries.length = 0;
    };
    let scanned = this.#held.length;
    let cut = 0;
    while (scanned < data.length) {
      const stop = Math.min(data.length, cut + max + 1);
      const safe = this.#scanner.advance(data, scanned, stop, boundaries);
      scanned = stop;
      if (safe > cut) cut = safe;
      if (scanned - cut > max) {
        // No safe cut within the bound: release what is held as it is.
        takeBoundaries();
        const forced = charBoundaryAtOrBefore(data, scanned);
        cut = forced > cut ? forced : scanned;
        ends.push({ at: cut, forced: true });
      }
    }
    takeBoundaries();
    if (cut > (ends.at(-1)?.at ?? 0)) ends.push({ at: cut, forced: false });
    return this.#release(data, ends);
  }

  /**
   * Releases the held tail now, masked as far as it can be on its own (for an idle timer: a prompt
   * or a word being typed). Keeps only an incomplete UTF-8 character at the very end.
   */
  flushPending(): Buffer {
    const held = this.#held;
    const cut = charBoundaryAtOrBefore(held, held.length);
    return cut === 0 ? EMPTY : this.#release(held, [{ at: cut, forced: true }]);
  }

  /** End of stream: releases everything held, masked. */
  flush(): Buffer {
    const held = this.#held;
    return held.length === 0 ? EMPTY : this.#release(held, [{ at: held.length, forced: true }]);
  }

  /** Spans masked since the last call, by rule name ("policy/rule" or "profile:<name>"), for the session record. */
  takeMaskedCounts(): Record<string, number> {
    const counts = Object.fromEntries(this.#masked);
    this.#masked = new Map();
    return counts;
  }

  /** Masks and returns `data` up to the last segment end (segments in order, from 0); holds the rest. */
  #release(data: Buffer, ends: readonly SegmentEnd[]): Buffer {
    const releasedEnd = ends.at(-1)?.at ?? 0;
    const out: Buffer[] = [];
    this.#contextBase = this.#context;
    this.#contextBaseAt = 0;
    this.#nextEscape = data.indexOf(ESC);
    // Unchanged segments in a row are returned as one view of `data`.
    let unchangedFrom = 0;
    let start = 0;
    for (const end of ends) {
      const masked = this.#maskSegment(data, start, end.at);
      this.#afterForcedCut = end.forced;
      if (masked !== undefined) {
        if (start > unchangedFrom) out.push(data.subarray(unchangedFrom, start));
        out.push(masked);
        unchangedFrom = end.at;
      }
      start = end.at;
    }
    if (releasedEnd > unchangedFrom) out.push(data.subarray(unchangedFrom, releasedEnd));
    this.#context = Buffer.from(this.#contextBefore(data, releasedEnd, CONTEXT_BYTES));
    // Copied: `data` may be the caller's chunk.
    this.#held = releasedEnd === data.length ? EMPTY : Buffer.from(data.subarray(releasedEnd));
    if (out.length === 0) return EMPTY;
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The text just before `data[at]`: at most `size` bytes, from a character boundary. */
  #contextBefore(data: Buffer, at: number, size: number): Buffer {
    const base = this.#contextBase;
    const plain = at - this.#contextBaseAt;
    let context: Buffer;
    if (plain >= size) context = data.subarray(at - size, at);
    else if (base.length === 0) context = data.subarray(this.#contextBaseAt, at);
    else context = Buffer.concat([base.subarray(Math.max(0, base.length - (size - plain))), data.subarray(this.#contextBaseAt, at)]);
    // A continuation byte at the start belongs to a character cut off by the window: drop it.
    let start = 0;
    while (start < 3 && start < context.length && (context[start]! & 0xc0) === 0x80) start++;
    return start === 0 ? context : context.subarray(start);
  }

  /** The masked bytes of `data[start, end)`, or undefined when nothing in it is masked. */
  #maskSegment(data: Buffer, start: number, end: number): Buffer | undefined {
    if (end <= start) return undefined;
    const nextEscape = this.#nextEscape;
    if (this.#escapes.inSequence || (nextEscape >= 0 && nextEscape < end)) return this.#maskEscaped(data, start, end);
    const edits = this.#searchText(data, start, end, data, start);
    return edits === undefined ? undefined : applyEdits(data.subarray(start, end), edits);
  }

  /** A segment with escape sequences: the finders read its text; the sequences are written back around the masks. */
  #maskEscaped(data: Buffer, start: number, end: number): Buffer | undefined {
    const segment = splitEscapes(this.#escapes, data, start, end);
    const payloads = searchPayloads(this.#plan, data, segment.payloads, this.#count);
    const { visible } = segment;
    const screen = this.#searchText(visible, 0, visible.length, data, start);
    // What follows reads the text before it from here: this segment's text, not its bytes.
    const before = this.#contextBefore(data, start, CONTEXT_BYTES);
    const text = before.length === 0 ? visible : Buffer.concat([before, visible]);
    this.#contextBase = Buffer.from(text.subarray(Math.max(0, text.length - CONTEXT_BYTES)));
    this.#contextBaseAt = end;
    this.#nextEscape = data.indexOf(ESC, end);
    if (screen === undefined && payloads.length === 0) return undefined;
    return spliceEscaped(data, start, end, segment, screen ?? [], payloads);
  }

  /**
   * The masked spans of the text `bytes[start, end)`, which stands at `data[at]` in the stream (its
   * context is the text before that); undefined when nothing in it is masked.
   */
  #searchText(bytes: Buffer, start: number, end: number, data: Buffer, at: number): readonly SegmentEdit[] | undefined {
    if (end <= start) return undefined;
    const { finders } = this.#plan;
    const candidates = this.#candidates;
    // After a safe cut every match lies inside the segment, so the segment's own statistics decide
    // (a match's statistics are within those of any text that holds it). After a forced cut a match
    // may have begun in the context, and an open key block is masked on: decide on both, below.
    const blind = this.#afterForcedCut || this.#keyBlockOpen;
    if (!blind) {
      const features = measure(bytes, start, end, this.#features);
      let any = false;
      for (let k = 0; k < finders.length; k++) {
        candidates[k] = finders[k]!.finder.mayMatch(features, bytes, start, end);
        any ||= candidates[k]!;
      }
      if (!any) return undefined;
    }
    const context = this.#contextBefore(data, at, this.#afterForcedCut ? CONTEXT_BYTES : LAST_CHARACTER_BYTES);
    const segment = bytes.subarray(start, end);
    const searched = context.length === 0 ? segment : Buffer.concat([context, segment]);
    if (blind) {
      const features = measure(searched, 0, searched.length, this.#features);
      let any = this.#keyBlockOpen;
      for (let k = 0; k < finders.length; k++) {
        candidates[k] = finders[k]!.finder.mayMatch(features, searched, 0, searched.length);
        any ||= candidates[k]!;
      }
      if (!any) return undefined;
    }
    const result = searchSegment(
      this.#plan,
      { bytes: searched, contextLength: context.length, candidates, keyBlockOpen: this.#keyBlockOpen },
      this.#count,
    );
    this.#keyBlockOpen = result.keyBlockOpen;
    return result.edits.length === 0 ? undefined : result.edits;
  }
}
