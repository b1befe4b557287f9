import type { SqlFacts, SqlStatementKind } from '@airlock/contracts/policy';
import type { PinnedSettingChange } from './pinned-settings.ts';

/** What a statement does, in the policy's words (ApprovalPolicy `match.sql.statementKinds`). */
export type StatementKind = SqlStatementKind;

/**
 * What the classifier derived from one statement's parse tree. Pure data: the policy decision
 * function reads it, the recorder writes it, the approval request shows it to reviewers.
 */
export interface StatementClassification extends SqlFacts {
  /** The statement's own text (one statement of a multi-statement Query string), trimmed. */
  readonly text: string;
  /** PREPARE name AS ...: the name it defines (its inner statement is classified in place). */
  readonly prepares?: string;
  /** EXECUTE name: the prepared statement it runs; the session resolves it to the PREPARE's classification. */
  readonly executes?: string;
  /** DEALLOCATE name (or ALL as `*`). */
  readonly deallocates?: string;
  /**
   * A setting airlock pins (pinned-settings.ts: client_encoding, standard_conforming_strings) that
   * the statement would move off its pinned value, or `*` when it names its setting only at run
   * time. The session refuses such a statement before policy.
   */
  readonly changesPinnedSetting?: PinnedSettingChange;
  /** Why the statement is `unknown`: the parser's error, or what the classifier did not recognise. */
  readonly unknownReason?: string;
}

/** A Query message's text may hold several statements; each is classified and decided on its own. */
export interface BatchClassification {
  readonly statements: readonly StatementClassification[];
  /** libpg-query fingerprint of the whole text (stable across literal values), for logs and metrics. */
  readonly fingerprint?: string;
  /** The classification came from the cache (the normalized text was seen before). */
  readonly cached: boolean;
}
