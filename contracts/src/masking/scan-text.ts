/**
 * The text the finders search in a stream segment, and the way back from its UTF-16 indexes to
 * byte offsets, so that only a masked span's bytes are rewritten. Three cases by cost: ASCII (one
 * byte, one unit), well-formed UTF-8 (Node decodes; offsets only when a span needs them), anything
 * else (binary: utf8-offsets.ts decodes it byte by byte).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { byteEndOf, byteStartOf, type DecodedText, decodeUtf8WithOffsets, offsetsOfWellFormed } from './utf8-offsets.ts';

export interface ScanText {
  readonly text: string;
  /** UTF-16 units the first `byteCount` bytes (whole characters) decode to. */
  charsBefore(byteCount: number): number;
  /** Byte offset where a span starting at UTF-16 index `index` starts. */
  byteStart(index: number): number;
  /** Byte offset where a span ending at UTF-16 index `index` ends. */
  byteEnd(index: number): number;
}

export function scanTextOf(bytes: Buffer): ScanText {
  if (isAscii(bytes)) return { text: bytes.toString('latin1'), charsBefore: (n) => n, byteStart: (i) => i, byteEnd: (i) => i };
  if (isUtf8(bytes)) {
    const text = bytes.toString('utf8');
    let decoded: DecodedText | undefined;
    const offsets = (): DecodedText => {
      decoded ??= offsetsOfWellFormed(text);
      return decoded;
    };
    return {
      text,
      // A prefix ending on a character boundary decodes to the same units on its own.
      charsBefore: (n) => bytes.toString('utf8', 0, n).length,
      byteStart: (i) => byteStartOf(offsets(), i),
      byteEnd: (i) => byteEndOf(offsets(), i),
    };
  }
  const decoded = decodeUtf8WithOffsets(bytes, 0, bytes.length);
  return {
    text: decoded.text,
    charsBefore: (n) => unitsBefore(decoded, n),
    byteStart: (i) => byteStartOf(decoded, i),
    byteEnd: (i) => byteEndOf(decoded, i),
  };
}

/** The first unit at or past byte `byteCount` (offsets never decrease). */
function unitsBefore(decoded: DecodedText, byteCount: number): number {
  let lo = 0;
  let hi = decoded.text.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (decoded.offsets[mid]! < byteCount) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
