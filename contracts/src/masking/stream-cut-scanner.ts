/**
 * Finds the positions in a byte stream where output may be released: after a byte that no match of
 * any active finder can continue from (stream-cut-profile.ts says which, per finder). One pass,
 * one table lookup per byte in the common case; the bearer and private-key rules add a few
 * comparisons only when a finder needs them. State carries across calls, so bytes are fed once, in
 * stream order, however the stream is chunked.
 *
 * Terminal escape sequences (terminal-escapes.ts) are not there for the finders, so not for the
 * cuts either: no cut falls inside one, and the bytes before a sequence decide whether a match
 * can go on after it (a cut right after its last byte is safe when one right before its ESC was).
 * Output without an ESC byte pays one bit test per byte for this.
 */
import { PrivateKeyBlockTracker } from './private-key-blocks.ts';
import { type CutProfile, unionOf } from './stream-cut-profile.ts';
import { ByteRole, ESC, TerminalEscapeTracker } from './terminal-escapes.ts';

// Byte classes: one table lookup answers the byte-class rules.
const INSIDE = 1;
const AFTER_DIGIT_ONLY = 1 << 1;
const AFTER_LETTER_PAIR_ONLY = 1 << 2;
const DIGIT = 1 << 3;
/** [A-Za-z0-9_]: what RE2's \b counts as a word character. */
const WORD = 1 << 4;
/** May be the first or second letter of a NINO prefix (case-insensitive; any non-ASCII byte, for the folded K and S). */
const PREFIX_FIRST = 1 << 5;
const PREFIX_SECOND = 1 << 6;
const WHITESPACE = 1 << 7;
/** A UTF-8 lead byte of a 2-, 3- or 4-byte character, or a continuation byte. */
const LEAD_2 = 1 << 8;
const LEAD_3 = 1 << 9;
const LEAD_4 = 1 << 10;
const CONTINUATION = 1 << 11;
/** 'b' or 'B': where "bearer" may begin. */
const BEARER_START = 1 << 12;
/** ESC: an escape sequence may begin. */
const ESCAPE = 1 << 13;

const BEARER = 'bearer';
const NEWLINE = 0x0a;
const DASH = 0x2d;
/** A safe cut this far after the last segment boundary is one too, when no newline came. */
const SEGMENT_BYTES = 256;
// The NINO pattern's prefix letters: [A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z].
const NINO_FIRST = 'ABCEGHJKLMNOPRSTWXYZ';
const NINO_SECOND = 'ABCEGHJKLMNPRSTWXYZ';

function classTable(profile: CutProfile): Uint16Array {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) {
    let cls = 0;
    if (b < 0x80 ? profile.inside[b] : profile.nonAscii) cls |= INSIDE;
    else if (b < 0x80) {
      if (profile.afterDigitOnly[b]) cls |= AFTER_DIGIT_ONLY;
      if (profile.afterLetterPairOnly[b]) cls |= AFTER_LETTER_PAIR_ONLY;
    }
    const c = String.fromCharCode(b);
    if (b >= 0x30 && b <= 0x39) cls |= DIGIT | WORD;
    if ((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f) cls |= WORD;
    if (b >= 0x80 || NINO_FIRST.includes(c.toUpperCase())) cls |= PREFIX_FIRST;
    if (b >= 0x80 || NINO_SECOND.includes(c.toUpperCase())) cls |= PREFIX_SECOND;
    if (b >= 0xc2 && b <= 0xdf) cls |= LEAD_2;
    else if (b >= 0xe0 && b <= 0xef) cls |= LEAD_3;
    else if (b >= 0xf0 && b <= 0xf4) cls |= LEAD_4;
    else if (b >= 0x80 && b <= 0xbf) cls |= CONTINUATION;
    table[b] = cls;
  }
  // RE2's \s is [\t\n\f\r ]; \v too, in case a later pattern says [[:space:]].
  for (const b of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) table[b]! |= WHITESPACE;
  table[0x42]! |= BEARER_START;
  table[0x62]! |= BEARER_START;
  table[ESC]! |= ESCAPE;
  // The prefix letters must be letters: digits and '_' are word characters but no prefix.
  for (let b = 0x30; b <= 0x39; b++) table[b]! &= ~(PREFIX_FIRST | PREFIX_SECOND);
  table[0x5f]! &= ~(PREFIX_FIRST | PREFIX_SECOND);
  return table;
}

export class CutScanner {
  readonly #table: Uint16Array;
  readonly #bearer: boolean;
  readonly #blocks: PrivateKeyBlockTracker | undefined;
  /** Classes of the last three bytes; 0 before the start of the stream (no word character there). */
  #previous = 0;
  #previous2 = 0;
  #previous3 = 0;
  /** Continuation bytes the current UTF-8 character still needs: no cut inside a character. */
  #continuations = 0;
  /** Letters of "bearer" just seen (case-insensitive). */
  #bearerLetters = 0;
  /** In a whitespace run right after "bearer": a token may still follow. */
  #afterBearer = false;
  /** Bytes fed since the last segment boundary. */
  #sinceBoundary = 0;
  readonly #escapes = new TerminalEscapeTracker();
  /** A cut after the last text byte would not be safe: nor is one after a sequence that follows it. */
  #lastUnsafe = false;

  constructor(profiles: readonly CutProfile[]) {
    const profile = unionOf(profiles);
    this.#table = classTable(profile);
    this.#bearer = profile.bearer;
    this.#blocks = profile.privateKeyBlocks ? new PrivateKeyBlockTracker() : undefined;
  }

  /**
   * Feeds `bytes[from, to)`. Returns the last position p in (from, to] such that a cut between
   * bytes[p - 1] and bytes[p] splits no match, whatever follows; -1 when there is none.
   *
   * Also appends to `boundaries` the safe cuts that end a segment: after a newline, or the first
   * after SEGMENT_BYTES without one. The masker runs the finders' prefilter per segment, about a
   * line, as PostgreSQL's masker does per field: over a whole 32 KiB chunk some finder's
   * statistics (a long digit run, a long token) would nearly always pass somewhere.
   */
  advance(bytes: Uint8Array, from: number, to: number, boundaries: number[]): number {
    const table = this.#table;
    const blocks = this.#blocks;
    const bearer = this.#bearer;
    let p1 = this.#previous;
    let p2 = this.#previous2;
    let p3 = this.#previous3;
    let continuations = this.#continuations;
    let sinceBoundary = this.#sinceBoundary;
    const escapes = this.#escapes;
    let inSequence = escapes.inSequence;
    let lastUnsafe = this.#lastUnsafe;
    // The trackers are called only for bytes that can change their state: most bytes skip them.
    let blocksBusy = blocks !== undefined && !blocks.quiet;
    let last = -1;
    for (let i = from; i < to; i++) {
      const b = bytes[i]!;
      const cls = table[b]!;
      if (inSequence || (cls & ESCAPE) !== 0) {
        // Only a byte that ends a sequence (or is text after all) says anything about cuts.
        const role = escapes.step(b);
        inSequence = escapes.inSequence;
        if (role !== ByteRole.Text) {
          sinceBoundary++;
          if (role === ByteRole.Final && !lastUnsafe) {
            last = i + 1;
            if (sinceBoundary >= SEGMENT_BYTES) {
              boundaries.push(last);
              sinceBoundary = 0;
            }
          }
          continue;
        }
      }
      let unsafe =
        (cls & INSIDE) !== 0 ||
        ((cls & AFTER_DIGIT_ONLY) !== 0 && (p1 & DIGIT) !== 0) ||
        // \b then two prefix letters: the byte before the pair is no word character.
        ((cls & AFTER_LETTER_PAIR_ONLY) !== 0 && (p1 & PREFIX_SECOND) !== 0 && (p2 & PREFIX_FIRST) !== 0 && (p3 & WORD) === 0);
      if (b >= 0x80) {
        // A malformed sequence just ends; its bytes pass through as they are, wherever the cut falls.
        if (cls & CONTINUATION) continuations = continuations > 0 ? continuations - 1 : 0;
        else continuations = cls & LEAD_2 ? 1 : cls & LEAD_3 ? 2 : cls & LEAD_4 ? 3 : 0;
        if (continuations > 0) unsafe = true;
      } else continuations = 0;
      if (bearer && ((cls & BEARER_START) !== 0 || this.#bearerLetters > 0 || this.#afterBearer) && this.#bearerStep(b, cls)) unsafe = true;
      if (blocks !== undefined && (b === DASH || blocksBusy)) {
        if (blocks.step(b)) unsafe = true;
        blocksBusy = !blocks.quiet;
      }
      sinceBoundary++;
      lastUnsafe = unsafe;
      if (!unsafe) {
        last = i + 1;
        if (b === NEWLINE || sinceBoundary >= SEGMENT_BYTES) {
          boundaries.push(last);
          sinceBoundary = 0;
        }
      }
      p3 = p2;
      p2 = p1;
      p1 = cls;
    }
    this.#previous = p1;
    this.#previous2 = p2;
    this.#previous3 = p3;
    this.#continuations = continuations;
    this.#sinceBoundary = sinceBoundary;
    this.#lastUnsafe = lastUnsafe;
    return last;
  }

  /**
   * `(?i:\bbearer)\s+<token>`: whitespace right after "bearer" may be followed by the token, so a
   * cut there is unsafe. The \b before "bearer" is ignored: holding a little more is harmless.
   */
  #bearerStep(b: number, cls: number): boolean {
    if (cls & WHITESPACE) {
      if (this.#bearerLetters === BEARER.length) this.#afterBearer = true;
      this.#bearerLetters = 0;
      return this.#afterBearer;
    }
    this.#afterBearer = false;
    // b | 0x20 lowers ASCII letters; no other byte lands on the letters of "bearer".
    const lower = b | 0x20;
    if (lower === BEARER.charCodeAt(this.#bearerLetters)) this.#bearerLetters++;
    else this.#bearerLetters = lower === 0x62 ? 1 : 0;
    return false;
  }
}
