/**
 * Where a byte stream may be cut without cutting a match in two, per span finder. A stream masker
 * releases output up to the last position that no match of any finder can straddle, whatever
 * bytes come later; this file says, for each finder, which positions those are. A position is
 * judged by the bytes before it only (the next byte may not have arrived), so it is safe when no
 * match can contain the byte before it together with the byte after it.
 *
 * - Built-in detectors: written by hand from their patterns in detectors.ts (keep the two in step;
 *   the stream masker's property test plants every detector's secrets across cuts).
 * - Custom patterns: read from the compiled RE2 program, the union of every character any
 *   instruction can consume. That reads re2js internals (the program's instruction list, pinned
 *   with the package version); when the program is not what this code knows, or uses lookbehind,
 *   the pattern is taken to match every byte: no cut is safe and output waits for the hold-back
 *   bound or a timer flush, slower but never unmasked.
 *
 * A finder is known by its label: a detector's name, or a custom pattern's source. A pattern whose
 * source is a detector's name (the pattern `email` matches the word "email") cannot be told apart
 * by label, so for those labels both readings are combined.
 */
import { RE2JS } from 're2js';
import { DETECTOR_NAMES, type DetectorName } from './detectors.ts';
import type { SpanFinder } from './span-finder.ts';

export interface CutProfile {
  /** 1 for each ASCII byte (0-127) a match may contain anywhere: a cut right after it is never safe. */
  readonly inside: Uint8Array;
  /** A match may contain non-ASCII characters (\p{L}, a negated class, `.`): then no cut falls after one. */
  readonly nonAscii: boolean;
  /** 1 for each ASCII byte a match contains only right after a digit (the spaces and dashes in grouped card numbers and IDs). */
  readonly afterDigitOnly: Uint8Array;
  /** 1 for each ASCII byte a match contains only right after a word of two letters (the space after a NINO's prefix, "AB 12 34 56 C"). */
  readonly afterLetterPairOnly: Uint8Array;
  /** Whitespace after the word "bearer" continues a match (apiKey's `Bearer <token>`). */
  readonly bearer: boolean;
  /** Private key blocks: a match runs from a BEGIN line to its END line, across lines. */
  readonly privateKeyBlocks: boolean;
}

const ASCII = 128;

function bytesOf(chars: string): Uint8Array {
  const table = new Uint8Array(ASCII);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  return table;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = LETTERS + DIGITS;

const NONE = new Uint8Array(ASCII);

function profile(inside: string, extra: Partial<Omit<CutProfile, 'inside'>> = {}): CutProfile {
  return {
    inside: bytesOf(inside),
    nonAscii: false,
    afterDigitOnly: NONE,
    afterLetterPairOnly: NONE,
    bearer: false,
    privateKeyBlocks: false,
    ...extra,
  };
}

/** Every byte may be inside a match: the profile of a pattern this file cannot read. */
export const MATCHES_ANYTHING: CutProfile = {
  inside: new Uint8Array(ASCII).fill(1),
  nonAscii: true,
  afterDigitOnly: NONE,
  afterLetterPairOnly: NONE,
  bearer: false,
  privateKeyBlocks: false,
};

const DETECTOR_PROFILES: Record<DetectorName, CutProfile> = {
  // Local part [\p{L}\p{N}._%+!#$&'*/=?^`{|}~-], '@', labels of letters, digits and '-', dots;
  // Unicode letters and digits anywhere.
  email: profile(`${ALNUM}._%+!#$&'*/=?^\`{|}~-@`, { nonAscii: true }),
  // \d(?:[ -]?\d){12,}: a space or dash only between two digits.
  cardNumber: profile(DIGITS, { afterDigitOnly: bytesOf(' -') }),
  // SSN ddd-dd-dddd: dashes after digits. NINO \bAB ?12 ?34 ?56 ?C: spaces after digits or
  // after the two-letter prefix. The NINO pattern is case-insensitive, and RE2 folds K and S to
  // KELVIN SIGN and LONG S.
  nationalId: profile(ALNUM, { afterDigitOnly: bytesOf(' -'), afterLetterPairOnly: bytesOf(' '), nonAscii: true }),
  // The prefixed tokens use [A-Za-z0-9_-]; the bearer token [A-Za-z0-9._~+/-] and trailing '='.
  // The \s+ between "Bearer" and its token is the `bearer` flag, not `inside`: whitespace anywhere
  // else ends every apiKey match.
  apiKey: profile(`${ALNUM}_.~+/=-`, { bearer: true }),
  // eyJ<header>.<payload>.<signature> in base64url.
  jwt: profile(`${ALNUM}_-.`),
  // Everything between BEGIN and END, newlines included: tracked as a block, not by bytes.
  privateKey: profile('', { privateKeyBlocks: true }),
};

/** The cut profile of one finder, as it appears in a compiled rule. */
export function cutProfileOf(finder: SpanFinder): CutProfile {
  const pattern = patternCutProfile(finder.label);
  const detector = (DETECTOR_NAMES as readonly string[]).includes(finder.label)
    ? DETECTOR_PROFILES[finder.label as DetectorName]
    : undefined;
  return detector ? unionOf([detector, pattern]) : pattern;
}

export function detectorCutProfile(name: DetectorName): CutProfile {
  return DETECTOR_PROFILES[name];
}

/** A position is safe only where it is safe for every profile. */
export function unionOf(profiles: readonly CutProfile[]): CutProfile {
  const inside = new Uint8Array(ASCII);
  const afterDigitOnly = new Uint8Array(ASCII);
  const afterLetterPairOnly = new Uint8Array(ASCII);
  let nonAscii = false;
  let bearer = false;
  let privateKeyBlocks = false;
  for (const p of profiles) {
    nonAscii ||= p.nonAscii;
    for (let b = 0; b < ASCII; b++) {
      inside[b]! |= p.inside[b]!;
      afterDigitOnly[b]! |= p.afterDigitOnly[b]!;
      afterLetterPairOnly[b]! |= p.afterLetterPairOnly[b]!;
    }
    bearer ||= p.bearer;
    privateKeyBlocks ||= p.privateKeyBlocks;
  }
  return { inside, nonAscii, afterDigitOnly, afterLetterPairOnly, bearer, privateKeyBlocks };
}

// Instruction opcodes and the case-folding flag of re2js 2.x's compiled program (Inst, RE2Flags).
const OP = {
  ALT: 1,
  ALT_MATCH: 2,
  CAPTURE: 3,
  EMPTY_WIDTH: 4,
  FAIL: 5,
  MATCH: 6,
  NOP: 7,
  RUNE: 8,
  RUNE1: 9,
  RUNE_ANY: 10,
  RUNE_ANY_NOT_NL: 11,
};
const FOLD_CASE = 1;
const NEWLINE = 0x0a;

interface ProgramInst {
  readonly op: number;
  readonly arg: number;
  readonly runes: ArrayLike<number>;
}

function instructionsOf(re: RE2JS): readonly ProgramInst[] | undefined {
  const inst: unknown = (re as unknown as { re2Input?: { prog?: { inst?: unknown } } }).re2Input?.prog?.inst;
  if (!Array.isArray(inst)) return undefined;
  for (const i of inst as unknown[]) {
    const candidate = i as Partial<ProgramInst> | null;
    if (typeof candidate?.op !== 'number' || typeof candidate.arg !== 'number' || typeof candidate.runes?.length !== 'number')
      return undefined;
  }
  return inst as ProgramInst[];
}

/**
 * The bytes a custom pattern can consume, from its RE2 program: every instruction counts, reachable
 * or not, so the set can only be too large (a cut is missed, output waits a little), never too small.
 */
export function patternCutProfile(source: string): CutProfile {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch {
    return MATCHES_ANYTHING;
  }
  const program = instructionsOf(re);
  if (!program) return MATCHES_ANYTHING;
  const inside = new Uint8Array(ASCII);
  let nonAscii = false;
  for (const inst of program) {
    switch (inst.op) {
      case OP.ALT:
      case OP.ALT_MATCH:
      case OP.CAPTURE:
      case OP.EMPTY_WIDTH:
      case OP.FAIL:
      case OP.MATCH:
      case OP.NOP:
        break;
      case OP.RUNE:
      case OP.RUNE1:
        if (inst.runes.length === 1) nonAscii = addRune(inside, inst.runes[0]!, (inst.arg & FOLD_CASE) !== 0) || nonAscii;
        else for (let k = 0; k + 1 < inst.runes.length; k += 2) nonAscii = addRange(inside, inst.runes[k]!, inst.runes[k + 1]!) || nonAscii;
        break;
      case OP.RUNE_ANY:
        return MATCHES_ANYTHING;
      case OP.RUNE_ANY_NOT_NL:
        inside.fill(1);
        inside[NEWLINE] = 0;
        nonAscii = true;
        break;
      default:
        // Lookbehind, or an instruction of a newer re2js: what it consumes is unknown.
        return MATCHES_ANYTHING;
    }
  }
  return { inside, nonAscii, afterDigitOnly: NONE, afterLetterPairOnly: NONE, bearer: false, privateKeyBlocks: false };
}

/** Marks the ASCII part of [lo, hi]; true when the range reaches beyond ASCII. */
function addRange(inside: Uint8Array, lo: number, hi: number): boolean {
  for (let c = Math.max(0, lo); c <= Math.min(ASCII - 1, hi); c++) inside[c] = 1;
  return hi >= ASCII;
}

/**
 * A case-folded rune matches every character in its Unicode fold orbit; ASCII letters are reached
 * from outside ASCII too (KELVIN SIGN folds to k, LONG S to s), so compare both case mappings.
 */
function addRune(inside: Uint8Array, rune: number, folded: boolean): boolean {
  if (rune < ASCII) inside[rune] = 1;
  if (!folded) return rune >= ASCII;
  const char = String.fromCodePoint(rune);
  const lower = char.toLowerCase();
  const upper = char.toUpperCase();
  for (const c of LETTERS) if (c.toLowerCase() === lower || c.toUpperCase() === upper) inside[c.charCodeAt(0)] = 1;
  // k and s fold to KELVIN SIGN and LONG S too.
  return rune >= ASCII || lower === 'k' || lower === 's';
}
