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
 * - The same goes for an operator that is not a built-in symbol (see builtin-operators.ts).
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
 */
import type { A_Expr, FuncCall, Node, RangeVar } from 'libpg-query';
import { type AstNode, forEachChild, nameParts, nodeOf, nodesOf, walk } from './ast-walk.ts';
import { isBuiltinOperator } from './builtin-operators.ts';
import type { StatementKind } from './classification.ts';
import { isDangerousFunction } from './dangerous-functions.ts';
import { RELATION_TYPES } from './object-type-names.ts';
import { isReadOnlyFunction } from './read-only-functions.ts';
import { explainAnalyzes } from './statement-shape.ts';

export interface TreeFacts {
  readonly kinds: ReadonlySet<StatementKind>;
  /** Tags of nested data-modifying statements, in the order met. */
  readonly commands: readonly string[];
  readonly objects: readonly string[];
  readonly functions: readonly string[];
  readonly writesWithoutWhere: boolean;
  readonly executes?: string;
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
        this.#operator(node.fields);
        break;
      case 'InsertStmt':
      case 'UpdateStmt':
      case 'DeleteStmt':
      case 'MergeStmt':
        if (scope.runs) {
          this.kinds.add('write');
          this.commands.push(DML_TAGS[node.type] ?? node.type);
        }
        if (scope.runs && (node.type === 'UpdateStmt' || node.type === 'DeleteStmt') && !restrictsRows(node.fields.whereClause)) {
          this.writesWithoutWhere = true;
        }
        break;
      case 'SelectStmt':
        if (scope.runs && (node.fields.lockingClause?.length ?? 0) > 0) this.kinds.add('write');
        break;
      case 'ExecuteStmt':
        if (scope.runs) {
          this.kinds.add('unknown');
          this.executes ??= node.fields.name ?? '';
        }
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
    const builtIn = parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog');
    if (isDangerousFunction(name.toLowerCase())) this.kinds.add('dangerous');
    else if (builtIn && name === 'set_config') this.#setConfig(call.args);
    else if (!builtIn || !isReadOnlyFunction(name)) this.kinds.add('write');
  }

  /** set_config(name, value, is_local) is SET by another spelling: judged by the setting's name. */
  #setConfig(args: Node[] | undefined): void {
    this.dependsOnConstants = true;
    this.kinds.add('session');
    const first = nodeOf(args?.[0]);
    const setting = first?.type === 'A_Const' ? first.fields.sval?.sval?.toLowerCase() : undefined;
    // A name the classifier cannot read (a parameter, an expression) may be `role`.
    if (setting === undefined || setting === 'role' || setting === 'session_authorization' || setting === 'session_replication_role') {
      this.kinds.add('privilege');
    }
  }

  #operator(expr: A_Expr): void {
    if (expr.kind !== 'AEXPR_OP' && expr.kind !== 'AEXPR_OP_ANY' && expr.kind !== 'AEXPR_OP_ALL') return;
    const parts = nameParts(expr.name);
    const symbol = parts.at(-1) ?? '';
    const builtIn = parts.length === 1 || (parts.length === 2 && parts[0] === 'pg_catalog');
    if (!builtIn || !isBuiltinOperator(symbol)) this.kinds.add('write');
  }
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
  return collector.executes === undefined ? facts : { ...facts, executes: collector.executes };
}
