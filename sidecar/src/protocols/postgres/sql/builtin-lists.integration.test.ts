/**
 * The classifier's hand-written lists of built-ins held against a real PostgreSQL's catalog (the
 * suite's server: a cluster of its own on a random loopback port, stopped after the file even when
 * a test fails):
 * - read-only functions (read-only-functions.ts): no pg_catalog overload of a listed name may be
 *   VOLATILE unless the name is on the reviewed list, and every reviewed name that this server has
 *   must still have a VOLATILE overload, so the list cannot go stale;
 * - types a cast may name (builtin-types.ts): each is a pg_catalog type and none is a domain,
 *   whose CHECK expressions could run code;
 * - operator symbols (builtin-operators.ts): each is a pg_catalog operator, since a symbol the
 *   server lacks could be defined by anyone and would still pass as built in.
 * A function or type this server's version does not have (added in a later release) is reported
 * as a diagnostic, not a failure.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { builtinOperatorSymbols } from './builtin-operators.ts';
import { builtinTypeNames } from './builtin-types.ts';
import { readOnlyFunctionNames, reviewedVolatileFunctions } from './read-only-functions.ts';

let server: PostgresServer | undefined;
let client: pg.Client | undefined;

before(async () => {
  server = await PostgresServer.start();
  client = new pg.Client({ connectionString: server.connectionString() });
  await client.connect();
});

after(async () => {
  await client?.end().catch(() => undefined);
  await server?.stop();
});

function connected(): pg.Client {
  assert.ok(client, 'the server started');
  return client;
}

interface Overload {
  readonly name: string;
  readonly args: string;
  /** pg_proc.provolatile: i(mmutable), s(table) or v(olatile). */
  readonly volatility: 'i' | 's' | 'v';
}

async function overloads(names: readonly string[]): Promise<Overload[]> {
  const result = await connected().query<Overload>(
    `SELECT p.proname AS name, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, p.provolatile AS volatility
       FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'pg_catalog' AND p.proname = ANY($1::text[])
      ORDER BY 1, 2`,
    [names],
  );
  return result.rows;
}

function absent(names: readonly string[], found: Iterable<string>): string[] {
  const present = new Set(found);
  return names.filter((name) => !present.has(name));
}

test('no function the classifier treats as read-only is VOLATILE, unless it was reviewed', async (t) => {
  const names = readOnlyFunctionNames();
  const reviewed = reviewedVolatileFunctions();
  const rows = await overloads(names);
  const missing = absent(
    names,
    rows.map((row) => row.name),
  );
  if (missing.length > 0) t.diagnostic(`not in this server's pg_catalog (${missing.length}): ${missing.join(' ')}`);
  const unreviewed = rows.filter((row) => row.volatility === 'v' && !reviewed.has(row.name)).map((row) => `${row.name}(${row.args})`);
  assert.deepEqual(
    unreviewed,
    [],
    'VOLATILE overloads of functions the classifier treats as read-only: review them or take them off the list',
  );
});

test('every reviewed VOLATILE function is still VOLATILE (the reviewed list is not stale)', async (t) => {
  const reviewed = [...reviewedVolatileFunctions().keys()];
  const rows = await overloads(reviewed);
  const missing = absent(
    reviewed,
    rows.map((row) => row.name),
  );
  if (missing.length > 0) t.diagnostic(`reviewed but not in this server's pg_catalog: ${missing.join(' ')}`);
  const volatile = new Set(rows.filter((row) => row.volatility === 'v').map((row) => row.name));
  const stale = reviewed.filter((name) => !missing.includes(name) && !volatile.has(name));
  assert.deepEqual(stale, [], 'on the reviewed VOLATILE list but not VOLATILE: move them to a plain group');
});

test('every type a cast may name without counting as a call is a pg_catalog type, not a domain', async (t) => {
  const names = builtinTypeNames();
  const result = await connected().query<{ name: string; typtype: string }>(
    `SELECT t.typname AS name, t.typtype::text AS typtype
       FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'pg_catalog' AND t.typname = ANY($1::text[])`,
    [names],
  );
  const missing = absent(
    names,
    result.rows.map((row) => row.name),
  );
  if (missing.length > 0) t.diagnostic(`types not in this server's pg_catalog: ${missing.join(' ')}`);
  const domains = result.rows.filter((row) => row.typtype === 'd').map((row) => row.name);
  assert.deepEqual(domains, [], 'domains run CHECK expressions when cast to');
});

test('every built-in operator symbol is a pg_catalog operator', async (t) => {
  const symbols = builtinOperatorSymbols();
  const result = await connected().query<{ name: string }>(
    `SELECT DISTINCT o.oprname AS name
       FROM pg_catalog.pg_operator o JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
      WHERE n.nspname = 'pg_catalog'`,
  );
  const shipped = result.rows.map((row) => row.name);
  const missing = absent(symbols, shipped);
  const unlisted = absent(shipped, symbols);
  if (unlisted.length > 0) t.diagnostic(`pg_catalog operators the classifier counts as calls: ${unlisted.join(' ')}`);
  // Unlike a missing function, a missing symbol is not a newer release's: anyone could define it.
  assert.deepEqual(missing, [], 'listed as built in but not a pg_catalog operator: `CREATE OPERATOR` could define it in public');
});
