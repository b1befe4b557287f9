/**
 * The settings that decide how PostgreSQL cuts the bytes of a statement into tokens, which airlock
 * pins to the values its classifier assumes (docs/adr/0014-pinned-lexing-settings.md). The
 * classifier reads every statement as UTF-8 with standard-conforming strings; if the server read
 * the same bytes another way, one string literal to the classifier could be a literal and a DROP
 * TABLE to the server. No policy can make that safe, so a statement that would move one of these
 * settings off its pinned value is refused before policy, and audit mode cannot let it through.
 *
 * Decisions, and why:
 * - client_encoding stays UTF8. In SJIS, SHIFT_JIS_2004, BIG5, GBK and GB18030 (client-only
 *   encodings) a multibyte character can end in the byte of `\`, so `E'ﾃ\'` is a closed literal
 *   to the server and an open one to the classifier.
 * - standard_conforming_strings stays on. Off, `'\''` is a closed literal to the server and an
 *   open one to the classifier.
 * - Not pinned: backslash_quote (it only makes the server reject `\'` in escape strings: an error,
 *   never another token boundary) and escape_string_warning (a warning). Nothing else in
 *   PostgreSQL 13-18 changes how the lexer reads text; transform_null_equals changes parse
 *   analysis, not tokens or statement kinds.
 * - A value is compared the way PostgreSQL reads it: encodings by PostgreSQL's clean_encoding_name
 *   (letters and digits, lower-cased; UTF8 and UNICODE are both UTF-8), booleans by parse_bool.
 *   Setting the pinned value again is allowed: drivers send `SET client_encoding = 'UTF8'`.
 * - DEFAULT, RESET, RESET ALL, DISCARD ALL and FROM CURRENT are not changes: they return to the
 *   value the session started with, and the sidecar starts every upstream session with the pinned
 *   values as startup parameters, which take precedence over ALTER ROLE/DATABASE settings and the
 *   server configuration (PostgreSQL's PGC_S_CLIENT source).
 * - A setting name the classifier cannot read (set_config($1, ...), a write to pg_settings) could
 *   be a pinned one: refused as `*`.
 */
import type { SettingValue } from './setting-kinds.ts';

export type PinnedSettingName = 'client_encoding' | 'standard_conforming_strings';

/** A pinned setting's name, or `*` when the statement names its setting only at run time. */
export type PinnedSettingChange = PinnedSettingName | '*';

interface PinnedSetting {
  /** The value airlock keeps, as sent in the upstream startup and shown in messages. */
  readonly value: string;
  /** Whether a value, as PostgreSQL would read it, is the pinned one. */
  readonly holds: (text: string) => boolean;
}

export const PINNED_SETTINGS: ReadonlyMap<PinnedSettingName, PinnedSetting> = new Map<PinnedSettingName, PinnedSetting>([
  ['client_encoding', { value: 'UTF8', holds: (text) => ['utf8', 'unicode'].includes(text.replace(/[^A-Za-z0-9]/g, '').toLowerCase()) }],
  ['standard_conforming_strings', { value: 'on', holds: isTrue }],
]);

export function isPinnedSetting(name: string): name is PinnedSettingName {
  return PINNED_SETTINGS.has(name.toLowerCase() as PinnedSettingName);
}

/**
 * Which pinned setting giving setting `name` (undefined when unreadable) the value `value` moves
 * off its pinned value; undefined when none does.
 */
export function pinnedSettingChange(name: string | undefined, value: SettingValue): PinnedSettingChange | undefined {
  if (name === undefined) return '*';
  const lower = name.toLowerCase();
  if (!isPinnedSetting(lower)) return undefined;
  if (value.kind === 'initial') return undefined;
  return value.kind === 'literal' && pinnedValueHolds(lower, value.text) ? undefined : lower;
}

/** Whether `value` (as given in SET, or as the server reports it) is the pinned value of `name`. */
export function pinnedValueHolds(name: PinnedSettingName, value: string): boolean {
  return PINNED_SETTINGS.get(name)?.holds(value) ?? false;
}

/**
 * The pinned setting a server's ParameterStatus shows moved off its value, or undefined. The
 * server reports both settings whenever they change, whatever changed them.
 */
export function reportedPinBroken(name: string, value: string): PinnedSettingName | undefined {
  return isPinnedSetting(name) && !pinnedValueHolds(name, value) ? name : undefined;
}

/** PostgreSQL's parse_bool reading true: a prefix of true or yes, on, or 1 (case-insensitive). */
function isTrue(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower === '') return false;
  return 'true'.startsWith(lower) || 'yes'.startsWith(lower) || lower === 'on' || lower === '1';
}
