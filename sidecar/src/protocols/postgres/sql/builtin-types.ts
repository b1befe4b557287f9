/**
 * Built-in types a cast may name without counting as a call. A cast is a function call in
 * disguise when its target is somebody's type: `CREATE CAST (int AS mytype) WITH FUNCTION wipe`
 * then `SELECT 1::mytype` runs wipe, and casting to a domain runs the domain's CHECK expressions,
 * which may call any function. So a cast (`x::t`, `CAST(x AS t)`, `t 'literal'`) or a column
 * definition list entry (`AS t(a t)` after a set-returning function, XMLTABLE and JSON_TABLE
 * columns, RETURNING t) whose type is not listed here, or is qualified with a schema other than
 * pg_catalog, makes the statement a `write`, like an unknown function.
 *
 * That costs an approval for casts to an application's enums and table row types; writing the
 * literal without the cast (`status = 'shipped'`) lets the server coerce it with the built-in
 * input function instead. Casts *from* an application's type to a built-in one (`mytype::text`,
 * and to_json() of such a value, which consults casts to json) run whatever cast the type's owner
 * defined; only the server knows the value's type, so those stay unseen (see tree-facts.ts).
 *
 * Names as the parser leaves them: SQL-standard spellings (integer, double precision, timestamp
 * with time zone, character varying) arrive as pg_catalog.int4, pg_catalog.float8, ...
 * builtin-lists.integration.test.ts checks that each is a pg_catalog type and not a domain.
 */
const NAMES = new Set(
  `bool int2 int4 int8 float4 float8 numeric oid money
   text varchar bpchar char name bytea bit varbit
   date time timetz timestamp timestamptz interval
   json jsonb jsonpath xml uuid inet cidr macaddr macaddr8
   point line lseg box path polygon circle
   tsvector tsquery regconfig regdictionary
   int4range int8range numrange tsrange tstzrange daterange
   int4multirange int8multirange nummultirange tsmultirange tstzmultirange datemultirange
   regclass regproc regprocedure regoper regoperator regtype regrole regnamespace regcollation
   xid xid8 cid tid pg_lsn pg_snapshot txid_snapshot refcursor`.split(/\s+/),
);

/** `parts` is the type's name as the parser split it: [name] or [schema, name]. */
export function isBuiltinType(parts: readonly string[]): boolean {
  const [first, second] = parts;
  if (parts.length === 1) return NAMES.has(first ?? '');
  return parts.length === 2 && first === 'pg_catalog' && NAMES.has(second ?? '');
}

/** For tests. */
export function builtinTypeNames(): readonly string[] {
  return [...NAMES];
}
