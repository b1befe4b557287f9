/**
 * Text for a terminal, from fields an agent controls. A statement may carry escape sequences,
 * carriage returns, bidirectional overrides or zero-width characters that would make a terminal
 * show a reviewer something other than what runs (clear the line and print a harmless query,
 * reorder characters — "Trojan Source"). Every such character is shown as a visible `\u{...}`
 * escape instead, and the view says how many there were.
 */

export interface Style {
  readonly keyword: (s: string) => string;
  readonly string: (s: string) => string;
  readonly number: (s: string) => string;
  readonly comment: (s: string) => string;
  readonly identifier: (s: string) => string;
  readonly parameter: (s: string) => string;
  readonly heading: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly warn: (s: string) => string;
  readonly good: (s: string) => string;
  /** An escaped invisible character. */
  readonly escaped: (s: string) => string;
}

const sgr = (open: string, close: string) => (s: string) => (s === '' ? s : `\u001b[${open}m${s}\u001b[${close}m`);

export const COLOR: Style = {
  keyword: sgr('1;34', '22;39'),
  string: sgr('32', '39'),
  number: sgr('35', '39'),
  comment: sgr('2', '22'),
  identifier: (s) => s,
  parameter: sgr('36', '39'),
  heading: sgr('1', '22'),
  dim: sgr('2', '22'),
  warn: sgr('1;31', '22;39'),
  good: sgr('32', '39'),
  escaped: sgr('7', '27'),
};

const same = (s: string) => s;
export const PLAIN: Style = {
  keyword: same,
  string: same,
  number: same,
  comment: same,
  identifier: same,
  parameter: same,
  heading: same,
  dim: same,
  warn: same,
  good: same,
  escaped: same,
};

/**
 * C0 and C1 controls (newline and tab excepted when allowed), DEL, and the invisible characters
 * that change how text reads: bidi marks, embeddings, overrides and isolates; zero-width spaces
 * and joiners; the BOM; line and paragraph separators.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_WITH_LAYOUT = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;

/** `c` as a visible `\u{XXXX}` escape. */
export const escapeChar = (c: string) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`;

/** `text` with every unsafe character shown as `\u{XXXX}`; newlines and tabs kept when `multiline`. */
export function safeText(text: string, options: { multiline?: boolean; style?: Style } = {}): string {
  const style = options.style ?? PLAIN;
  return text.replace(options.multiline ? UNSAFE : UNSAFE_WITH_LAYOUT, (c) => style.escaped(escapeChar(c)));
}

/** How many characters safeText would escape (newlines and tabs count only when not `multiline`). */
export function countUnsafe(text: string, options: { multiline?: boolean } = {}): number {
  return text.match(options.multiline ? UNSAFE : UNSAFE_WITH_LAYOUT)?.length ?? 0;
}

/** One line: whitespace runs (newlines included) become one space, then unsafe characters are escaped. */
export function oneLine(text: string): string {
  return safeText(text.replace(/[ \t\r\n]+/g, ' ').trim());
}

/** At most `max` characters, with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Display width, ignoring ANSI SGR sequences; one column per code point (no East Asian wide handling). */
export function visibleWidth(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matches the SGR sequences this module writes
  return Array.from(text.replace(/\u001b\[[0-9;]*m/g, '')).length;
}
