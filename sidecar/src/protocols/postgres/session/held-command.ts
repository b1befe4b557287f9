/**
 * A PostgreSQL command held for approval: the neutral hold (core/approval/approval-hold.ts) with
 * PostgreSQL's words. It hands the hold the exact text and bound parameters that will be sent,
 * tells the agent it waits with a NoticeResponse, and turns a refusal into the ErrorResponse the
 * agent gets for the statement. Nothing here sends anything upstream: the session forwards the
 * held bytes only when `run` says release.
 */

import type { RecordedEvent } from '@airlock/contracts/recording';
import { type ApprovalWaitNotice, type HoldRefusal, holdForApproval } from '../../../core/approval/approval-hold.ts';
import type { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { PendingApproval } from '../../../core/ports.ts';
import { encode } from '../wire/backend-messages.ts';
import { denialError, SQLSTATE } from './denials.ts';
import type { StatementResult } from './in-flight.ts';
import type { PgSessionServices } from './services.ts';
import type { MessageDecision } from './statement-decision.ts';

const SUMMARY_LIMIT = 200;

export type HoldResult =
  | { readonly release: true; readonly report?: (result: StatementResult) => Promise<void> }
  | { readonly release: false; readonly error: Buffer };

export interface HeldCommandInput {
  readonly sessionGrants: ApprovalGrants;
  readonly text: string;
  readonly parameters: readonly { readonly value: Buffer | null; readonly format: 0 | 1 }[];
  readonly decision: MessageDecision;
}

export interface HoldHooks {
  notify(notice: Buffer): void;
  onPending(pending: PendingApproval): void;
  /** Resolves when the agent's connection is gone. */
  readonly closed: Promise<void>;
  record(event: RecordedEvent): void;
}

function summary(decision: MessageDecision): string {
  const parts = decision.statements.map((s) => [s.commands[0] ?? 'UNKNOWN', ...s.objects].join(' '));
  const text = parts.join('; ');
  return text.length > SUMMARY_LIMIT ? `${text.slice(0, SUMMARY_LIMIT - 1)}…` : text;
}

function waitNotice(notice: ApprovalWaitNotice): Buffer {
  return encode.noticeResponse({
    severity: 'NOTICE',
    code: '00000',
    message: `airlock: ${notice.message}`,
    detail: notice.detail,
    hint: `Cancel the statement to withdraw the request.`,
  });
}

/** Withdrawn reads as PostgreSQL's own cancel (57014), which is what the agent did or what it looks like to it. */
function refusalError(refusal: HoldRefusal): Buffer {
  const hint = refusal.hint ? { hint: refusal.hint } : {};
  if (refusal.kind === 'Withdrawn') {
    return denialError({ code: SQLSTATE.queryCanceled, message: `canceling statement due to user request: ${refusal.message}`, ...hint });
  }
  return denialError({ code: SQLSTATE.insufficientPrivilege, message: refusal.message, ...hint });
}

export class HeldCommand {
  readonly #services: PgSessionServices;
  readonly #input: HeldCommandInput;

  constructor(services: PgSessionServices, input: HeldCommandInput) {
    this.#services = services;
    this.#input = input;
  }

  async run(hooks: HoldHooks): Promise<HoldResult> {
    const { text, parameters, decision, sessionGrants } = this.#input;
    const result = await holdForApproval(
      { ...this.#services, sessionGrants },
      {
        text,
        parameters,
        summary: summary(decision),
        statementIndex: decision.indexes[0] ?? 0,
        decision: decision.governing,
        noun: 'statement',
      },
      {
        waiting: (notice) => hooks.notify(waitNotice(notice)),
        onPending: (pending) => hooks.onPending(pending),
        closed: hooks.closed,
        record: (event) => hooks.record(event),
      },
    );
    if (result.release) {
      const report = result.report;
      if (!report) return { release: true };
      return {
        release: true,
        report: (statement) =>
          report({
            ok: statement.error === undefined,
            result: statement.error ? `ERROR ${statement.error.code}: ${statement.error.message}` : statement.tags.join('; '),
          }),
      };
    }
    // The agent is gone: nothing to send it.
    if (!result.refusal) return { release: false, error: Buffer.alloc(0) };
    return { release: false, error: refusalError(result.refusal) };
  }
}
