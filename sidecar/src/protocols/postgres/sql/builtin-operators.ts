/**
 * Operator symbols PostgreSQL ships (pg_operator of a fresh cluster). An operator is a function
 * call in disguise: `CREATE OPERATOR === (FUNCTION = wipe_orders, ...)` then `SELECT 1 === 2` runs
 * wipe_orders. So an operator outside this set, or one qualified with a schema other than
 * pg_catalog (`OPERATOR(public.+)`), counts like an unknown function: the statement is a `write`.
 *
 * A user can still overload a built-in symbol for their own types, which only type resolution
 * (the server) can see; this set closes the easy way, not every way.
 */
const SYMBOLS = new Set(
  `!! !~ !~* !~~ !~~* # ## #- #> #>> % & && &< &<| &> * *< *<= *<> *= *> *>= + - -> ->> -|- / < <-> << <<= <<|
   <= <> <@ <^ = > >= >> >>= >^ ? ?# ?& ?- ?-| ?| ?|| @ @-@ @> @? @@ @@@ ^ ^@ | |&> |/ |>> || ||/ ~ ~* ~<=~ ~<~ ~=
   ~>=~ ~>~ ~~ ~~*`.split(/\s+/),
);

export function isBuiltinOperator(symbol: string): boolean {
  return SYMBOLS.has(symbol);
}

/** For tests. */
export function builtinOperatorSymbols(): readonly string[] {
  return [...SYMBOLS];
}
