/**
 * The built-in value detectors a rule names in `detectors` (and a target's `maskingProfile`
 * turns on). Each is an RE2 pattern (linear time, whatever the value) behind a byte-statistics
 * prefilter, plus a validator where shape alone gives too many false positives. Detectors find
 * spans inside longer text: "contact bob@x.io today" masks only the address.
 *
 * What each one covers, so policy authors know what they get:
 * - email: local@domain with a dotted domain and a letters-only TLD; Unicode letters allowed.
 * - cardNumber: 13-19 digits, optionally grouped by single spaces or dashes, Luhn-checked, not
 *   glued to letters or other digits (so long ids and UUID fragments are left alone).
 * - nationalId: US SSN ddd-dd-dddd (dashes required; area 000, 666 and 900-999, group 00 and
 *   serial 0000 are never issued and are not matched) and UK National Insurance numbers
 *   (AB123456C, optionally spaced in pairs, invalid prefixes BG GB KN NK NT TN ZZ excluded).
 *   Bare nine-digit SSNs are not matched: too many other numbers look the same.
 * - apiKey: well-known credential prefixes: AWS access key ids (AKIA/ASIA/ABIA/ACCA), GitHub
 *   (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), GitLab (glpat-), Slack (xoxb- xoxp- xoxa- xoxr- xoxs-),
 *   Stripe (sk_/rk_ live/test), OpenAI/Anthropic-style sk-, Google (AIza), npm (npm_), and the
 *   token after "Bearer " (20+ characters, so prose like "a bearer token" is left alone).
 * - jwt: three base64url segments whose header starts eyJ (base64 of '{"').
 * - privateKey: PEM/OpenSSH/PGP private key blocks from BEGIN to END, or to the end of the value
 *   when the END line is cut off.
 */
import type { MaskingRule } from '@airlock/crds';
import { RE2JS } from 're2js';
import { luhnValid } from './luhn.ts';
import { appendMatchOrMaskGroup, containsAscii, eachMatch, type SpanFinder, type SpanSink } from './span-finder.ts';

export type DetectorName = NonNullable<MaskingRule['detectors']>[number];

export const DETECTOR_NAMES: readonly DetectorName[] = ['email', 'cardNumber', 'nationalId', 'apiKey', 'jwt', 'privateKey'];

export function isDetectorName(name: string): name is DetectorName {
  return (DETECTOR_NAMES as readonly string[]).includes(name);
}

const EMAIL = "[\\p{L}\\p{N}._%+!#$&'*/=?^`{|}~-]+@(?:[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]{0,61}[\\p{L}\\p{N}])?\\.)+\\p{L}{2,63}";

// A maximal run of 13 or more digits joined by single spaces or dashes; the validator picks the
// cards in it. Shorter runs (dates, times, amounts) fail the cheap DFA test and never reach it.
const CARD_MIN_DIGITS = 13;
const DIGIT_RUN = `\\d(?:[ -]?\\d){${CARD_MIN_DIGITS - 1},}`;
const CARD_MAX_DIGITS = 19;
// 19 digits and 18 single separators: no card window is wider.
const CARD_MAX_WIDTH = 2 * CARD_MAX_DIGITS - 1;

const SSN = '\\b(\\d{3})-(\\d{2})-(\\d{4})\\b';
const NINO = '(?i)\\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\\d{2} ?\\d{2} ?\\d{2} ?[A-D]\\b';
const NINO_NEVER_ISSUED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

const API_KEY = [
  '\\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\\b',
  '\\bgh[pousr]_[A-Za-z0-9]{36,255}\\b',
  '\\bgithub_pat_[A-Za-z0-9_]{22,255}\\b',
  '\\bglpat-[A-Za-z0-9_-]{20,}',
  '\\bxox[bpars]-[A-Za-z0-9-]{16,}',
  '\\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\\b',
  '\\bsk-[A-Za-z0-9_-]{20,}',
  '\\bAIza[0-9A-Za-z_-]{35}',
  '\\bnpm_[A-Za-z0-9]{36}\\b',
  '(?i:\\bbearer)\\s+(?P<mask>[A-Za-z0-9._~+/-]{20,}=*)',
].join('|');

// The shortest real header, {"alg":"none"}, is 19 characters of base64url.
const JWT = 'eyJ[A-Za-z0-9_-]{14,}\\.[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*';

const PRIVATE_KEY =
  '-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\\z)';

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isAsciiLetter = (c: number | undefined): boolean => c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));

function digitsAt(bytes: Uint8Array, from: number, count: number): boolean {
  for (let k = from; k < from + count; k++) if (!isDigit(bytes[k])) return false;
  return true;
}

/**
 * Shape checks on the raw bytes before any decoding or RE2 scan: dates, timestamps and prose with
 * numbers are in nearly every result set and have digit runs long enough to pass the statistics.
 * Both shapes are ASCII, so bytes and characters line up.
 */
function hasSsnShape(bytes: Uint8Array, start: number, end: number): boolean {
  // ddd-dd-dddd: i is the first dash.
  for (let i = start + 3; i + 7 < end; i++) {
    if (bytes[i] !== 0x2d || bytes[i + 3] !== 0x2d) continue;
    if ((i - 4 < start || !isDigit(bytes[i - 4])) && digitsAt(bytes, i - 3, 3) && digitsAt(bytes, i + 1, 2) && digitsAt(bytes, i + 4, 4))
      return true;
  }
  return false;
}

/** Two letters, then three digit pairs each optionally after a space: a NINO without its suffix letter. */
function hasNinoShape(bytes: Uint8Array, start: number, end: number): boolean {
  // Anchored on the first digit, rarer than letters in the text this runs over.
  for (let p = start + 2; p + 6 <= end; p++) {
    if (!isDigit(bytes[p])) continue;
    const j = bytes[p - 1] === 0x20 ? p - 2 : p - 1;
    if (j - 1 < start || !isAsciiLetter(bytes[j]) || !isAsciiLetter(bytes[j - 1])) continue;
    let q = p;
    let pairs = 0;
    for (; pairs < 3; pairs++) {
      if (pairs > 0 && bytes[q] === 0x20) q++;
      if (q + 2 > end || !digitsAt(bytes, q, 2)) break;
      q += 2;
    }
    if (pairs === 3) return true;
  }
  return false;
}

const isWordChar = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isSeparator = (c: number): boolean => c === 0x20 || c === 0x2d;

/**
 * Appends the card numbers inside one digit run `text[start, end)`. A card may start at the run's
 * start or after a separator and end at the run's end or before one, so "order 1234 4111 1111 1111
 * 1111" finds the card after the order number; a run glued to letters is not a card at that edge.
 */
function appendCards(text: string, start: number, end: number, out: SpanSink): void {
  const openStart = start === 0 || !isWordChar(text.charCodeAt(start - 1));
  const openEnd = end === text.length || !isWordChar(text.charCodeAt(end));
  let from = start;
  while (from < end) {
    const canStart = from === start ? openStart : isSeparator(text.charCodeAt(from - 1));
    let found = -1;
    if (canStart) {
      const limit = Math.min(end, from + CARD_MAX_WIDTH);
      let digits = 0;
      // Longest window first, so "4111 1111 1111 1111 1" is not cut to 13 digits.
      const ends: number[] = [];
      for (let i = from; i < limit; i++) {
        if (!isSeparator(text.charCodeAt(i))) digits++;
        const atEdge = i + 1 === end ? openEnd : isSeparator(text.charCodeAt(i + 1));
        if (atEdge && digits >= CARD_MIN_DIGITS && digits <= CARD_MAX_DIGITS) ends.push(i + 1);
      }
      for (let k = ends.length - 1; k >= 0; k--) {
        const e = ends[k]!;
        if (luhnValid(text, from, e)) {
          found = e;
          break;
        }
      }
    }
    if (found >= 0) {
      out.push(from, found);
      from = found + 1;
    } else from++;
  }
}

function regexFinder(label: string, source: string, mayMatch: SpanFinder['mayMatch']): SpanFinder {
  const re = RE2JS.compile(source);
  const hasMaskGroup = 'mask' in re.namedGroups();
  return {
    label,
    mayMatch,
    findSpans(text, out) {
      eachMatch(re, text, (m) => {
        appendMatchOrMaskGroup(m, hasMaskGroup, out);
      });
    },
  };
}

function createDetector(name: DetectorName): SpanFinder {
  switch (name) {
    case 'email':
      return regexFinder(name, EMAIL, (f) => f.at);
    case 'cardNumber': {
      const re = RE2JS.compile(DIGIT_RUN);
      return {
        label: name,
        mayMatch: (f) => f.longestDigitRun >= CARD_MIN_DIGITS,
        findSpans(text, out) {
          eachMatch(re, text, (m) => {
            appendCards(text, m.start(), m.end(), out);
          });
        },
      };
    }
    case 'nationalId': {
      const ssn = RE2JS.compile(SSN);
      const nino = RE2JS.compile(NINO);
      return {
        label: name,
        // An SSN is a run of 9 digits, a NINO's digits a run of 6.
        mayMatch: (f, bytes, start, end) => f.longestDigitRun >= 6 && (hasSsnShape(bytes, start, end) || hasNinoShape(bytes, start, end)),
        findSpans(text, out) {
          eachMatch(ssn, text, (m) => {
            const area = m.group(1);
            if (area !== '000' && area !== '666' && area?.[0] !== '9' && m.group(2) !== '00' && m.group(3) !== '0000')
              out.push(m.start(), m.end());
          });
          eachMatch(nino, text, (m) => {
            if (!NINO_NEVER_ISSUED.has(m.group(1)?.toUpperCase() ?? '')) out.push(m.start(), m.end());
          });
        },
      };
    }
    case 'apiKey':
      // Every alternative is at least 20 token characters long.
      return regexFinder(name, API_KEY, (f) => f.longestToken >= 20);
    case 'jwt':
      // 'eyJ' rules out nearly all long tokens (URLs, hashes, base64 blobs) more cheaply than the DFA.
      return regexFinder(name, JWT, (f, bytes, start, end) => f.longestToken >= 20 && containsAscii(bytes, start, end, 'eyJ'));
    case 'privateKey':
      return regexFinder(
        name,
        PRIVATE_KEY,
        (f, bytes, start, end) => f.longestDashes >= 5 && containsAscii(bytes, start, end, 'PRIVATE KEY'),
      );
  }
}

/**
 * The detectors of one compiled masking configuration. RE2 programs are compiled on first use and
 * shared by every rule that names the detector (no module-level state: each compile has its own).
 */
export class DetectorSet {
  readonly #byName = new Map<DetectorName, SpanFinder>();

  get(name: DetectorName): SpanFinder {
    let detector = this.#byName.get(name);
    if (!detector) {
      detector = createDetector(name);
      this.#byName.set(name, detector);
    }
    return detector;
  }
}
