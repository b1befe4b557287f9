/**
 * Turns the text of a Query or Parse into one decision for the whole message: every statement is
 * classified (SQL-level EXECUTE resolved to what was prepared) and decided on its own; the
 * message is denied if any statement is, held if any needs approval, allowed only if all are.
 * Before policy, the message is refused outright when its text is not valid UTF-8 or a statement
 * in it changes a pinned setting (refusals.ts): policy and audit mode are not asked.
 */
import { type Decision, decide, strictestDecision } from '@airlock/contracts/policy';
import type { StatementClassification } from '../sql/classification.ts';
import { duplicatePrepareRefusal, NOT_UTF8_REFUSAL, pinnedSettingRefusal, type Refusal } from './refusals.ts';
import type { PgSessionServices } from './services.ts';
import type { SqlPreparedStatements } from './sql-prepared.ts';

export interface MessageDecision {
  readonly statements: readonly StatementClassification[];
  readonly decisions: readonly Decision[];
  /** The decision that governs the message: the first deny, else the first hold, else the first allow. */
  readonly governing: Decision;
  readonly cached: boolean;
  /** statementIndex of each statement, assigned by the session. */
  readonly indexes: readonly number[];
  /** Set when the message was refused before policy: the error the agent gets. */
  readonly refusal?: Refusal;
}

const TOO_LONG = (bytes: number, limit: number): StatementClassification => ({
  text: '',
  kinds: ['unknown'],
  commands: [],
  objects: [],
  functions: [],
  writesWithoutWhere: false,
  unknownReason: `statement of ${bytes} bytes is over the sidecar's limit of ${limit} bytes`,
});

export function decideMessage(
  text: string,
  services: PgSessionServices,
  prepared: SqlPreparedStatements,
  masking: boolean,
  nextIndex: () => number,
  textIsUtf8 = true,
): MessageDecision {
  const bytes = Buffer.byteLength(text);
  const limit = services.limits.maxStatementBytes;
  let statements: readonly StatementClassification[];
  let cached = false;
  if (!textIsUtf8) {
    // Never classified: the text holds U+FFFD where the server would see other bytes.
    statements = [NOT_UTF8(text)];
  } else if (bytes > limit) {
    statements = [TOO_LONG(bytes, limit)];
  } else {
    const batch = services.classify(text);
    cached = batch.cached;
    statements = batch.statements.map((statement) => prepared.resolve(statement));
  }
  const preparedHere = new Set<string>();
  const refusals = statements.map((statement) => {
    const refusal = refusalOf(statement, textIsUtf8);
    if (refusal !== undefined || statement.prepares === undefined) return refusal;
    // Names prepared earlier in this same message count: the server refuses the second one too.
    if (prepared.holds(statement.prepares) || preparedHere.has(statement.prepares)) return duplicatePrepareRefusal(statement.prepares);
    preparedHere.add(statement.prepares);
    return undefined;
  });
  const decisions = statements.map((statement, i) => {
    const refusal = refusals[i];
    if (refusal !== undefined) return refused(refusal);
    const decision = decide(statement, services.policies);
    return masking && decision.action !== 'deny' && copiesOut(statement) ? maskingBypass(decision) : decision;
  });
  const refusal = refusals.find((r) => r !== undefined);
  const indexes = statements.map(() => nextIndex());
  if (refusal !== undefined) {
    const governing = decisions[refusals.indexOf(refusal)]!;
    return { statements, decisions, governing, cached, indexes, refusal };
  }
  return { statements, decisions, governing: strictestDecision(decisions), cached, indexes };
}

function refusalOf(statement: StatementClassification, textIsUtf8: boolean): Refusal | undefined {
  if (!textIsUtf8) return NOT_UTF8_REFUSAL;
  return statement.changesPinnedSetting === undefined ? undefined : pinnedSettingRefusal(statement.changesPinnedSetting);
}

/** A refusal as a decision: no policy verdict, enforced whatever mode the policies are in. */
const refused = (refusal: Refusal): Decision => ({ action: 'deny', audit: [], failedClosed: false, reason: refusal.message });

const NOT_UTF8 = (text: string): StatementClassification => ({
  text,
  kinds: ['unknown'],
  commands: [],
  objects: [],
  functions: [],
  writesWithoutWhere: false,
  unknownReason: NOT_UTF8_REFUSAL.message,
});

/** COPY ... TO STDOUT sends rows as CopyData, where column masking cannot see them. */
const copiesOut = (statement: StatementClassification): boolean =>
  statement.commands.includes('COPY') && statement.kinds.includes('read') && !statement.kinds.includes('write');

const maskingBypass = (decision: Decision): Decision => ({
  ...decision,
  action: 'deny',
  reason: 'COPY TO STDOUT is refused because masking applies to this target and cannot see COPY data: use SELECT',
});
