/**
 * Turns the text of a Query or Parse into one decision for the whole message: every statement is
 * classified (SQL-level EXECUTE resolved to what was prepared) and decided on its own; the
 * message is denied if any statement is, held if any needs approval, allowed only if all are.
 */
import { type Decision, decide, strictestDecision } from '../../policy/decide.ts';
import type { StatementClassification } from '../../sql/classification.ts';
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
): MessageDecision {
  const bytes = Buffer.byteLength(text);
  const limit = services.limits.maxStatementBytes;
  let statements: readonly StatementClassification[];
  let cached = false;
  if (bytes > limit) {
    statements = [TOO_LONG(bytes, limit)];
  } else {
    const batch = services.classify(text);
    cached = batch.cached;
    statements = batch.statements.map((statement) => prepared.resolve(statement));
  }
  const decisions = statements.map((statement) => {
    const decision = decide(statement, services.policies);
    return masking && decision.action !== 'deny' && copiesOut(statement) ? maskingBypass(decision) : decision;
  });
  return { statements, decisions, governing: strictestDecision(decisions), cached, indexes: statements.map(() => nextIndex()) };
}

/** COPY ... TO STDOUT sends rows as CopyData, where column masking cannot see them. */
const copiesOut = (statement: StatementClassification): boolean =>
  statement.commands.includes('COPY') && statement.kinds.includes('read') && !statement.kinds.includes('write');

const maskingBypass = (decision: Decision): Decision => ({
  ...decision,
  action: 'deny',
  reason: 'COPY TO STDOUT is refused because masking applies to this target and cannot see COPY data: use SELECT',
});
