/**
 * Private key blocks in a byte stream. The privateKey detector masks from a BEGIN line to its END
 * line, across lines, so no byte class can say where a stream may be cut: this tracker follows the
 * stream byte by byte and says whether a cut after the current byte could split a block (or a
 * BEGIN line still being written). It mirrors the detector's pattern in detectors.ts:
 * `-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----` ... the first matching END line.
 *
 * `openBlockEnd` finds where an open block ends in later text, for the stream masker's carry-over:
 * a block cut by the hold-back bound or a timer flush is masked on until its END line, even though
 * the detector no longer sees its BEGIN line.
 */

const BEGIN_LINE = /^-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----$/;
const END_LINE = /^-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----$/;
const END_LINE_SOURCE = '-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----';
/** Longer than any real armour line; a longer "marker" is not one. */
const MAX_MARKER = 128;
const DASH = 0x2d;
const BEGIN = 'BEGIN';
const END = 'END';

const State = {
  /** Outside a block; `dashes`/`word` follow a possible "-----BEGIN". */
  Out: 0,
  /** Inside a BEGIN line after "-----BEGIN", up to its closing dashes. */
  BeginLine: 1,
  /** Inside a block; `dashes`/`word` follow a possible "-----END". */
  Block: 2,
  /** Inside an END line after "-----END", up to its closing dashes. */
  EndLine: 3,
} as const;
type State = (typeof State)[keyof typeof State];

const isMarkerChar = (b: number): boolean => (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x20;

export class PrivateKeyBlockTracker {
  #state: State = State.Out;
  /** Length of the current run of '-'. */
  #dashes = 0;
  /** Letters of BEGIN (outside) or END (in a block) seen after a run of five or more dashes. */
  #word = 0;
  /** The BEGIN or END line so far, to check against the detector's pattern when it closes. */
  #marker = '';
  #markerDashes = 0;

  /** Outside any block and marker: only a '-' can change that, so other bytes need not be fed. */
  get quiet(): boolean {
    return this.#state === State.Out && this.#dashes === 0 && this.#word === 0;
  }

  /** Feeds one byte; true when a cut right after it could split a block or a marker. */
  step(b: number): boolean {
    switch (this.#state) {
      case State.Out:
        return this.#watch(b, BEGIN, State.BeginLine);
      case State.Block:
        this.#watch(b, END, State.EndLine);
        return true;
      case State.BeginLine:
      case State.EndLine:
        return this.#markerStep(b);
    }
  }

  /** Follows "-----" + `word`; on the word's last letter enters `next`. True while a marker may be starting. */
  #watch(b: number, word: string, next: State): boolean {
    if (b === DASH) {
      // A dash after "-----BE" starts a new run.
      this.#dashes = this.#word > 0 ? 1 : this.#dashes + 1;
      this.#word = 0;
      return true;
    }
    if (this.#dashes >= 5 && b === word.charCodeAt(this.#word)) {
      this.#word++;
      if (this.#word === word.length) {
        this.#state = next;
        this.#marker = `-----${word}`;
        this.#markerDashes = 0;
        this.#dashes = 0;
        this.#word = 0;
      }
      return true;
    }
    this.#dashes = 0;
    this.#word = 0;
    return false;
  }

  #markerStep(b: number): boolean {
    const inBegin = this.#state === State.BeginLine;
    const fallback = inBegin ? State.Out : State.Block;
    if (b === DASH) {
      this.#markerDashes++;
      this.#marker += '-';
      if (this.#markerDashes < 5) return true;
      if ((inBegin ? BEGIN_LINE : END_LINE).test(this.#marker)) {
        this.#enter(inBegin ? State.Block : State.Out, 0);
        // The END line's last dash ends the match: a cut after it is safe.
        return inBegin;
      }
      // Not a key's line; its closing dashes may start the next marker.
      this.#enter(fallback, 5);
      return true;
    }
    if (this.#markerDashes === 0 && isMarkerChar(b) && this.#marker.length < MAX_MARKER) {
      this.#marker += String.fromCharCode(b);
      return true;
    }
    // Not a marker after all: judge the byte as the state outside the marker would.
    this.#enter(fallback, this.#markerDashes);
    return this.step(b);
  }

  #enter(state: State, dashes: number): void {
    this.#state = state;
    this.#dashes = dashes;
    this.#word = 0;
    this.#marker = '';
    this.#markerDashes = 0;
  }
}

/**
 * Where the END line of a block that is open at `from` ends in `text`, or -1 when the block runs
 * past the end of `text`.
 */
export function openBlockEnd(text: string, from: number): number {
  for (const m of text.matchAll(new RegExp(END_LINE_SOURCE, 'g'))) {
    const end = m.index + m[0].length;
    if (end > from) return end;
  }
  return -1;
}

/** True when `text` (a private key span) ends with its END line, i.e. the block is closed. */
export function endsWithEndLine(text: string): boolean {
  const at = text.lastIndexOf('-----END ');
  return at >= 0 && END_LINE.test(text.slice(at));
}
