/**
 * What every protocol's session recording keeps the same way: records go to the session's
 * recorder until session.close (what arrives later is not part of the session any more), bytes
 * are counted for the metrics and for session.close, and operations (SQL statements, SSH
 * commands) are numbered in the order they were decided. A protocol's recording extends it with
 * the records its own wire calls for.
 */
import type { Decision } from '@airlock/contracts/policy';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { SessionRecord } from '../recording/session-record.ts';
import type { SessionMetrics } from './session-metrics.ts';

export interface SessionLedgerServices {
  readonly record: SessionRecord;
  readonly metrics: Pick<SessionMetrics, 'bytes' | 'statement'>;
}

export class SessionLedger {
  readonly #ledger: SessionLedgerServices;
  #done = false;
  #operations = 0;
  #bytesIn = 0;
  #bytesOut = 0;

  constructor(services: SessionLedgerServices) {
    this.#ledger = services;
  }

  /** The next operation's index; a function of its own, so it can be handed on as is. */
  readonly nextOperationIndex = (): number => this.#operations++;

  record(event: RecordedEvent): void {
    if (this.#done) return;
    this.#ledger.record.record(event);
  }

  bytesIn(count: number): void {
    this.#bytesIn += count;
    this.#ledger.metrics.bytes('in', count);
  }

  bytesOut(count: number): void {
    this.#bytesOut += count;
    this.#ledger.metrics.bytes('out', count);
  }

  /**
   * What the policies said about an operation, and what the sidecar did: in audit mode the policy's
   * word is the audit verdict and what happened is allow. `targetNamespace` qualifies the policy.
   */
  recordDecision(statementIndex: number, decision: Decision, targetNamespace: string): void {
    const said = decision.verdict ?? decision.audit[0];
    const mode = decision.verdict ? 'enforce' : said ? 'audit' : 'enforce';
    this.record({
      type: 'decision',
      statementIndex,
      action: said?.action ?? decision.action,
      effective: decision.action,
      mode,
      ...(said ? { policy: `${targetNamespace}/${said.policy}`, rule: said.rule ?? 'default' } : {}),
      reason: decision.reason,
    });
    this.#ledger.metrics.statement(said?.action ?? decision.action, mode);
  }

  /** The last record of the session; whatever arrives later is dropped. */
  closed(reason: string): void {
    this.record({ type: 'session.close', reason, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut, statements: this.#operations });
    this.#done = true;
  }
}
