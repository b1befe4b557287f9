/**
 * What one session knows about the server's side of the conversation, shared by both directions:
 * agent → upstream (agent-to-upstream.ts) adds to it as it forwards, upstream → agent
 * (upstream-to-agent.ts) retires and corrects it as the server answers. Kept in one object so
 * neither direction owns the other's bookkeeping, and both read the same truth without copies.
 */
import type { PgLimits } from '../limits/pg-limits.ts';
import { PreparedBudget } from '../limits/prepared-budget.ts';
import type { RowMaskPlan } from '../masking/row-masker.ts';
import { InFlightQueue } from './in-flight.ts';
import { SqlPreparedStatements } from './sql-prepared.ts';
import type { MessageDecision } from './statement-decision.ts';

/** A named (or the unnamed) protocol-level prepared statement, decided when it was parsed. */
export interface PreparedInfo {
  readonly sql: string;
  readonly decision: MessageDecision;
}

export interface PortalInfo {
  readonly statement?: PreparedInfo;
  readonly parameters: readonly { value: Buffer | null; format: 0 | 1 }[];
  described: boolean;
  plan: RowMaskPlan | null;
}

export class SessionState {
  /** What the upstream still owes, in order: how a reply is matched to the message it answers. */
  readonly inFlight = new InFlightQueue();
  readonly statements = new Map<string, PreparedInfo>();
  readonly portals = new Map<string, PortalInfo>();
  readonly sqlPrepared = new SqlPreparedStatements();
  readonly budget: PreparedBudget;
  /**
   * After an error in the extended protocol the server discards messages until Sync; the session
   * does too, so nothing it would discard is decided, held or forwarded.
   */
  skipToSync = false;
  /** Set once by the session's close: from then on nothing is decided, forwarded or relayed. */
  closing = false;

  constructor(limits: PgLimits) {
    this.budget = new PreparedBudget(limits);
  }

  /** The server refused or skipped the Parse that would have created it: the name is free again. */
  forgetStatement(name: string): void {
    this.statements.delete(name);
    this.budget.closeStatement(name);
  }

  /** Whether the agent has a prepared statement or portal of this name (the lexing barrier's probe must not take it). */
  nameInUse(kind: 'statement' | 'portal', name: string): boolean {
    return kind === 'statement' ? this.statements.has(name) || this.sqlPrepared.holds(name) : this.portals.has(name);
  }
}
