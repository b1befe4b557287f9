/**
 * SQL texts for the fuzzer: statements the fuzz policy allows (reads, session settings,
 * transactions), statements it forbids (writes, DDL, dangerous calls, pinned settings), and the
 * tricks that try to hide the second inside the first: quoting, escape strings, dollar quotes,
 * comments, line ends, the client-encoding and standard-strings differentials, odd case and
 * quoted names. Every forbidden statement targets the sentinel table, so the server's state shows
 * whether one ran; the server log shows it too.
 */
import type { SeededRandom } from './seeded-random.ts';

export const SENTINEL = 'fuzz_sentinel';
export const SENTINEL_ROWS = 3;

const ALLOWED: readonly string[] = [
  'SELECT 1',
  'SELECT * FROM fuzz_items WHERE id = 2',
  'SELECT count(*) FROM fuzz_items',
  `SELECT count(*) FROM ${SENTINEL}`,
  'SHOW work_mem',
  "SET work_mem = '8MB'",
  "SET client_encoding = 'UTF8'",
  'SET standard_conforming_strings = on',
  'BEGIN',
  'COMMIT',
  'ROLLBACK',
  "SELECT 'a literal'",
  'SELECT $$a dollar quote$$',
  "SELECT E'an \\'escaped\\' quote'",
  "SELECT U&'\\0041'",
  'VALUES (1), (2)',
  'SELECT /* a comment */ 2',
  'SELECT lower(name) FROM fuzz_items ORDER BY id',
  'SELECT now()',
  "SELECT 'é€😀'",
  'SELECT 1 WHERE false',
  'TABLE fuzz_items',
  '',
];

const FORBIDDEN: readonly string[] = [
  `DELETE FROM ${SENTINEL}`,
  `DROP TABLE ${SENTINEL}`,
  `UPDATE ${SENTINEL} SET v = 0`,
  `INSERT INTO ${SENTINEL} VALUES (99)`,
  `TRUNCATE ${SENTINEL}`,
  `WITH d AS (DELETE FROM ${SENTINEL} RETURNING *) SELECT * FROM d`,
  `SELECT * FROM ${SENTINEL} FOR UPDATE`,
  `CREATE TABLE fuzz_created (a int)`,
  `ALTER TABLE ${SENTINEL} ADD COLUMN w int`,
  "SELECT set_config('client_encoding', 'SJIS', false)",
  "SET client_encoding = 'BIG5'",
  'SET standard_conforming_strings = off',
  `UPDATE pg_settings SET setting = 'GBK' WHERE name = 'client_encoding'`,
  "SELECT nextval('fuzz_seq')",
  'SELECT pg_advisory_lock(1)',
  `DELETE FROM "${SENTINEL}"`,
  `dElEtE fRoM ${SENTINEL.toUpperCase()}`,
  `DELETE/**/FROM/**/${SENTINEL}`,
];

/** Ways to put a forbidden statement `f` next to (or inside) an allowed one. */
const HIDING: readonly ((f: string, a: string) => string)[] = [
  (f, a) => `${a}; ${f}`,
  (f, a) => `${f}; ${a}`,
  (f) => `SELECT 'x'; ${f}`,
  (f) => `SELECT $t$ ; $t$; ${f}`,
  (f) => `SELECT $$'$$; ${f}; --'`,
  (f) => `SELECT E'\\''; ${f}; --'`,
  (f) => `SELECT '\\''; ${f}; --'`,
  (f) => `SELECT E'\u00c3\\'; ${f}; --'`,
  (f) => `SELECT E'\u0861\\'; ${f}; --'`,
  (f) => `SELECT 1 --\r${f}`,
  (f) => `SELECT 1 --\n${f}`,
  (f) => `/* /* nested */ ${f} */ SELECT 1`,
  (f) => `/* ${f} */ SELECT 1; ${f}`,
  (f) => `SELECT '${f.replaceAll("'", "''")}'`,
  (f) => `SELECT "${f.replaceAll('"', '""')}" FROM fuzz_items`,
  (f) => `SELECT U&'\\0027'; ${f}`,
  (f) => `SELECT 1\u00a0; ${f}`,
  (f) => `SELECT 1;\u200b${f}`,
  (f) => `BEGIN; ${f}; COMMIT`,
  (f) => `EXPLAIN ANALYZE ${f}`,
  (f) => `EXPLAIN ${f}`,
  (f) => `DO $$ BEGIN EXECUTE '${f.replaceAll("'", "''")}'; END $$`,
];

/** One SQL text: allowed, forbidden, hidden, or a mix of several, with random whitespace. */
export function sqlText(random: SeededRandom): string {
  const roll = random.int(10);
  if (roll < 4) return random.pick(ALLOWED);
  if (roll < 5) return random.pick(FORBIDDEN);
  if (roll < 9) return random.pick(HIDING)(random.pick(FORBIDDEN), random.pick(ALLOWED));
  const parts: string[] = [];
  for (let i = 0, n = 2 + random.int(3); i < n; i++) parts.push(random.chance(0.7) ? random.pick(ALLOWED) : random.pick(FORBIDDEN));
  return parts.join(random.pick([';', '; ', ';\n', ' ;\t', ';/* c */']));
}

/** The text's UTF-8 bytes with a few bytes that are not UTF-8 put in (0x80-0xFF alone). */
export function invalidUtf8(random: SeededRandom, text: string): Buffer {
  const bytes = [...Buffer.from(text, 'utf8')];
  for (let i = 0, n = 1 + random.int(3); i < n; i++) bytes.splice(random.int(bytes.length + 1), 0, 0x80 + random.int(0x40));
  return Buffer.from(bytes);
}
