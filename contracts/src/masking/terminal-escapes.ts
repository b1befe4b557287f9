/**
 * Terminal control sequences in a byte stream, byte by byte: which bytes are text the finders
 * read, and which belong to an escape sequence the terminal interprets and never shows. A host
 * that colours its output (`grep --color=always`, `ls --color`, `git diff`, `jq -C`, a prompt)
 * puts sequences between and inside the characters of a secret; the stream masker treats them as
 * absent, so the secret is found as if they were not there (docs/adr/0031).
 *
 * The grammar (ECMA-48, the part terminals send in practice; 7-bit only, as 8-bit C1 bytes are
 * UTF-8 continuation bytes):
 * - CSI: ESC '[' then parameter and intermediate bytes 0x20-0x3F, then a final byte 0x40-0x7E
 *   (`\x1b[01;31m`, `\x1b[K`, `\x1b[?2004h`).
 * - Strings: ESC ']' (OSC), 'P' (DCS), 'X', '^', '_', then a payload up to BEL or ESC '\' (ST).
 *   The payload (a window title, an OSC 8 hyperlink) is text of its own, which the masker searches
 *   on its own: a token in a hyperlink is masked, and it does not join the screen's text.
 * - Other escapes: ESC, intermediate bytes 0x20-0x2F, a final byte 0x30-0x7E (`\x1b(B`, `\x1b7`).
 * - A byte the grammar does not allow where it comes ends the sequence before it, and is read as
 *   if no sequence had begun (a lone ESC before a newline is a sequence of one byte). An ESC inside
 *   a string that does not begin ST ends the string and begins the next sequence.
 * - No sequence is longer than MAX_SEQUENCE_BYTES: the byte after that many is read as text, so an
 *   unterminated OSC cannot hide the text after it, nor hold output back for ever.
 *
 * The state carries across calls, so the answer for a byte does not depend on how the stream was
 * chunked.
 */

export const ESC = 0x1b;
/** Longer than the sequences terminals see in practice, window titles and hyperlinks included. */
export const MAX_SEQUENCE_BYTES = 256;

/** What one byte of the stream is. */
export const ByteRole = {
  /** Text: the finders read it. */
  Text: 0,
  /** Part of a sequence that has not ended yet. */
  Sequence: 1,
  /** The last byte of a sequence. */
  Final: 2,
  /** Part of a string sequence's payload (not its introducer nor its terminator). */
  Payload: 3,
} as const;
export type ByteRole = (typeof ByteRole)[keyof typeof ByteRole];

const Mode = { Ground: 0, Escape: 1, Intermediate: 2, Csi: 3, String: 4, StringEscape: 5 } as const;
type Mode = (typeof Mode)[keyof typeof Mode];

const BEL = 0x07;
const BACKSLASH = 0x5c;
const CSI_INTRODUCER = 0x5b;
/** ']' OSC, 'P' DCS, 'X' SOS, '^' PM, '_' APC: each is followed by a payload and ST. */
const isStringIntroducer = (b: number): boolean => b === 0x5d || b === 0x50 || b === 0x58 || b === 0x5e || b === 0x5f;
const isIntermediate = (b: number): boolean => b >= 0x20 && b <= 0x2f;

export class TerminalEscapeTracker {
  #mode: Mode = Mode.Ground;
  /** Bytes of the current sequence so far. */
  #length = 0;

  /** Inside a sequence: the next byte may belong to it. */
  get inSequence(): boolean {
    return this.#mode !== Mode.Ground;
  }

  /** Reads the next byte of the stream and says what it is. */
  step(b: number): ByteRole {
    if (this.#mode === Mode.Ground) {
      if (b !== ESC) return ByteRole.Text;
      this.#mode = Mode.Escape;
      this.#length = 1;
      return ByteRole.Sequence;
    }
    // Too long to be a sequence a terminal sent on purpose: from here on it is text again.
    if (this.#length >= MAX_SEQUENCE_BYTES) return this.#endBefore(b);
    this.#length++;
    switch (this.#mode) {
      case Mode.Escape:
        return this.#afterEscape(b);
      case Mode.Intermediate:
        if (isIntermediate(b)) return ByteRole.Sequence;
        return b >= 0x30 && b <= 0x7e ? this.#final() : this.#endBefore(b);
      case Mode.Csi:
        if (b >= 0x20 && b <= 0x3f) return ByteRole.Sequence;
        return b >= 0x40 && b <= 0x7e ? this.#final() : this.#endBefore(b);
      case Mode.String:
        if (b === BEL) return this.#final();
        if (b === ESC) {
          this.#mode = Mode.StringEscape;
          return ByteRole.Sequence;
        }
        return ByteRole.Payload;
      default:
        if (b === BACKSLASH) return this.#final();
        // The ESC ended the string and begins the next sequence.
        this.#length = 2;
        return this.#afterEscape(b);
    }
  }

  #afterEscape(b: number): ByteRole {
    if (b === CSI_INTRODUCER) this.#mode = Mode.Csi;
    else if (isStringIntroducer(b)) this.#mode = Mode.String;
    else if (isIntermediate(b)) this.#mode = Mode.Intermediate;
    else if (b >= 0x30 && b <= 0x7e) return this.#final();
    else return this.#endBefore(b);
    return ByteRole.Sequence;
  }

  #final(): ByteRole {
    this.#mode = Mode.Ground;
    return ByteRole.Final;
  }

  /** The sequence ended before `b`: read `b` as if none had begun (an ESC begins the next). */
  #endBefore(b: number): ByteRole {
    this.#mode = Mode.Ground;
    return this.step(b);
  }
}
