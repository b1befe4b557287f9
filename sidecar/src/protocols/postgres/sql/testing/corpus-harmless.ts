/**
 * Harmless statements that must keep harmless kinds: reads that must stay plain `read` (a policy
 * allowing reads must let them through), and session or transaction statements that change
 * nothing beyond this session. They guard against a classifier that stays safe by gating
 * everything, in particular against the bypass rules over-reaching: words like DELETE or FOR
 * UPDATE inside strings and comments, built-in casts, operators and sampling methods, the
 * reviewed VOLATILE functions, and settings that only look like the guarded ones. Written by hand.
 */
import { type CorpusEntry, one } from './corpus-entry.ts';

const READS: readonly CorpusEntry[] = [
  one('built-in string functions', 'SELECT lower(name), upper(email), length(note) FROM customers', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['customers'],
    functions: ['lower', 'upper', 'length'],
  }),
  one('pg_catalog-qualified read-only functions', "SELECT pg_catalog.lower('A'), pg_catalog.length('x')", {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['pg_catalog.lower', 'pg_catalog.length'],
  }),
  one('reviewed VOLATILE functions', 'SELECT now(), clock_timestamp(), random(), gen_random_uuid()', {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['now', 'clock_timestamp', 'random', 'gen_random_uuid'],
  }),
  one('currval only reads', "SELECT currval('orders_id_seq')", { kinds: ['read'], commands: ['SELECT'], functions: ['currval'] }),
  one('reading a sequence relation', 'SELECT last_value FROM orders_id_seq', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders_id_seq'],
  }),
  one('a write inside a dollar-quoted string', 'SELECT $$; DELETE FROM orders; $$ AS text', { kinds: ['read'], commands: ['SELECT'] }),
  one('a write inside a string', "SELECT 'DELETE FROM orders' AS sql", { kinds: ['read'], commands: ['SELECT'] }),
  one('FOR UPDATE inside a string', "SELECT * FROM orders WHERE note = 'FOR UPDATE'", {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  one('a write in a leading comment', '/* DELETE FROM orders */ SELECT 1', { kinds: ['read'], commands: ['SELECT'] }),
  one('keywords as quoted identifiers', 'SELECT "select", "delete" FROM "update"', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['update'],
  }),
  one('a Unicode-escaped column name', 'SELECT U&"\\0074otal" FROM orders', { kinds: ['read'], commands: ['SELECT'], objects: ['orders'] }),
  one('casts to built-in types', "SELECT '2024-01-01'::date, 1::bigint, '{}'::jsonb, CAST('1' AS integer), interval '1 day'", {
    kinds: ['read'],
    commands: ['SELECT'],
  }),
  one('a parameter cast to regclass', 'SELECT $1::regclass', { kinds: ['read'], commands: ['SELECT'] }),
  one('an array parameter', 'SELECT id FROM orders WHERE id = ANY ($1)', { kinds: ['read'], commands: ['SELECT'], objects: ['orders'] }),
  one('ORDER BY USING a built-in operator', 'SELECT * FROM orders ORDER BY id USING <', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  one('jsonb operators', `SELECT items -> 'sku', items ->> 'qty' FROM orders WHERE items @> '{"gift": true}'`, {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  one('concatenation and LIKE', "SELECT name || ' <' || email || '>' FROM customers WHERE name LIKE 'A%'", {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['customers'],
  }),
  one('TABLESAMPLE SYSTEM', 'SELECT * FROM orders TABLESAMPLE SYSTEM (10)', { kinds: ['read'], commands: ['SELECT'], objects: ['orders'] }),
  one('a column definition list of built-in types', `SELECT * FROM jsonb_to_record('{"a": 1}') AS t(a int, b text)`, {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['jsonb_to_record'],
  }),
  one('an aggregate with FILTER', 'SELECT count(*) FILTER (WHERE total > 0) FROM orders', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['count'],
  }),
  one('a scalar subquery', 'SELECT * FROM orders o WHERE o.total > (SELECT avg(total) FROM orders)', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['avg'],
  }),
  one('to_json of a row', 'SELECT to_json(o) FROM orders o', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['to_json'],
  }),
  one('generate_series', 'SELECT x FROM generate_series(1, 3) x', {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['generate_series'],
  }),
  one('VALUES of built-ins', "VALUES (lower('A'), abs(-1))", { kinds: ['read'], commands: ['SELECT'], functions: ['lower', 'abs'] }),
  one('current_setting only reads', "SELECT current_setting('search_path')", {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['current_setting'],
  }),
  one('catalog views', 'SELECT pid, state FROM pg_stat_activity WHERE datname = current_database()', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['pg_stat_activity'],
    functions: ['current_database'],
  }),
  one('privilege checks are reads', "SELECT has_table_privilege('orders', 'SELECT')", {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['has_table_privilege'],
  }),
  one('relation sizes', "SELECT pg_size_pretty(pg_total_relation_size('orders'))", {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['pg_size_pretty', 'pg_total_relation_size'],
  }),
  one('SHOW ALL', 'SHOW ALL', { kinds: ['read'], commands: ['SHOW'] }),
  one('SHOW role', 'SHOW role', { kinds: ['read'], commands: ['SHOW'] }),
  one('EXPLAIN (ANALYZE off) does not run the write', 'EXPLAIN (ANALYZE off) DELETE FROM orders WHERE id = 1', {
    kinds: ['read'],
    commands: ['EXPLAIN'],
    objects: ['orders'],
  }),
  one('FETCH ALL', 'FETCH ALL FROM c', { kinds: ['read'], commands: ['FETCH'] }),
  one('MOVE', 'MOVE NEXT FROM c', { kinds: ['read'], commands: ['MOVE'] }),
];

const SESSION_AND_TRANSACTION: readonly CorpusEntry[] = [
  one('SET statement_timeout', "SET statement_timeout = '5s'", { kinds: ['session'], commands: ['SET'] }),
  one('SET application_name', "SET application_name = 'agent'", { kinds: ['session'], commands: ['SET'] }),
  one('SET client_encoding to UTF8', "SET client_encoding = 'UTF8'", { kinds: ['session'], commands: ['SET'] }),
  one('SET NAMES utf-8', "SET NAMES 'utf-8'", { kinds: ['session'], commands: ['SET'] }),
  one('standard_conforming_strings on', 'SET standard_conforming_strings = on', { kinds: ['session'], commands: ['SET'] }),
  one('set_config of an ordinary setting', "SELECT set_config('statement_timeout', '5s', false)", {
    kinds: ['read', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  one('DISCARD TEMP', 'DISCARD TEMP', { kinds: ['session'], commands: ['DISCARD TEMP'] }),
  one('UNLISTEN *', 'UNLISTEN *', { kinds: ['session'], commands: ['UNLISTEN'] }),
  one('SET SESSION CHARACTERISTICS', 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY', { kinds: ['session'], commands: ['SET'] }),
  one('BEGIN READ ONLY', 'BEGIN READ ONLY', { kinds: ['transaction'], commands: ['BEGIN'] }),
  one('SET TRANSACTION ISOLATION LEVEL', 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ', { kinds: ['transaction'], commands: ['SET'] }),
];

export const HARMLESS_STATEMENTS: readonly CorpusEntry[] = [...READS, ...SESSION_AND_TRANSACTION];
