/**
 * One command held for approval. Binds the approval to the digest of exactly what will be sent
 * (text, bound parameters, target, identity), reuses a session or window grant for that digest,
 * otherwise asks the approval gate, tells the agent which ApprovalRequest to get approved and how,
 * and waits — for a decision, the expiry, a cancel or the agent going away. Nothing here sends
 * anything upstream: the session forwards the held bytes only when `run` says release.
 */

import { durationSeconds, operationDigest } from '@airlock/contracts/approval';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { ApprovalSettings } from '@airlock/crds';
import type { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { ApprovalOutcome, PendingApproval } from '../../../core/ports.ts';
import { encode } from '../wire/backend-messages.ts';
import { denialError, SQLSTATE } from './denials.ts';
import type { StatementResult } from './in-flight.ts';
import type { PgSessionServices } from './services.ts';
import type { MessageDecision } from './statement-decision.ts';

const DEFAULT_TTL = '15m';
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

export class HeldCommand {
  readonly #services: PgSessionServices;
  readonly #input: HeldCommandInput;

  constructor(services: PgSessionServices, input: HeldCommandInput) {
    this.#services = services;
    this.#input = input;
  }

  async run(hooks: HoldHooks): Promise<HoldResult> {
    const { target, principal, gate, windowGrants, clock } = this.#services;
    const { text, parameters, decision, sessionGrants } = this.#input;
    const verdict = decision.governing.verdict;
    const settings: ApprovalSettings | undefined = verdict?.approval;
    const digest = operationDigest({
      text,
      parameters,
      target: { namespace: target.namespace, name: target.name },
      identity: { namespace: principal.namespace, name: principal.identity },
    });
    const statementIndex = decision.indexes[0] ?? 0;
    if (sessionGrants.covers(digest) || windowGrants.covers(digest)) {
      // An earlier approval with scope session or window covers exactly these bytes.
      hooks.record({
        type: 'approval.outcome',
        statementIndex,
        name: '(granted earlier)',
        phase: 'Approved',
        reason: 'covered by an earlier approval with scope session or window',
        waitedSeconds: 0,
      });
      return { release: true };
    }
    if (!verdict || !settings) {
      return {
        release: false,
        error: denialError({ code: SQLSTATE.insufficientPrivilege, message: 'approval is required but no approvers are configured' }),
      };
    }
    let pending: PendingApproval;
    try {
      pending = await gate.request(principal, {
        target: { name: target.name, type: target.spec.type },
        operation: {
          text,
          ...(parameters.length > 0
            ? {
                parameters: parameters.map((p) =>
                  p.value === null
                    ? { isNull: true }
                    : {
                        value: p.format === 1 ? p.value.toString('base64') : p.value.toString('utf8'),
                        format: p.format === 1 ? ('binary' as const) : ('text' as const),
                      },
                ),
              }
            : {}),
          summary: summary(decision),
          digest,
          sessionID: this.#services.sessionId,
          sequence: decision.indexes[0] ?? 0,
        },
        policy: { name: verdict.policy, ...(verdict.rule ? { rule: verdict.rule } : {}) },
        requiredApprovals: settings.requiredApprovals ?? 1,
        approvers: settings.approvers,
        scope: settings.scope ?? 'once',
        ...(settings.window ? { window: settings.window } : {}),
        ttlSeconds: durationSeconds(settings.ttl ?? DEFAULT_TTL),
      });
    } catch (error) {
      // Fail closed: without the control plane nobody can approve, so nothing is released.
      this.#services.metrics.error('ApprovalGateUnavailable');
      hooks.record({ type: 'error', statementIndex, code: 'ApprovalGateUnavailable', message: (error as Error).message });
      return {
        release: false,
        error: denialError({
          code: SQLSTATE.insufficientPrivilege,
          message: `this statement needs approval, but the approval service is unavailable: ${(error as Error).message}`,
          hint: 'Try again later.',
        }),
      };
    }
    const command = `kubectl approve ${pending.name} -n ${pending.namespace}`;
    hooks.record({ type: 'approval.requested', statementIndex, name: pending.name, namespace: pending.namespace, digest });
    hooks.onPending(pending);
    hooks.notify(
      encode.noticeResponse({
        severity: 'NOTICE',
        code: '00000',
        message: `airlock: ${decision.governing.reason}. Waiting for approval: ApprovalRequest ${pending.name} in namespace ${pending.namespace}`,
        detail: `A reviewer approves it with: ${command}`,
        hint: `Cancel the statement to withdraw the request.`,
      }),
    );
    const started = clock();
    const outcome: ApprovalOutcome | undefined = await Promise.race([
      pending.outcome.catch((error: Error) => ({ phase: 'Withdrawn' as const, reason: `the approval service failed: ${error.message}` })),
      hooks.closed.then(() => undefined),
    ]);
    const waited = (clock() - started) / 1000;
    if (outcome === undefined) {
      await pending.withdraw('the agent disconnected while the statement was held').catch(() => undefined);
      hooks.record({
        type: 'approval.outcome',
        statementIndex,
        name: pending.name,
        phase: 'Withdrawn',
        reason: 'the agent disconnected',
        waitedSeconds: waited,
      });
      this.#services.metrics.approvalWait('Withdrawn', waited);
      return { release: false, error: Buffer.alloc(0) };
    }
    this.#services.metrics.approvalWait(outcome.phase, waited);
    hooks.record({
      type: 'approval.outcome',
      statementIndex,
      name: pending.name,
      phase: outcome.phase,
      waitedSeconds: waited,
      ...(outcome.phase === 'Approved' ? { reviewers: outcome.approvers } : {}),
      ...(outcome.phase === 'Denied' ? { reviewers: [outcome.reviewer], reason: outcome.reason } : {}),
      ...(outcome.phase === 'Withdrawn' ? { reason: outcome.reason } : {}),
    });
    switch (outcome.phase) {
      case 'Approved': {
        if (settings.scope === 'session') sessionGrants.grant(digest, Number.POSITIVE_INFINITY);
        if (settings.scope === 'window' && settings.window) windowGrants.grant(digest, clock() + durationSeconds(settings.window) * 1000);
        return {
          release: true,
          report: (result) =>
            pending.reportExecution({
              ok: result.error === undefined,
              result: result.error ? `ERROR ${result.error.code}: ${result.error.message}` : result.tags.join('; '),
            }),
        };
      }
      case 'Denied':
        return {
          release: false,
          error: denialError({
            code: SQLSTATE.insufficientPrivilege,
            message: `ApprovalRequest ${pending.name} was denied by ${outcome.reviewer}: ${outcome.reason}`,
          }),
        };
      case 'Expired':
        return {
          release: false,
          error: denialError({
            code: SQLSTATE.insufficientPrivilege,
            message: `ApprovalRequest ${pending.name} expired before it was approved`,
            hint: 'Run the statement again to ask again.',
          }),
        };
      case 'Withdrawn':
        return {
          release: false,
          error: denialError({
            code: SQLSTATE.queryCanceled,
            message: `canceling statement due to user request: ApprovalRequest ${pending.name} withdrawn (${outcome.reason})`,
          }),
        };
    }
  }
}
