/**
 * The one statement of a session that waits for a reviewer. There is at most one: the pump does
 * not handle the next agent frame until the hold settles (flow-control.ts). The slot runs the hold
 * (held-command.ts), lets the session withdraw it (cancel, shutdown, disconnect), and says when its
 * outcome is recorded, so session.close stays the last record. On release it forwards the held
 * bytes, unless the server skips them by now; on refusal the agent gets the denial.
 */
import { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { PendingApproval } from '../../../core/ports.ts';
import type { FlowControl } from './flow-control.ts';
import { HeldCommand, type HoldResult } from './held-command.ts';
import type { StatementResult } from './in-flight.ts';
import type { PgSessionServices } from './services.ts';
import type { SessionRecording } from './session-recording.ts';
import type { PortalInfo, SessionState } from './session-state.ts';
import type { MessageDecision } from './statement-decision.ts';

export interface HoldSlotDeps {
  readonly state: SessionState;
  readonly flow: FlowControl;
  readonly recording: SessionRecording;
  readonly services: PgSessionServices;
  /** Resolves when the agent's connection is gone: a held statement stops waiting. */
  readonly disconnected: Promise<void>;
}

export class HoldSlot {
  readonly #state: SessionState;
  readonly #flow: FlowControl;
  readonly #recording: SessionRecording;
  readonly #services: PgSessionServices;
  readonly #disconnected: Promise<void>;
  /** Scope session: approvals of this session only. */
  readonly #sessionGrants: ApprovalGrants;
  #pending: PendingApproval | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: HoldSlotDeps) {
    this.#state = deps.state;
    this.#flow = deps.flow;
    this.#recording = deps.recording;
    this.#services = deps.services;
    this.#disconnected = deps.disconnected;
    this.#sessionGrants = new ApprovalGrants(deps.services.clock);
  }

  /** A statement waits for a reviewer (its ApprovalRequest exists). */
  get holding(): boolean {
    return this.#pending !== undefined;
  }

  /** Settles once a running hold has recorded its outcome; undefined when nothing is held. */
  get settled(): Promise<void> | undefined {
    return this.#running;
  }

  /** Withdraws the ApprovalRequest of the held statement; false when nothing waits for a reviewer. */
  withdraw(reason: string): boolean {
    if (!this.#pending) return false;
    void this.#pending.withdraw(reason);
    return true;
  }

  async hold(
    text: string,
    parameters: PortalInfo['parameters'],
    decision: MessageDecision,
    statement: StatementResult,
    forward: () => void,
    deny: (error: Buffer) => void,
  ): Promise<void> {
    const held = new HeldCommand(this.#services, {
      sessionGrants: this.#sessionGrants,
      text,
      parameters,
      decision,
    });
    const running = held.run({
      notify: (notice) => this.#flow.writeAgent([notice]),
      onPending: (pending) => {
        this.#pending = pending;
      },
      closed: this.#disconnected,
      record: (event) => this.#recording.record(event),
    });
    this.#running = running.then(() => undefined);
    const result: HoldResult = await running;
    this.#running = undefined;
    this.#pending = undefined;
    if (this.#state.closing) return;
    if (result.release && this.#state.skipToSync) {
      // An earlier message of the pipeline failed while this one was held: the server skips to
      // Sync and would never run it, nor answer it. Forwarding it would put an answer in the
      // in-flight queue that never comes, and every later reply would be matched to the wrong message.
      void result
        .report?.({ ...statement, error: { code: '', message: 'not run: an earlier message in the pipeline failed' } })
        .catch(() => undefined);
      return;
    }
    if (result.release) {
      const report = result.report;
      if (report) statement.onDone = (r) => void report(r).catch(() => undefined);
      forward();
      return;
    }
    deny(result.error);
  }
}
