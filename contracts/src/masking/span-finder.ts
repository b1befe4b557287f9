/**
 * What detectors and custom patterns have in common: a cheap test on byte statistics that rules a
 * value out without decoding it, then a search that reports the sensitive spans. The statistics
 * are gathered in one pass over the field's bytes, shared by every finder, so a row where nothing
 * can match costs one byte loop per field and no allocation.
 */
import type { Matcher, RE2JS } from 're2js';

/** Byte statistics of one field value. Mutable so the row masker reuses one object per plan. */
export interface ValueFeatures {
  /** Digits in the longest run of ASCII digits joined by single spaces or dashes ("4111 1111-1111" has 12). */
  longestDigitRun: number;
  /** Contains '@'. */
  at: boolean;
  /** Longest run of token characters [A-Za-z0-9_.+/=~-], the alphabet of keys, tokens and JWTs. */
  longestToken: number;
  /** Longest run of '-' (PEM armour lines start with five). */
  longestDashes: number;
}

export function newFeatures(): ValueFeatures {
  return { longestDigitRun: 0, at: false, longestToken: 0, longestDashes: 0 };
}

// Byte classes for `measure`, one table lookup per byte instead of a chain of comparisons. A
// constant, filled once: it is never written after this.
const DIGIT = 1;
const TOKEN = 2;
const DIGIT_SEPARATOR = 4;
const DASH = 8;
const AT = 16;
const BYTE_CLASS = new Uint8Array(256);
for (let b = 0x30; b <= 0x39; b++) BYTE_CLASS[b] = DIGIT | TOKEN;
for (let b = 0x41; b <= 0x5a; b++) BYTE_CLASS[b] = TOKEN;
for (let b = 0x61; b <= 0x7a; b++) BYTE_CLASS[b] = TOKEN;
for (const c of '_.+/=~') BYTE_CLASS[c.charCodeAt(0)] = TOKEN;
BYTE_CLASS[0x2d] = TOKEN | DIGIT_SEPARATOR | DASH;
BYTE_CLASS[0x20] = DIGIT_SEPARATOR;
BYTE_CLASS[0x40] = AT;

/** Fills `out` with the statistics of `bytes[start, end)`. */
export function measure(bytes: Uint8Array, start: number, end: number, out: ValueFeatures): ValueFeatures {
  let digitRun = 0;
  let longestDigitRun = 0;
  let afterSeparator = false;
  let at = false;
  let token = 0;
  let longestToken = 0;
  let dashes = 0;
  let longestDashes = 0;
  for (let i = start; i < end; i++) {
    const cls = BYTE_CLASS[bytes[i]!]!;
    if (cls & DIGIT) {
      digitRun++;
      afterSeparator = false;
      if (digitRun > longestDigitRun) longestDigitRun = digitRun;
    } else if (cls & DIGIT_SEPARATOR && !afterSeparator) afterSeparator = true;
    else {
      // Two separators in a row, or anything else, ends a run of grouped digits.
      digitRun = 0;
      afterSeparator = false;
    }
    if (cls & TOKEN) {
      token++;
      if (token > longestToken) longestToken = token;
    } else token = 0;
    if (cls & DASH) {
      dashes++;
      if (dashes > longestDashes) longestDashes = dashes;
    } else dashes = 0;
    if (cls & AT) at = true;
  }
  out.longestDigitRun = longestDigitRun;
  out.at = at;
  out.longestToken = longestToken;
  out.longestDashes = longestDashes;
  return out;
}

/** `needle` (ASCII) occurs in `bytes[start, end)`; Buffer.indexOf cannot stop at `end`. */
export function containsAscii(bytes: Uint8Array, start: number, end: number, needle: string): boolean {
  const first = needle.charCodeAt(0);
  const last = end - needle.length;
  outer: for (let i = start; i <= last; i++) {
    if (bytes[i] !== first) continue;
    for (let k = 1; k < needle.length; k++) if (bytes[i + k] !== needle.charCodeAt(k)) continue outer;
    return true;
  }
  return false;
}

/** Spans are appended to `out` as [start, end) pairs of UTF-16 indexes into the text. */
export type SpanSink = number[];

export interface SpanFinder {
  /** What it finds, for logs and tests: a detector name or the pattern's source. */
  readonly label: string;
  /**
   * False when the value cannot contain a match; must never be false for a value that does. Gets
   * the shared statistics and the raw UTF-8 bytes `bytes[start, end)`, so it runs before decoding.
   */
  mayMatch(features: ValueFeatures, bytes: Uint8Array, start: number, end: number): boolean;
  /** Appends every sensitive span of `text` to `out`. */
  findSpans(text: string, out: SpanSink): void;
}

/**
 * Runs `re` over `text` and hands each match to `onMatch`. `test()` first: it runs on RE2's DFA
 * without building a Matcher, and most values that pass the prefilter still do not match.
 */
export function eachMatch(re: RE2JS, text: string, onMatch: (m: Matcher) => void): void {
  if (!re.test(text)) return;
  const m = re.matcher(text);
  let pos = 0;
  while (pos <= text.length && m.find(pos)) {
    onMatch(m);
    const end = m.end();
    // An empty match would find itself again; step over it.
    pos = end > m.start() ? end : end + 1;
  }
}

/**
 * Appends the named group `mask` when the pattern has one and it took part in the match (one
 * branch of an alternation may have it, another not), otherwise the whole match.
 */
export function appendMatchOrMaskGroup(m: Matcher, hasMaskGroup: boolean, out: SpanSink): void {
  const group = hasMaskGroup && m.start('mask') >= 0 ? 'mask' : 0;
  const start = m.start(group);
  const end = m.end(group);
  if (end > start) out.push(start, end);
}
