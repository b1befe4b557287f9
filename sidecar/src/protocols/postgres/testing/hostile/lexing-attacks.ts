/**
 * The parser-differential attacks the pinned settings stop (sql/pinned-settings.ts): bytes that
 * are valid UTF-8, so the sidecar classifies them as one harmless SELECT of a string, and that a
 * server reading them in another client encoding, or with standard_conforming_strings off, cuts
 * into a closed literal followed by `DROP TABLE victim`.
 *
 * The characters were found by asking PostgreSQL 15 which UTF-8 character followed by `\` decodes,
 * in each client-only encoding, without a trailing backslash: its last byte starts a two-byte
 * character whose second byte is the backslash. The suite asks the server again (the attack
 * checks itself). UHC and JOHAB have no such character: PostgreSQL refuses a backslash as the
 * second byte of a UHC or JOHAB character, so there the attempt uses the SJIS character and the
 * server rejects the bytes; the refusal tests still run for them.
 */

/** PostgreSQL's client-only encodings: a server cannot use them, a client can ask for them. */
export const CLIENT_ONLY_ENCODINGS = ['SJIS', 'SHIFT_JIS_2004', 'BIG5', 'GBK', 'GB18030', 'UHC', 'JOHAB'] as const;
export type ClientOnlyEncoding = (typeof CLIENT_ONLY_ENCODINGS)[number];

/** A UTF-8 character whose last byte swallows a following backslash in the encoding; undefined when none exists. */
export const SWALLOWS_BACKSLASH: Readonly<Record<ClientOnlyEncoding, string | undefined>> = {
  SJIS: '\u00c3', // c3 83: ﾃ, then 83 5c is ソ
  SHIFT_JIS_2004: '\u00c3',
  BIG5: '\u0861', // e0 a1 a1: e0 a1 is one character, then a1 5c another
  GBK: '\u0801', // e0 a0 81: e0 a0, then 81 5c
  GB18030: '\u0801',
  UHC: undefined,
  JOHAB: undefined,
};

/** What gets dropped if an attack gets through. */
export const VICTIM = 'victim';

/**
 * The attack text under a client encoding: to UTF-8 an escape string holding an escaped quote
 * (one literal); to the encoding the character swallows the backslash, the quote closes the
 * literal and DROP TABLE follows.
 */
export function encodingAttack(encoding: ClientOnlyEncoding): { readonly sql: string; readonly literal: string } {
  const swallower = SWALLOWS_BACKSLASH[encoding] ?? '\u00c3';
  return { sql: `SELECT E'${swallower}\\'; DROP TABLE ${VICTIM}; --'`, literal: `${swallower}'; DROP TABLE ${VICTIM}; --` };
}

/**
 * The attack with standard_conforming_strings off: to the classifier `'\''...'` is one literal
 * (a backslash, then a doubled quote); to the server `\'` is an escaped quote and the next one
 * closes the literal.
 */
export const STANDARD_STRINGS_ATTACK = {
  sql: `SELECT '\\''; DROP TABLE ${VICTIM}; --'`,
  literal: `\\'; DROP TABLE ${VICTIM}; --`,
} as const;
