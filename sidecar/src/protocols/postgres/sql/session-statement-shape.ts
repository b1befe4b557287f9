/**
 * The shapes of the statements that steer the session rather than touch data: SET and RESET,
 * DISCARD, and transaction control. Part of statement-shape.ts, kept apart because how a setting
 * is judged (setting-kinds.ts) is the subtle part of it.
 *
 * Decisions, and why:
 * - SET and RESET are session, plus what the setting carries (setting-kinds.ts): role, session
 *   authorization, session_replication_role and search_path (SET SCHEMA 'x' is search_path) are
 *   privilege too; standard_conforming_strings off and a client_encoding other than UTF8 are
 *   dangerous, as they make the server read later statements differently from the classifier.
 *   Setting names are case-insensitive, so SET "ROLE" is SET role.
 * - SET LOCAL and SET ... FROM CURRENT are judged like SET: the change is as real while it lasts.
 * - RESET ALL leaves role and session authorization alone but resets search_path (to the value
 *   the session started with, which need not be what the policy assumed): privilege and session.
 * - DISCARD ALL also runs SET SESSION AUTHORIZATION DEFAULT and RESET ALL: privilege and session.
 *   DISCARD PLANS / SEQUENCES / TEMP drop only this session's caches and temporary tables, which
 *   no other session can see: session.
 * - SET TRANSACTION (and SET TRANSACTION SNAPSHOT) is transaction: this transaction only. SET
 *   SESSION CHARACTERISTICS AS TRANSACTION is session: the session's default transaction modes.
 *   Neither can change whose rights apply.
 * - Two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) is transaction and admin: a
 *   prepared transaction outlives the session and holds its locks until someone resolves it, and
 *   COMMIT PREPARED can finish another session's work.
 */
import type { DiscardMode, TransactionStmtKind, VariableSetStmt } from 'libpg-query';
import { nodesOf } from './ast-walk.ts';
import type { StatementKind } from './classification.ts';
import { constantText } from './constant-text.ts';
import { type SettingValue, settingKinds, settingKindsDependOnValue } from './setting-kinds.ts';
import type { StatementShape } from './statement-shape.ts';

function shape(kinds: readonly StatementKind[], command: string): StatementShape {
  return { kinds, commands: [command] };
}

const TRANSACTION_TAGS: Readonly<Record<TransactionStmtKind, string>> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

export function describeTransaction(kind: TransactionStmtKind | undefined): StatementShape {
  if (kind === undefined) return { kinds: ['unknown'], commands: [], unknownReason: 'TransactionStmt without a kind' };
  const twoPhase = kind === 'TRANS_STMT_PREPARE' || kind === 'TRANS_STMT_COMMIT_PREPARED' || kind === 'TRANS_STMT_ROLLBACK_PREPARED';
  return shape(twoPhase ? ['transaction', 'admin'] : ['transaction'], TRANSACTION_TAGS[kind]);
}

export function describeSet(set: VariableSetStmt): StatementShape {
  const reset = set.kind === 'VAR_RESET' || set.kind === 'VAR_RESET_ALL';
  const tag = reset ? 'RESET' : 'SET';
  if (set.kind === 'VAR_RESET_ALL') return shape(['session', ...settingKinds('search_path', { kind: 'initial' })], tag);
  const name = (set.name ?? '').toLowerCase();
  if (set.kind === 'VAR_SET_MULTI') return shape(name.startsWith('transaction') ? ['transaction'] : ['session'], tag);
  return {
    ...shape(['session', ...settingKinds(name, setValue(set))], tag),
    dependsOnConstants: settingKindsDependOnValue(name),
  };
}

/** What SET gives the setting: one literal, the session's initial value, or something else. */
function setValue(set: VariableSetStmt): SettingValue {
  if (set.kind !== 'VAR_SET_VALUE') return { kind: 'initial' };
  const args = nodesOf(set.args);
  const only = args.length === 1 ? args[0] : undefined;
  const text = only?.type === 'A_Const' ? constantText(only.fields) : undefined;
  return text === undefined ? { kind: 'unreadable' } : { kind: 'literal', text };
}

export function describeDiscard(target: DiscardMode | undefined): StatementShape {
  if (target === undefined || target === 'DISCARD_ALL')
    return { kinds: ['session', 'privilege'], commands: ['DISCARD ALL'], deallocates: '*' };
  return shape(['session'], `DISCARD ${target.slice('DISCARD_'.length)}`);
}
