/**
 * What a statement's whole tree adds to its own type (statement-shape.ts): the relations and
 * functions it names, the kinds its calls and nested statements imply, and whether an UPDATE or
 * DELETE somewhere in it has no effective WHERE.
 *
 * Rules, and why:
 * - A function call counts wherever it is: in a query, a CTE, a DEFAULT, an index expression, a
 *   view or function body. Definitions count because they are how a call gets laundered: CREATE
 *   VIEW v AS SELECT wipe(), then SELECT * FROM v looks like a plain read.
 *   Dangerous → `dangerous`; read-only built-in → nothing; anything else → `write`.
 * - The same goes for an operator that is not a built-in symbol (see builtin-operators.ts), in an
 *   expression, a subquery comparison (`x === ANY (SELECT ...)`) or a sort (`ORDER BY x USING
 *   ===`); for a cast or a declared column type that is not built in (see builtin-types.ts); and
 *   for a TABLESAMPLE method other than bernoulli and system, which is a handler function.
 * - set_config() is judged like SET, by the setting it names and the value it gives
 *   (setting-kinds.ts). A write to pg_settings is set_config with names from the rows, so it gets
 *   the kinds of an unreadable setting name; a write to any other catalog (pg_catalog.*, or an
 *   unqualified pg_* name, which resolves there first) is `privilege` and `admin`: pg_authid and
 *   the ACL columns hold roles and privileges.
 * - A SET (also inside ALTER ROLE/DATABASE/SYSTEM and a function's SET clause), set_config() or
 *   pg_settings write anywhere in the statement that moves a pinned setting off its value
 *   (pinned-settings.ts) is named in changesPinnedSetting, which the session refuses.
 * - INSERT/UPDATE/DELETE/MERGE anywhere (a data-modifying CTE, COPY (DELETE ... RETURNING) TO,
 *   a rule's actions, a BEGIN ATOMIC function body) add `write` and their tag to the commands.
 * - writesWithoutWhere: an UPDATE or DELETE whose WHERE is missing or reads no column (WHERE true,
 *   WHERE 1 = 1, WHERE $1): such a clause keeps every row or none. WHERE CURRENT OF is a WHERE.
 * - A locking read (SELECT ... FOR UPDATE/SHARE, also in a subquery) adds `write`: PostgreSQL
 *   itself refuses it in read-only transactions and on standbys, it needs UPDATE privilege, it
 *   writes the row headers, and it blocks other sessions' writers until the transaction ends.
 * - EXPLAIN without ANALYZE does not run its statement: nested writes, locks and EXECUTEs below
 *   it do not count. Its function calls still do, since the planner folds immutable calls with
 *   constant arguments, which runs them.
 * - EXECUTE name adds `unknown` and names the prepared statement; the session resolves it.
 * - CTE names are not objects where they are in scope (all of a WITH RECURSIVE; for a plain WITH,
 *   the later CTEs and the statement body), and only when unqualified.
 *
 * What only the server can see, and so stays out of reach here: code that the catalog attaches to
 * a name or a type rather than to the text. A view, a row-level security policy, a trigger or a
 * column DEFAULT runs whatever its definition says; `SELECT o.wipe FROM orders o` calls wipe(o)
 * when orders has no column wipe; an unqualified `lower(1)` resolves to a `lower(int)` that
 * someone created in a schema on the search path, and a read-only name this server version lacks
 * (any_value on 15) to whatever function took it; a built-in symbol or to_json() applied to a
 * value of an application's type runs that type's operator or cast. Each of these needs DDL first
 * (CREATE VIEW, CREATE FUNCTION, CREATE CAST, ...), which a policy gates as `ddl` when it comes
 * through the proxy.
 */
import type { ColumnDef, FuncCall, Node, RangeFunction, RangeVar, TypeName, VariableSetStmt } from 'libpg-query';
import { type AstNode, forEachChild, nameParts, nodeOf, nodesOf, walk } from './ast-walk.ts';
import { isBuiltinOperator } from './builtin-operators.ts';
import { isBuiltinType } from './builtin-types.ts';
import type { StatementKind } from './classification.ts';
import { constantText } from './constant-text.ts';
import { isDangerousFunction } from './dangerous-functions.ts';
import { RELATION_TYPES } from './object-type-names.ts';
import { isPinnedSetting, type PinnedSettingChange, pinnedSettingChange } from './pinned-settings.ts';
import { isReadOnlyFunction } from './read-only-functions.ts';
import { type SettingValue, settingKinds } from './setting-kinds.ts';
import { explainAnalyzes } from './statement-shape.ts';

export interface TreeFacts {
  readonly kinds: ReadonlySet<StatementKind>;
  /** Tags of nested data-modifying statements, in the order met. */
  readonly commands: readonly string[];
  readonly objects: readonly string[];
  readonly functions: readonly string[];
  readonly writesWithoutWhere: boolean;
  readonly executes?: string;
  /** A pinned setting the statement moves off its pinned value, anywhere in it (pinned-settings.ts). */
  readonly changesPinnedSetting?: PinnedSettingChange;
  /**
   * Some kind came from a literal's value (set_config's setting name). Normalizing replaces
   * literals, so such a result must not be reused for other literal values.
   */
  readonly dependsOnConstants: boolean;
}

interface Scope {
  /** False below an EXPLAIN without ANALYZE: the statement is planned, not run. */
  readonly runs: boolean;
  /** CTE names visible here. */
  readonly ctes: ReadonlySet<string>;
}

const DML_TAGS: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};

/** Names in first-seen order, each kept at its earliest position in the text. */
class NameList {
  readonly #positions = new Map<string, number>();

  add(name: string, location: number | undefined): void {
    const at = location ?? Number.MAX_SAFE_INTEGER;
    const seen = this.#positions.get(name);
    if (seen === undefined || at < seen) this.#positions.set(name, at);
  }

  /** Ordered by position in the text; names without a position keep the order they were met in. */
  list(): string[] {
    return [...this.#positions.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
  }
}

class FactCollector {
  readonly kinds = new Set<StatementKind>();
  readonly commands: string[] = [];
  readonly objects = new NameList();
  readonly functions = new NameList();
  writesWithoutWhere = false;
  executes: string | undefined;
  changesPinnedSetting: PinnedSettingChange | undefined;
  dependsOnConstants = false;

  /**
   * Visits the tree from a stack rather than by recursion: `a + b + c + ...` nests as deep as it is
   * long, and PostgreSQL accepts chains longer than a JavaScript call stack is deep.
   */
  collect(root: AstNode): void {
    const pending: Visit[] = [[root, { runs: true, ctes: new Set() }]];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const children = this.#visit(...next);
      for (let index = children.length - 1; index >= 0; index--) pending.push(children[index]!);
    }
  }

  /** Records what the node itself says; returns its children, each with the scope it is in. */
  #visit(node: AstNode, scope: Scope): Visit[] {
    switch (node.type) {
      case 'RangeVar':
        this.#relation(node.fields, scope);
        break;
      case 'FuncCall':
        this.#call(node.fields);
        break;
      case 'A_Expr':
        if (node.fields.kind === 'AEXPR_OP' || node.fields.kind === 'AEXPR_OP_ANY' || node.fields.kind === 'AEXPR_OP_ALL') {
          this.#operator(node.fields.name);
        }
        break;
      case 'SubLink':
        // x === ANY (SELECT ...): the operator of a subquery comparison.
        this.#operator(node.fields.operName);
        break;
      case 'SortBy':
        // ORDER BY x USING ===: sorting calls the operator's function.
        this.#operator(node.fields.useOp);
        break;
      case 'TypeCast':
      case 'RangeTableFuncCol':
      case 'JsonTableColumn':
      case 'JsonOutput':
      case 'XmlSerialize':
        this.#type(node.fields.typeName);
        break;
      case 'RangeFunction':
        for (const column of columnDefinitions(node.fields)) this.#type(column.typeName);
        break;
      case 'RangeTableSample':
        // TABLESAMPLE method(...): the method is a handler function; bernoulli and system are built in.
        if (!isBuiltinName(nameParts(node.fields.method), (name) => name === 'bernoulli' || name === 'system')) this.kinds.add('write');
        break;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        if (scope.runs) {
          this.kinds.add('write');
          this.commands.push(DML_TAGS[node.type] ?? node.type);
          this.#writeTarget(node.fields.relation);
        }
        if (scope.runs && (node.type === 'UpdateStmt' || node.type === 'DeleteStmt') && !restrictsRows(node.fields.whereClause)) {
          this.writesWithoutWhere = true;
        }
        break;
      case 'SelectStmt':
        if (scope.runs && (node.fields.lockingClause?.length ?? 0) > 0) this.kinds.add('write');
        break;
      case 'LockingClause':
        // FOR UPDATE OF o names a FROM item (often by its alias), which counted where it was listed.
        return [];
      case 'CopyStmt':
        if (scope.runs && node.fields.is_from) this.#writeTarget(node.fields.relation);
        break;
      case 'ExecuteStmt':
        if (scope.runs) {
          this.kinds.add('unknown');
          this.executes ??= node.fields.name ?? '';
        }
        break;
      case 'VariableSetStmt':
        // SET at the top, and inside ALTER ROLE/DATABASE/SYSTEM ... SET and a function's SET clause.
        this.#variableSet(node.fields);
        break;
      case 'ExplainStmt':
        if (!explainAnalyzes(node.fields)) return childrenOf(node, { ...scope, runs: false });
        break;
      case 'DropStmt':
        if (RELATION_TYPES.has(node.fields.removeType)) {
          for (const name of nodesOf(node.fields.objects)) {
            if (name.type === 'List') this.objects.add(qualifiedName(nameParts(name.fields.items)), undefined);
          }
        }
        break;
      case 'CommentStmt':
      case 'SecLabelStmt': {
        const { objtype } = node.fields;
        const named = nodeOf(node.fields.object);
        if (named?.type === 'List' && (RELATION_TYPES.has(objtype) || objtype === 'OBJECT_COLUMN')) {
          const parts = nameParts(named.fields.items);
          this.objects.add(qualifiedName(objtype === 'OBJECT_COLUMN' ? parts.slice(0, -1) : parts), undefined);
        }
        break;
      }
    }
    const withClause = withClauseOf(node);
    return withClause === undefined ? childrenOf(node, scope) : childrenWith(node, withClause, scope);
  }

  #relation(range: RangeVar, scope: Scope): void {
    const name = range.relname ?? '';
    const qualified = range.schemaname !== undefined || range.catalogname !== undefined;
    if (!qualified && scope.ctes.has(name)) return;
    this.objects.add(qualifiedName([range.catalogname, range.schemaname, name]), range.location);
  }

  #call(call: FuncCall): void {
    // EXTRACT(...), SUBSTRING(x FROM y), AT TIME ZONE, ...: the grammar picked a pg_catalog built-in.
    if (call.funcformat === 'COERCE_SQL_SYNTAX') return;
    // As the parser folded them: unquoted names are lower case already, and a quoted "Lower" is
    // somebody's function, not lower(). Only the listed name is lower-cased.
    const parts = nameParts(call.funcname);
    this.functions.add(parts.join('.').toLowerCase(), call.location);
    const name = parts.at(-1) ?? '';
    if (isDangerousFunction(name.toLowerCase())) this.kinds.add('dangerous');
    else if (isBuiltinName(parts, (n) => n === 'set_config')) this.#setConfig(call.args);
    else if (!isBuiltinName(parts, isReadOnlyFunction)) this.kinds.add('write');
  }

  /** set_config(name, value, is_local) is SET by another spelling: judged like SET (setting-kinds.ts). */
  #setConfig(args: Node[] | undefined): void {
    this.dependsOnConstants = true;
    this.kinds.add('session');
    const name = literal(args?.[0]);
    const value = settingValue(args?.[1]);
    for (const kind of settingKinds(name, value)) this.kinds.add(kind);
    this.#pinned(pinnedSettingChange(name, value));
  }

  /** Only the pinned-setting check: the statement's own kinds for SET come from its shape. */
  #variableSet(set: VariableSetStmt): void {
    if (set.name === undefined || !isPinnedSetting(set.name)) return;
    // The verdict reads the literal: `SET client_encoding = $1` after normalizing is not one result.
    this.dependsOnConstants = true;
    this.#pinned(pinnedSettingChange(set.name, variableSetValue(set)));
  }

  #pinned(change: PinnedSettingChange | undefined): void {
    if (change === undefined) return;
    // An unreadable name could be either setting; a named one is the more useful message.
    if (this.changesPinnedSetting === undefined || this.changesPinnedSetting === '*') this.changesPinnedSetting = change;
  }

  /** An operator is its function: one that is not a built-in symbol (or is another schema's) counts as unknown. */
  #operator(name: readonly unknown[] | undefined): void {
    if (name === undefined || name.length === 0) return;
    if (!isBuiltinName(nameParts(name), isBuiltinOperator)) this.kinds.add('write');
  }

  /** A cast to, or a column declared as, a type that is not built in may run its owner's code (builtin-types.ts). */
  #type(typeName: TypeName | undefined): void {
    if (typeName !== undefined && !isBuiltinType(nameParts(typeName.names))) this.kinds.add('write');
  }

  /**
   * Writing a system catalog changes more than data: an UPDATE of pg_settings is set_config with a
   * name from the row, and pg_authid, ACL columns and the like hold roles and privileges.
   * Unqualified pg_* names count, as pg_catalog comes first in the search path.
   */
  #writeTarget(relation: RangeVar | undefined): void {
    const schema = relation?.schemaname;
    const name = relation?.relname ?? '';
    if (relation?.catalogname !== undefined || (schema !== undefined && schema !== 'pg_catalog')) return;
    if (name === 'pg_settings') {
      this.kinds.add('session');
      for (const kind of settingKinds(undefined, { kind: 'unreadable' })) this.kinds.add(kind);
      this.#pinned('*');
    } else if (schema === 'pg_catalog' || name.startsWith('pg_')) {
      this.kinds.add('privilege');
      this.kinds.add('admin');
    }
  }
}

/** Unqualified or pg_catalog-qualified, with a last part `builtIn` accepts: `public.lower` is someone else's. */
function isBuiltinName(parts: readonly string[], builtIn: (name: string) => boolean): boolean {
  const name = parts.at(-1) ?? '';
  return (parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog')) && builtIn(name);
}

/** The text of a constant argument, or undefined when it is anything else (a parameter, an expression). */
function literal(arg: unknown): string | undefined {
  const node = nodeOf(arg);
  return node?.type === 'A_Const' ? constantText(node.fields) : undefined;
}

/** What SET gives the setting: one literal, the session's initial value, or something else. */
function variableSetValue(set: VariableSetStmt): SettingValue {
  if (set.kind === 'VAR_RESET' || set.kind === 'VAR_SET_DEFAULT' || set.kind === 'VAR_SET_CURRENT') return { kind: 'initial' };
  if (set.kind !== 'VAR_SET_VALUE') return { kind: 'unreadable' };
  return set.args?.length === 1 ? settingValue(set.args[0]) : { kind: 'unreadable' };
}

function settingValue(arg: unknown): SettingValue {
  const text = literal(arg);
  return text === undefined ? { kind: 'unreadable' } : { kind: 'literal', text };
}

/** The column definitions of `f() AS t(a int)` and of ROWS FROM (f() AS (a int), ...). */
function columnDefinitions(range: RangeFunction): ColumnDef[] {
  const columns: ColumnDef[] = [];
  const collect = (values: readonly unknown[] | undefined): void => {
    for (const node of nodesOf(values)) {
      if (node.type === 'ColumnDef') columns.push(node.fields);
      else if (node.type === 'List') collect(node.fields.items);
    }
  };
  collect(range.coldeflist);
  collect(range.functions);
  return columns;
}

type Visit = [AstNode, Scope];

function childrenOf(node: AstNode, scope: Scope): Visit[] {
  const children: Visit[] = [];
  forEachChild(node, (child) => children.push([child, scope]));
  return children;
}

/** A WITH clause's CTEs with the names each may see, then the rest with all of them in scope. */
function childrenWith(node: AstNode, withClause: { ctes?: Node[]; recursive?: boolean }, scope: Scope): Visit[] {
  const ctes = nodesOf(withClause.ctes);
  const names = ctes.map((cte) => (cte.type === 'CommonTableExpr' ? (cte.fields.ctename ?? '') : ''));
  const all = new Set([...scope.ctes, ...names]);
  const children: Visit[] = ctes.map((cte, index) => {
    const visible = withClause.recursive ? all : new Set([...scope.ctes, ...names.slice(0, index)]);
    return [cte, { ...scope, ctes: visible }];
  });
  forEachChild(node, (child, field) => {
    if (field !== 'withClause') children.push([child, { ...scope, ctes: all }]);
  });
  return children;
}

function withClauseOf(node: AstNode): { ctes?: Node[]; recursive?: boolean } | undefined {
  switch (node.type) {
    case 'SelectStmt':
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      return node.fields.withClause;
    default:
      return undefined;
  }
}

function qualifiedName(parts: readonly (string | undefined)[]): string {
  return parts
    .filter((part): part is string => part !== undefined && part !== '')
    .join('.')
    .toLowerCase();
}

/**
 * Whether a WHERE clause can tell rows apart. None at all, or one that reads no column
 * (`WHERE true`, `WHERE 1 = 1`, `WHERE $1`, `WHERE EXISTS (SELECT 1 FROM t)`), hits every row or
 * none, so it counts as missing. WHERE CURRENT OF names one row.
 */
function restrictsRows(where: Node | undefined): boolean {
  const clause = nodeOf(where);
  if (clause === undefined) return false;
  if (clause.type === 'CurrentOfExpr') return true;
  let readsColumn = false;
  walk(clause, (node) => {
    if (node.type === 'ColumnRef') readsColumn = true;
    return !readsColumn;
  });
  return readsColumn;
}

export function collectTreeFacts(root: AstNode): TreeFacts {
  const collector = new FactCollector();
  collector.collect(root);
  const facts: TreeFacts = {
    kinds: collector.kinds,
    commands: collector.commands,
    objects: collector.objects.list(),
    functions: collector.functions.list(),
    writesWithoutWhere: collector.writesWithoutWhere,
    dependsOnConstants: collector.dependsOnConstants,
  };
  return {
    ...facts,
    ...(collector.executes !== undefined && { executes: collector.executes }),
    ...(collector.changesPinnedSetting !== undefined && { changesPinnedSetting: collector.changesPinnedSetting }),
  };
}
