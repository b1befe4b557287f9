/**
 * What a statement is by its own type: the kinds and command tag its top node implies. What its
 * subtrees add (functions called, data-modifying CTEs, locking reads, EXECUTE) is in tree-facts.ts;
 * classify-statement.ts joins the two.
 *
 * Command tags are PostgreSQL's names for the command (CreateCommandTag in tcop/utility.c, what
 * event triggers see): "TRUNCATE TABLE", "DROP TABLE", "SELECT INTO", "CREATE TABLE AS". psql
 * prints the same words, except that it prints "SELECT n" after SELECT INTO and CREATE TABLE AS.
 * The policy matcher lets a pattern name a tag or its first words, so `TRUNCATE` matches
 * "TRUNCATE TABLE" and `SELECT` matches "SELECT FOR UPDATE".
 *
 * Kind decisions that were not obvious, and why. The rule behind them: a policy's `allow` covers a
 * statement only when it lists every kind the statement has, so `read` must mean "changes
 * nothing", and `session`/`transaction` must never be all that a change of rights carries.
 * - read means the statement's own result is data: SELECT, VALUES, TABLE, SHOW, FETCH, COPY TO,
 *   EXPLAIN, DECLARE CURSOR. INSERT ... SELECT is a write, not read+write: reading is how it
 *   writes. A cursor runs its query as it is fetched, so what the query does (a locking read, a
 *   function that writes, a data-modifying CTE) is judged at DECLARE, from the tree.
 * - TRUNCATE is write and ddl: it empties tables outside MVCC (concurrent snapshots see them empty),
 *   takes ACCESS EXCLUSIVE like ALTER TABLE, skips DELETE triggers and needs its own privilege, so
 *   a policy that gates DDL should gate it too.
 * - SELECT INTO and CREATE TABLE AS are ddl and write (a new table, filled); WITH NO DATA is ddl.
 * - EXPLAIN is read; EXPLAIN ANALYZE runs its statement, so it has that statement's kinds. Any
 *   ANALYZE option that is not false counts, as PostgreSQL lets a later one override an earlier.
 * - PREPARE has the kinds of the statement it prepares (the proxy decides at PREPARE time);
 *   EXECUTE is left to the session, which knows what it prepared (see tree-facts.ts).
 * - SHOW is read only: it changes nothing, it returns a setting like current_setting() does.
 * - NOTIFY is session and write: listeners in other sessions act on it (queue workers, caches).
 *   LISTEN and UNLISTEN are session: they change only which notifications this session receives.
 * - LOCK is write: its locks block other sessions until the transaction ends.
 * - DO is write and dangerous: its body is code the classifier cannot see into (EXECUTE of built
 *   strings), and it can do anything the role can, including what `dangerous` gates.
 * - CALL is write: a procedure may write and even commit.
 * - SET, RESET, DISCARD and transaction control: see session-statement-shape.ts. In short, SET of
 *   role, session authorization, search_path and the like is privilege and session, SET that makes
 *   the server read later text differently is dangerous, and two-phase commit is admin.
 *   DEALLOCATE and CLOSE touch only this session's prepared statements and cursors: session.
 *   ALTER ROLE ... SET is privilege (it changes the role's later sessions), ALTER DATABASE ... SET
 *   is ddl and admin.
 * - ALTER SYSTEM is admin and dangerous (it rewrites the server's configuration); LOAD is admin
 *   and dangerous (it loads a shared library into the server).
 * - VACUUM, ANALYZE, CLUSTER, REINDEX and CHECKPOINT are admin: they change no rows, but rewrite
 *   storage and statistics, take strong locks and load the server's I/O.
 * - Extensions, languages, foreign servers and data wrappers, publications, subscriptions,
 *   tablespaces, databases, event triggers are ddl and admin: cluster-level, mostly superuser.
 *   CREATE/ALTER SUBSCRIPTION are dangerous too: the server connects out to what they name.
 * - Ownership, row-level security, policies, security labels, user mappings, SECURITY DEFINER
 *   functions and REASSIGN/DROP OWNED are ddl and privilege: they change who may do what.
 * - CREATE FUNCTION in an untrusted language (C, internal, pl*u) is ddl and dangerous: its body
 *   runs with the server's operating-system rights.
 * - REFRESH MATERIALIZED VIEW is write: the view's rows are replaced.
 */
import type {
  AlterTableCmd,
  CopyStmt,
  CreateFunctionStmt,
  CreateTableAsStmt,
  ExplainStmt,
  LockClauseStrength,
  SelectStmt,
} from 'libpg-query';
import { type AstNode, type NodeType, nodeOf, nodesOf } from './ast-walk.ts';
import type { StatementKind } from './classification.ts';
import { objectTypeName } from './object-type-names.ts';
import { describeDiscard, describeSet, describeTransaction } from './session-statement-shape.ts';

export interface StatementShape {
  readonly kinds: readonly StatementKind[];
  /** The statement's tag first, then the tags of statements it runs (EXPLAIN ANALYZE, PREPARE, CREATE SCHEMA). */
  readonly commands: readonly string[];
  readonly prepares?: string;
  readonly deallocates?: string;
  readonly unknownReason?: string;
  /**
   * A kind came from a literal's value (LANGUAGE 'plpython3u', EXPLAIN (ANALYZE 'off')).
   * libpg-query's normalization replaces some of those, so such a result must not be reused for
   * other literal values.
   */
  readonly dependsOnConstants?: boolean;
}

function shape(kinds: readonly StatementKind[], ...commands: string[]): StatementShape {
  return { kinds, commands };
}

const DDL: readonly StatementKind[] = ['ddl'];
const DDL_ADMIN: readonly StatementKind[] = ['ddl', 'admin'];
const DDL_PRIVILEGE: readonly StatementKind[] = ['ddl', 'privilege'];
const PRIVILEGE: readonly StatementKind[] = ['privilege'];

/** Statements whose kinds and tag follow from their type alone. */
const FIXED: Partial<Readonly<Record<NodeType, readonly [readonly StatementKind[], string]>>> = {
  InsertStmt: [['write'], 'INSERT'],
  UpdateStmt: [['write'], 'UPDATE'],
  DeleteStmt: [['write'], 'DELETE'],
  MergeStmt: [['write'], 'MERGE'],
  TruncateStmt: [['write', 'ddl'], 'TRUNCATE TABLE'],
  RefreshMatViewStmt: [['write'], 'REFRESH MATERIALIZED VIEW'],
  DeclareCursorStmt: [['read'], 'DECLARE CURSOR'],
  ExecuteStmt: [[], 'EXECUTE'],
  ConstraintsSetStmt: [['transaction'], 'SET CONSTRAINTS'],
  VariableShowStmt: [['read'], 'SHOW'],
  ListenStmt: [['session'], 'LISTEN'],
  UnlistenStmt: [['session'], 'UNLISTEN'],
  NotifyStmt: [['session', 'write'], 'NOTIFY'],
  LockStmt: [['write'], 'LOCK TABLE'],
  DoStmt: [['write', 'dangerous'], 'DO'],
  CallStmt: [['write'], 'CALL'],
  AlterDefaultPrivilegesStmt: [PRIVILEGE, 'ALTER DEFAULT PRIVILEGES'],
  CreateRoleStmt: [PRIVILEGE, 'CREATE ROLE'],
  AlterRoleStmt: [PRIVILEGE, 'ALTER ROLE'],
  AlterRoleSetStmt: [PRIVILEGE, 'ALTER ROLE'],
  DropRoleStmt: [PRIVILEGE, 'DROP ROLE'],
  ReassignOwnedStmt: [DDL_PRIVILEGE, 'REASSIGN OWNED'],
  DropOwnedStmt: [DDL_PRIVILEGE, 'DROP OWNED'],
  CreatePolicyStmt: [DDL_PRIVILEGE, 'CREATE POLICY'],
  AlterPolicyStmt: [DDL_PRIVILEGE, 'ALTER POLICY'],
  SecLabelStmt: [DDL_PRIVILEGE, 'SECURITY LABEL'],
  CreateUserMappingStmt: [DDL_PRIVILEGE, 'CREATE USER MAPPING'],
  AlterUserMappingStmt: [DDL_PRIVILEGE, 'ALTER USER MAPPING'],
  DropUserMappingStmt: [DDL_PRIVILEGE, 'DROP USER MAPPING'],
  AlterSystemStmt: [['admin', 'dangerous'], 'ALTER SYSTEM'],
  LoadStmt: [['admin', 'dangerous'], 'LOAD'],
  ClusterStmt: [['admin'], 'CLUSTER'],
  ReindexStmt: [['admin'], 'REINDEX'],
  CheckPointStmt: [['admin'], 'CHECKPOINT'],
  CreateExtensionStmt: [DDL_ADMIN, 'CREATE EXTENSION'],
  AlterExtensionStmt: [DDL_ADMIN, 'ALTER EXTENSION'],
  AlterExtensionContentsStmt: [DDL_ADMIN, 'ALTER EXTENSION'],
  CreatePLangStmt: [DDL_ADMIN, 'CREATE LANGUAGE'],
  CreateFdwStmt: [DDL_ADMIN, 'CREATE FOREIGN DATA WRAPPER'],
  AlterFdwStmt: [DDL_ADMIN, 'ALTER FOREIGN DATA WRAPPER'],
  CreateForeignServerStmt: [DDL_ADMIN, 'CREATE SERVER'],
  AlterForeignServerStmt: [DDL_ADMIN, 'ALTER SERVER'],
  CreatePublicationStmt: [DDL_ADMIN, 'CREATE PUBLICATION'],
  AlterPublicationStmt: [DDL_ADMIN, 'ALTER PUBLICATION'],
  CreateSubscriptionStmt: [['ddl', 'admin', 'dangerous'], 'CREATE SUBSCRIPTION'],
  AlterSubscriptionStmt: [['ddl', 'admin', 'dangerous'], 'ALTER SUBSCRIPTION'],
  DropSubscriptionStmt: [DDL_ADMIN, 'DROP SUBSCRIPTION'],
  CreateTableSpaceStmt: [DDL_ADMIN, 'CREATE TABLESPACE'],
  AlterTableSpaceOptionsStmt: [DDL_ADMIN, 'ALTER TABLESPACE'],
  DropTableSpaceStmt: [DDL_ADMIN, 'DROP TABLESPACE'],
  CreatedbStmt: [DDL_ADMIN, 'CREATE DATABASE'],
  AlterDatabaseStmt: [DDL_ADMIN, 'ALTER DATABASE'],
  AlterDatabaseSetStmt: [DDL_ADMIN, 'ALTER DATABASE'],
  AlterDatabaseRefreshCollStmt: [DDL_ADMIN, 'ALTER DATABASE'],
  DropdbStmt: [DDL_ADMIN, 'DROP DATABASE'],
  CreateEventTrigStmt: [DDL_ADMIN, 'CREATE EVENT TRIGGER'],
  AlterEventTrigStmt: [DDL_ADMIN, 'ALTER EVENT TRIGGER'],
  CreateStmt: [DDL, 'CREATE TABLE'],
  CreateForeignTableStmt: [DDL, 'CREATE FOREIGN TABLE'],
  ViewStmt: [DDL, 'CREATE VIEW'],
  IndexStmt: [DDL, 'CREATE INDEX'],
  CreateSeqStmt: [DDL, 'CREATE SEQUENCE'],
  AlterSeqStmt: [DDL, 'ALTER SEQUENCE'],
  CommentStmt: [DDL, 'COMMENT'],
  CreateTrigStmt: [DDL, 'CREATE TRIGGER'],
  RuleStmt: [DDL, 'CREATE RULE'],
  CompositeTypeStmt: [DDL, 'CREATE TYPE'],
  CreateEnumStmt: [DDL, 'CREATE TYPE'],
  CreateRangeStmt: [DDL, 'CREATE TYPE'],
  AlterEnumStmt: [DDL, 'ALTER TYPE'],
  AlterTypeStmt: [DDL, 'ALTER TYPE'],
  CreateDomainStmt: [DDL, 'CREATE DOMAIN'],
  AlterDomainStmt: [DDL, 'ALTER DOMAIN'],
  CreateCastStmt: [DDL, 'CREATE CAST'],
  CreateConversionStmt: [DDL, 'CREATE CONVERSION'],
  CreateOpClassStmt: [DDL, 'CREATE OPERATOR CLASS'],
  CreateOpFamilyStmt: [DDL, 'CREATE OPERATOR FAMILY'],
  AlterOpFamilyStmt: [DDL, 'ALTER OPERATOR FAMILY'],
  AlterOperatorStmt: [DDL, 'ALTER OPERATOR'],
  CreateTransformStmt: [DDL, 'CREATE TRANSFORM'],
  CreateAmStmt: [DDL, 'CREATE ACCESS METHOD'],
  AlterTSDictionaryStmt: [DDL, 'ALTER TEXT SEARCH DICTIONARY'],
  AlterTSConfigurationStmt: [DDL, 'ALTER TEXT SEARCH CONFIGURATION'],
  CreateStatsStmt: [DDL, 'CREATE STATISTICS'],
  AlterStatsStmt: [DDL, 'ALTER STATISTICS'],
  AlterCollationStmt: [DDL, 'ALTER COLLATION'],
  ImportForeignSchemaStmt: [DDL, 'IMPORT FOREIGN SCHEMA'],
};

export function describeStatement(node: AstNode): StatementShape {
  const fixed = FIXED[node.type];
  if (fixed !== undefined) return shape(fixed[0], fixed[1]);
  switch (node.type) {
    case 'SelectStmt':
      return describeSelect(node.fields);
    case 'CopyStmt':
      return describeCopy(node.fields);
    case 'ExplainStmt':
      return describeExplain(node.fields);
    case 'CreateTableAsStmt':
      return describeCreateTableAs(node.fields);
    case 'FetchStmt':
      return shape(['read'], node.fields.ismove ? 'MOVE' : 'FETCH');
    case 'ClosePortalStmt':
      return shape(['session'], node.fields.portalname === undefined ? 'CLOSE CURSOR ALL' : 'CLOSE CURSOR');

    case 'PrepareStmt': {
      const inner = nodeOf(node.fields.query);
      const prepared = inner ? describeStatement(inner) : unknown('PREPARE without a statement');
      return { ...prepared, commands: ['PREPARE', ...prepared.commands], prepares: node.fields.name ?? '' };
    }
    case 'DeallocateStmt': {
      const all = node.fields.isall === true || node.fields.name === undefined;
      return { kinds: ['session'], commands: [all ? 'DEALLOCATE ALL' : 'DEALLOCATE'], deallocates: all ? '*' : node.fields.name };
    }

    case 'TransactionStmt':
      return describeTransaction(node.fields.kind);
    case 'VariableSetStmt':
      return describeSet(node.fields);
    case 'DiscardStmt':
      return describeDiscard(node.fields.target);

    case 'CreateFunctionStmt':
      return describeCreateFunction(node.fields);
    case 'AlterFunctionStmt':
      return shape(definesSecurityDefiner(node.fields.actions) ? DDL_PRIVILEGE : DDL, `ALTER ${objectTypeName(node.fields.objtype)}`);

    case 'GrantStmt':
      return shape(PRIVILEGE, node.fields.is_grant ? 'GRANT' : 'REVOKE');
    case 'GrantRoleStmt':
      return shape(PRIVILEGE, node.fields.is_grant ? 'GRANT ROLE' : 'REVOKE ROLE');
    case 'AlterOwnerStmt':
      return shape(DDL_PRIVILEGE, `ALTER ${objectTypeName(node.fields.objectType)}`);

    case 'VacuumStmt':
      return shape(['admin'], node.fields.is_vacuumcmd ? 'VACUUM' : 'ANALYZE');

    case 'AlterTableMoveAllStmt':
      return shape(DDL_ADMIN, `ALTER ${objectTypeName(node.fields.objtype)}`);

    case 'CreateSchemaStmt':
      return describeCreateSchema(node.fields.schemaElts, node.fields.authrole !== undefined);
    case 'AlterTableStmt':
      return shape(
        nodesOf(node.fields.cmds).some((cmd) => cmd.type === 'AlterTableCmd' && changesAccess(cmd.fields)) ? DDL_PRIVILEGE : DDL,
        `ALTER ${objectTypeName(node.fields.objtype)}`,
      );
    case 'RenameStmt': {
      const { renameType, relationType } = node.fields;
      const subObject = renameType === 'OBJECT_COLUMN' || renameType === 'OBJECT_ATTRIBUTE' || renameType === 'OBJECT_TABCONSTRAINT';
      return shape(renameType === 'OBJECT_ROLE' ? DDL_PRIVILEGE : DDL, `ALTER ${objectTypeName(subObject ? relationType : renameType)}`);
    }
    case 'AlterObjectSchemaStmt':
      return shape(DDL, `ALTER ${objectTypeName(node.fields.objectType)}`);
    case 'AlterObjectDependsStmt':
      return shape(DDL, `ALTER ${objectTypeName(node.fields.objectType)}`);
    case 'DropStmt': {
      const type = node.fields.removeType;
      const kinds: readonly StatementKind[] =
        type === 'OBJECT_POLICY'
          ? DDL_PRIVILEGE
          : type === 'OBJECT_EXTENSION' || type === 'OBJECT_EVENT_TRIGGER' || type === 'OBJECT_LANGUAGE'
            ? DDL_ADMIN
            : DDL;
      return shape(kinds, `DROP ${objectTypeName(type)}`);
    }
    case 'DefineStmt':
      return shape(DDL, `CREATE ${objectTypeName(node.fields.kind)}`);

    default:
      return unknown(`${node.type} is not a statement the classifier knows`);
  }
}

function unknown(reason: string): StatementShape {
  return { kinds: ['unknown'], commands: [], unknownReason: reason };
}

const LOCK_TAGS: Readonly<Record<LockClauseStrength, string>> = {
  LCS_NONE: 'SELECT',
  LCS_FORKEYSHARE: 'SELECT FOR KEY SHARE',
  LCS_FORSHARE: 'SELECT FOR SHARE',
  LCS_FORNOKEYUPDATE: 'SELECT FOR NO KEY UPDATE',
  LCS_FORUPDATE: 'SELECT FOR UPDATE',
};
const LOCK_ORDER: readonly LockClauseStrength[] = ['LCS_NONE', 'LCS_FORKEYSHARE', 'LCS_FORSHARE', 'LCS_FORNOKEYUPDATE', 'LCS_FORUPDATE'];

function describeSelect(select: SelectStmt): StatementShape {
  if (select.intoClause !== undefined) return shape(['ddl', 'write'], 'SELECT INTO');
  // The tag names the strongest lock; the `write` a locking read also is comes from tree-facts.ts.
  let strongest: LockClauseStrength = 'LCS_NONE';
  for (const clause of nodesOf(select.lockingClause)) {
    if (clause.type !== 'LockingClause') continue;
    const strength = clause.fields.strength ?? 'LCS_NONE';
    if (LOCK_ORDER.indexOf(strength) > LOCK_ORDER.indexOf(strongest)) strongest = strength;
  }
  return shape(['read'], LOCK_TAGS[strongest]);
}

function describeCopy(copy: CopyStmt): StatementShape {
  const kinds: StatementKind[] = [copy.is_from ? 'write' : 'read'];
  // A file or program on the server's side, with the server's rights; STDIN/STDOUT have no filename.
  if (copy.is_program || copy.filename !== undefined) kinds.push('dangerous');
  return shape(kinds, 'COPY');
}

/**
 * EXPLAIN runs its statement only with ANALYZE; an ANALYZE option the classifier cannot read
 * counts as on. PostgreSQL lets a later option override an earlier one (`EXPLAIN (ANALYZE false,
 * ANALYZE true) DELETE ...` deletes), so any ANALYZE option that is not false counts.
 */
export function explainAnalyzes(explain: ExplainStmt): boolean {
  return nodesOf(explain.options).some(
    (option) => option.type === 'DefElem' && option.fields.defname === 'analyze' && !isFalse(option.fields.arg),
  );
}

/** PostgreSQL's defGetBoolean: no argument is true; false, off and 0 are false. */
function isFalse(arg: unknown): boolean {
  const value = nodeOf(arg);
  if (value === undefined) return false;
  if (value.type === 'String') return ['false', 'off'].includes((value.fields.sval ?? '').toLowerCase());
  if (value.type === 'Integer') return (value.fields.ival ?? 0) === 0;
  if (value.type === 'Boolean') return value.fields.boolval !== true;
  return false;
}

function describeExplain(explain: ExplainStmt): StatementShape {
  const inner = nodeOf(explain.query);
  const dependsOnConstants = nodesOf(explain.options).some(
    (option) => option.type === 'DefElem' && option.fields.defname === 'analyze' && option.fields.arg !== undefined,
  );
  if (inner === undefined || !explainAnalyzes(explain)) return { ...shape(['read'], 'EXPLAIN'), dependsOnConstants };
  const analyzed = describeStatement(inner);
  return {
    ...analyzed,
    commands: ['EXPLAIN', ...analyzed.commands],
    dependsOnConstants: dependsOnConstants || analyzed.dependsOnConstants === true,
  };
}

function describeCreateTableAs(create: CreateTableAsStmt): StatementShape {
  const tag = create.is_select_into ? 'SELECT INTO' : create.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
  return shape(create.into?.skipData ? DDL : ['ddl', 'write'], tag);
}

const UNTRUSTED_LANGUAGE = /^(c|internal|pl.*u)$/;

function optionValue(options: readonly unknown[] | undefined, name: string): AstNode | undefined {
  for (const option of nodesOf(options)) {
    if (option.type === 'DefElem' && option.fields.defname === name) return nodeOf(option.fields.arg);
  }
  return undefined;
}

function definesSecurityDefiner(options: readonly unknown[] | undefined): boolean {
  const security = optionValue(options, 'security');
  return security?.type === 'Boolean' && security.fields.boolval === true;
}

function describeCreateFunction(create: CreateFunctionStmt): StatementShape {
  const kinds: StatementKind[] = ['ddl'];
  const language = optionValue(create.options, 'language');
  if (language?.type === 'String' && UNTRUSTED_LANGUAGE.test((language.fields.sval ?? '').toLowerCase())) kinds.push('dangerous');
  if (definesSecurityDefiner(create.options)) kinds.push('privilege');
  // LANGUAGE 'plpython3u' is a literal, which normalization replaces.
  return { ...shape(kinds, create.is_procedure ? 'CREATE PROCEDURE' : 'CREATE FUNCTION'), dependsOnConstants: language !== undefined };
}

function changesAccess(cmd: AlterTableCmd): boolean {
  switch (cmd.subtype) {
    case 'AT_ChangeOwner':
    case 'AT_EnableRowSecurity':
    case 'AT_DisableRowSecurity':
    case 'AT_ForceRowSecurity':
    case 'AT_NoForceRowSecurity':
      return true;
    default:
      return false;
  }
}

/** CREATE SCHEMA ... CREATE TABLE ... GRANT ...: each element is a statement of its own. */
function describeCreateSchema(elements: readonly unknown[] | undefined, setsOwner: boolean): StatementShape {
  const kinds = new Set<StatementKind>(setsOwner ? DDL_PRIVILEGE : DDL);
  const commands = ['CREATE SCHEMA'];
  let unknownReason: string | undefined;
  let dependsOnConstants = false;
  for (const element of nodesOf(elements)) {
    const inner = describeStatement(element);
    for (const kind of inner.kinds) kinds.add(kind);
    commands.push(...inner.commands);
    unknownReason ??= inner.unknownReason;
    dependsOnConstants ||= inner.dependsOnConstants === true;
  }
  const described: StatementShape = { kinds: [...kinds], commands, dependsOnConstants };
  return unknownReason === undefined ? described : { ...described, unknownReason };
}
