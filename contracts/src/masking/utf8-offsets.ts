/**
 * UTF-8 for masking byte streams, where the bytes are not known to be text: decode with a map back
 * to byte offsets, so only the bytes of a masked span are rewritten and everything else leaves
 * byte for byte as it came (re-encoding the decoded text would turn every invalid byte into the
 * three bytes of U+FFFD and corrupt binary output); and find where a cut does not split a
 * character.
 */

export interface DecodedText {
  readonly text: string;
  /**
   * offsets[i] is the byte offset (from the decoded range's start) of the character that UTF-16
   * unit i belongs to; offsets[text.length] is the range's length. Both units of a surrogate pair
   * map to the start of their character.
   */
  readonly offsets: Int32Array;
}

const REPLACEMENT = 0xfffd;

/**
 * Decodes `bytes[start, end)`. Each byte that does not begin a well-formed sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF) becomes one U+FFFD, so the map stays
 * one-to-one for the bytes around it.
 */
export function decodeUtf8WithOffsets(bytes: Uint8Array, start: number, end: number): DecodedText {
  const units = new Uint16Array(end - start);
  const offsets = new Int32Array(end - start + 1);
  let n = 0;
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      offsets[n] = i - start;
      units[n++] = b0;
      i++;
      continue;
    }
    const length = sequenceLength(bytes, i, end);
    offsets[n] = i - start;
    if (length === 0) {
      units[n++] = REPLACEMENT;
      i++;
      continue;
    }
    let cp = b0 & (length === 2 ? 0x1f : length === 3 ? 0x0f : 0x07);
    for (let k = 1; k < length; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units[n++] = 0xd800 | (cp >> 10);
      offsets[n] = i - start;
      units[n++] = 0xdc00 | (cp & 0x3ff);
    } else units[n++] = cp;
    i += length;
  }
  offsets[n] = end - start;
  return { text: unitsToString(units, n), offsets: offsets.subarray(0, n + 1) };
}

/** Length of the well-formed sequence at `i`, or 0 when the byte there does not begin one. */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i]!;
  let length: number;
  // The second byte's range excludes overlong forms (E0, F0), surrogates (ED) and > U+10FFFF (F4).
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) length = 2;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    length = 3;
    if (b0 === 0xe0) lo = 0xa0;
    else if (b0 === 0xed) hi = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    length = 4;
    if (b0 === 0xf0) lo = 0x90;
    else if (b0 === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + length > end) return 0;
  const b1 = bytes[i + 1]!;
  if (b1 < lo || b1 > hi) return 0;
  for (let k = 2; k < length; k++) {
    const b = bytes[i + k]!;
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return length;
}

// TextDecoder reads UTF-16 in a fixed byte order; a Uint16Array is in the platform's.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
// ignoreBOM keeps a leading U+FEFF: dropping it would shift every offset.
const UTF16 = new TextDecoder(LITTLE_ENDIAN ? 'utf-16le' : 'utf-16be', { ignoreBOM: true });

function unitsToString(units: Uint16Array, count: number): string {
  // The units hold no lone surrogate, so decoding them as UTF-16 gives them back unchanged.
  return UTF16.decode(units.subarray(0, count));
}

/**
 * The offsets of text already known to be well-formed UTF-8 (decoded by Node, which is faster):
 * each unit's byte offset from its code point, without looking at the bytes again.
 */
export function offsetsOfWellFormed(text: string): DecodedText {
  const offsets = new Int32Array(text.length + 1);
  let at = 0;
  for (let i = 0; i < text.length; i++) {
    offsets[i] = at;
    const unit = text.charCodeAt(i);
    if (unit < 0x80) at += 1;
    else if (unit < 0x800) at += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair: four bytes, and the low unit maps to the pair's start.
      offsets[++i] = at;
      at += 4;
    } else at += 3;
  }
  offsets[text.length] = at;
  return { text, offsets };
}

/** Byte offset where UTF-16 unit `index` starts; inside a surrogate pair, where the pair starts (a span widens, never splits). */
export function byteStartOf(decoded: DecodedText, index: number): number {
  return decoded.offsets[index]!;
}

/** Byte offset where a span ending before UTF-16 unit `index` ends; inside a surrogate pair, after the pair. */
export function byteEndOf(decoded: DecodedText, index: number): number {
  const { offsets, text } = decoded;
  if (index > 0 && index < text.length && offsets[index] === offsets[index - 1]) return offsets[index + 1]!;
  return offsets[index]!;
}

/**
 * The largest cut position at or before `pos` in `bytes[0, pos ...)` that does not separate a
 * lead byte from the continuation bytes it announces; the bytes after `pos` need not be there
 * yet (a character cut off by the end of a chunk is held back whole). Bytes that are not UTF-8
 * anyway (more than three continuation bytes in a row, a stray continuation byte) are cut anywhere.
 */
export function charBoundaryAtOrBefore(bytes: Uint8Array, pos: number): number {
  for (let back = 1; back <= 3 && pos - back >= 0; back++) {
    const b = bytes[pos - back]!;
    if (b < 0x80) return pos;
    if (b >= 0xc0) {
      const announced = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return announced > back ? pos - back : pos;
    }
  }
  return pos;
}
