/**
 * What one session writes to its recording and its metrics: every record goes through `record`,
 * which stops at session.close (late replies are not part of the session any more), and the
 * decisions, results and masking counts of statements are turned into records here, so the
 * directions only say what happened.
 */
import { SessionLedger } from '../../../core/session/session-ledger.ts';
import type { RowMaskPlan } from '../masking/row-masker.ts';
import type { StatementResult } from './in-flight.ts';
import type { PgSessionServices } from './services.ts';
import type { MessageDecision } from './statement-decision.ts';

export class SessionRecording extends SessionLedger {
  readonly #services: PgSessionServices;

  constructor(services: PgSessionServices) {
    super(services);
    this.#services = services;
  }

  /** Numbers statements in the order they were decided; one function for the session, handed to decideMessage as is. */
  readonly nextStatementIndex = this.nextOperationIndex;

  /** Each statement of a decided Query or Parse: its text, its classification and what the policies said. */
  decided(decision: MessageDecision, protocol: 'simple' | 'extended'): void {
    const services = this.#services;
    services.metrics.parseCache(decision.cached);
    decision.statements.forEach((statement, i) => {
      const d = decision.decisions[i]!;
      const statementIndex = decision.indexes[i]!;
      this.record({ type: 'statement', statementIndex, flavour: protocol, text: statement.text });
      this.record({
        type: 'classification',
        statementIndex,
        kinds: statement.kinds,
        commands: statement.commands,
        objects: statement.objects,
        functions: statement.functions,
        writesWithoutWhere: statement.writesWithoutWhere,
        cached: decision.cached,
        ...(statement.unknownReason ? { unknownReason: statement.unknownReason } : {}),
      });
      this.recordDecision(statementIndex, d, services.target.namespace);
    });
  }

  /** A row had fields masked: metrics now, the statement's masking record when it finishes. */
  masked(result: ReturnType<RowMaskPlan['maskRow']>, statement: StatementResult | undefined): void {
    const metrics = this.#services.metrics;
    for (const field of result.masked) {
      metrics.masked(field.rule, 1);
      if (statement) statement.maskedByRule.set(field.rule, (statement.maskedByRule.get(field.rule) ?? 0) + 1);
    }
    if (result.nulledBinary > 0) {
      metrics.maskedBinaryNulled(result.nulledBinary);
      if (statement) statement.nulledBinary += result.nulledBinary;
    }
    if (statement) statement.maskedFields += result.masked.length + result.nulledBinary;
  }

  /** The server finished a Query or Execute: one result per command tag, then masking and the error, if any. */
  finished(statement: StatementResult): void {
    const last = statement.indexes.at(-1) ?? 0;
    statement.tags.forEach((commandTag, i) => {
      const rows = rowsOf(commandTag);
      this.record({ type: 'result', statementIndex: statement.indexes[i] ?? last, commandTag, ...(rows === undefined ? {} : { rows }) });
    });
    if (statement.maskedFields > 0) {
      this.record({
        type: 'masking',
        statementIndex: statement.indexes[0] ?? last,
        maskedByRule: Object.fromEntries(statement.maskedByRule),
        nulledBinary: statement.nulledBinary,
      });
    }
    if (statement.error) {
      this.record({
        type: 'error',
        statementIndex: statement.indexes[statement.tags.length] ?? last,
        code: 'StatementFailed',
        message: statement.error.message,
        sqlstate: statement.error.code,
      });
    }
    statement.onDone?.(statement);
  }
}

/** The row count in a CommandComplete tag: SELECT 3, INSERT 0 1, UPDATE 2, COPY 5. */
function rowsOf(tag: string): number | undefined {
  const match = /^(?:SELECT|INSERT \d+|UPDATE|DELETE|MERGE|COPY|FETCH|MOVE) (\d+)$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}
