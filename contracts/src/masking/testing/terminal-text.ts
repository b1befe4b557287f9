/**
 * Terminal escape sequences in a text, read a sequence at a time: the stream tests' own reading of
 * the grammar terminal-escapes.ts reads a byte at a time (same rules, written independently, so
 * that the two are checked against each other). Works on a JavaScript string; a payload character
 * that the length bound would cut in two is beyond what it models, and it says so.
 */

const MAX_SEQUENCE_BYTES = 256;
const ESC = '\x1b';

/** A run of the text: shown text, an escape sequence's control bytes, or a string sequence's payload. */
export interface TerminalPiece {
  readonly role: 'text' | 'control' | 'payload';
  readonly text: string;
}

const between = (c: number | undefined, lo: number, hi: number): boolean => c !== undefined && c >= lo && c <= hi;
const STRING_INTRODUCERS = new Set([']', 'P', 'X', '^', '_']);

export function splitTerminalText(text: string): TerminalPiece[] {
  const chars = Array.from(text);
  const pieces: TerminalPiece[] = [];
  const push = (role: TerminalPiece['role'], from: number, to: number): void => {
    if (to > from) pieces.push({ role, text: chars.slice(from, to).join('') });
  };
  let i = 0;
  let textFrom = 0;
  while (i < chars.length) {
    if (chars[i] !== ESC) {
      i++;
      continue;
    }
    push('text', textFrom, i);
    i = readSequence(chars, i, push);
    textFrom = i;
  }
  push('text', textFrom, i);
  return pieces;
}

/** Reads the sequence whose ESC is at `start`; returns where the text after it begins. */
function readSequence(chars: string[], start: number, push: (role: TerminalPiece['role'], from: number, to: number) => void): number {
  const code = (k: number): number | undefined => chars[k]?.codePointAt(0);
  let bytes = 1;
  let j = start + 1;
  /** Takes the next character into the sequence when it is in [lo, hi] and the bound allows one more byte. */
  const take = (lo: number, hi: number): boolean => {
    if (bytes >= MAX_SEQUENCE_BYTES || !between(code(j), lo, hi)) return false;
    bytes++;
    j++;
    return true;
  };
  const first = chars[j];
  if (first === '[') {
    take(0x5b, 0x5b);
    while (take(0x20, 0x3f));
    take(0x40, 0x7e);
  } else if (first !== undefined && STRING_INTRODUCERS.has(first)) {
    take(0x20, 0x7e);
    push('control', start, j);
    return readStringPayload(chars, j, bytes, push);
  } else if (between(code(j), 0x20, 0x2f)) {
    while (take(0x20, 0x2f));
    take(0x30, 0x7e);
  } else take(0x30, 0x7e);
  push('control', start, j);
  return j;
}

function readStringPayload(
  chars: string[],
  from: number,
  bytesBefore: number,
  push: (role: TerminalPiece['role'], from: number, to: number) => void,
): number {
  let bytes = bytesBefore;
  let j = from;
  while (j < chars.length && bytes < MAX_SEQUENCE_BYTES) {
    const c = chars[j]!;
    if (c === '\x07') {
      push('payload', from, j);
      push('control', j, j + 1);
      return j + 1;
    }
    if (c === ESC) {
      push('payload', from, j);
      if (chars[j + 1] === '\\' && bytes + 2 <= MAX_SEQUENCE_BYTES) {
        push('control', j, j + 2);
        return j + 2;
      }
      // An ESC that is not ST begins the next sequence, unless it is the last byte the bound
      // allows or the last of the text: then it ends this one.
      if (j + 1 < chars.length && bytes + 1 < MAX_SEQUENCE_BYTES) return j;
      push('control', j, j + 1);
      return j + 1;
    }
    const size = Buffer.byteLength(c, 'utf8');
    if (bytes + size > MAX_SEQUENCE_BYTES) {
      if (size > 1) throw new Error('the reference does not model a payload character cut by the length bound');
      break;
    }
    bytes += size;
    j++;
  }
  push('payload', from, j);
  return j;
}
