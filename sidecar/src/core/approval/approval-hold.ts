/**
 * One operation held for approval, whatever the protocol. Binds the approval to the digest of
 * exactly what will be sent (text, bound parameters, target, identity), reuses a session or window
 * grant for that digest, otherwise asks the approval gate, has the protocol tell the agent which
 * ApprovalRequest to get approved and how, and waits — for a decision, the expiry, a withdrawal or
 * the agent going away. Nothing here sends anything anywhere: the protocol forwards the held
 * operation only when the result says release, and renders a refusal in its own wire format.
 */

import { type DigestInput, durationSeconds, operationDigest } from '@airlock/contracts/approval';
import type { Decision } from '@airlock/contracts/policy';
import type { RecordedEvent } from '@airlock/contracts/recording';
import type { AgentPrincipal, ApprovalDraft, ApprovalGate, ApprovalOutcome, PendingApproval, TargetConfig } from '../ports.ts';
import type { SessionMetrics } from '../session/session-metrics.ts';
import type { ApprovalGrants } from './grants.ts';

const DEFAULT_TTL = '15m';

/** The session the operation belongs to, and the services a hold uses. */
export interface ApprovalHoldSession {
  readonly sessionId: string;
  readonly target: TargetConfig;
  readonly principal: AgentPrincipal;
  readonly gate: ApprovalGate;
  /** Scope session: approvals that cover this session only. */
  readonly sessionGrants: ApprovalGrants;
  /** Scope window: approvals shared by the sessions of this identity and target. */
  readonly windowGrants: ApprovalGrants;
  readonly metrics: Pick<SessionMetrics, 'approvalWait' | 'error'>;
  readonly clock: () => number;
}

export interface HeldOperation {
  /** The request kind where a protocol has several (SSH: exec, shell, subsystem); part of the digest. */
  readonly kind?: NonNullable<ApprovalDraft['operation']['kind']>;
  /** Exactly what will be sent; the approval is bound to it. */
  readonly text: string;
  readonly parameters: NonNullable<DigestInput['parameters']>;
  /** One line for the reviewer. */
  readonly summary: string;
  /** Position of the operation in the session; the records about it carry it. */
  readonly statementIndex: number;
  /** The decision that held it: its reason is told to the agent, its verdict names the policy and the approval settings. */
  readonly decision: Pick<Decision, 'reason' | 'verdict'>;
  /** What the agent calls the operation in messages: "statement" for SQL. */
  readonly noun: string;
  /**
   * What the protocol finds out before asking (Kubernetes: a dry run), shown to reviewers and not
   * part of the digest. Collected only when an ApprovalRequest is made: an operation an earlier
   * approval covers costs nothing.
   */
  readonly evidence?: () => Promise<ApprovalDraft['evidence'] | undefined>;
}

/** Which ApprovalRequest the operation waits for and how it is approved; the protocol adds how to withdraw it. */
export interface ApprovalWaitNotice {
  readonly name: string;
  readonly namespace: string;
  readonly message: string;
  readonly detail: string;
}

export interface ApprovalHoldHooks {
  /** The request exists: the protocol tells the agent, in its own wire format. */
  waiting(notice: ApprovalWaitNotice): void;
  onPending(pending: PendingApproval): void;
  /** Resolves when the agent's connection is gone. */
  readonly closed: Promise<void>;
  record(event: RecordedEvent): void;
}

export type HoldRefusalKind = 'NoApprovers' | 'ApprovalGateUnavailable' | 'Denied' | 'Expired' | 'Withdrawn';

/** Why the operation is not released; the protocol renders it as its own error. */
export interface HoldRefusal {
  readonly kind: HoldRefusalKind;
  readonly message: string;
  readonly hint?: string;
}

export type ExecutionReport = Parameters<PendingApproval['reportExecution']>[0];

export type ApprovalHoldResult =
  /** `report`: after an approval, what the target answered goes back to the ApprovalRequest. */
  | { readonly release: true; readonly report?: (execution: ExecutionReport) => Promise<void> }
  /** `refusal` is absent when the agent went away: there is nobody to tell. */
  | { readonly release: false; readonly refusal?: HoldRefusal };

export async function holdForApproval(
  session: ApprovalHoldSession,
  operation: HeldOperation,
  hooks: ApprovalHoldHooks,
): Promise<ApprovalHoldResult> {
  const { target, principal, gate, sessionGrants, windowGrants, metrics, clock } = session;
  const { statementIndex, noun } = operation;
  const verdict = operation.decision.verdict;
  const settings = verdict?.approval;
  const digest = operationDigest({
    ...(operation.kind === undefined ? {} : { kind: operation.kind }),
    text: operation.text,
    parameters: operation.parameters,
    target: { namespace: target.namespace, name: target.name },
    identity: { namespace: principal.namespace, name: principal.identity },
  });
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
    return { release: false, refusal: { kind: 'NoApprovers', message: 'approval is required but no approvers are configured' } };
  }
  const evidence = operation.evidence ? await operation.evidence() : undefined;
  let pending: PendingApproval;
  try {
    pending = await gate.request(principal, {
      target: { name: target.name, type: target.spec.type },
      operation: {
        ...(operation.kind === undefined ? {} : { kind: operation.kind }),
        text: operation.text,
        ...(operation.parameters.length > 0 ? { parameters: operation.parameters.map(draftParameter) } : {}),
        summary: operation.summary,
        digest,
        sessionID: session.sessionId,
        sequence: statementIndex,
      },
      ...(evidence ? { evidence } : {}),
      policy: { name: verdict.policy, ...(verdict.rule ? { rule: verdict.rule } : {}) },
      requiredApprovals: settings.requiredApprovals ?? 1,
      approvers: settings.approvers,
      scope: settings.scope ?? 'once',
      ...(settings.window ? { window: settings.window } : {}),
      ttlSeconds: durationSeconds(settings.ttl ?? DEFAULT_TTL),
    });
  } catch (error) {
    // Fail closed: without the control plane nobody can approve, so nothing is released.
    metrics.error('ApprovalGateUnavailable');
    hooks.record({ type: 'error', statementIndex, code: 'ApprovalGateUnavailable', message: (error as Error).message });
    return {
      release: false,
      refusal: {
        kind: 'ApprovalGateUnavailable',
        message: `this ${noun} needs approval, but the approval service is unavailable: ${(error as Error).message}`,
        hint: 'Try again later.',
      },
    };
  }
  hooks.record({ type: 'approval.requested', statementIndex, name: pending.name, namespace: pending.namespace, digest });
  hooks.onPending(pending);
  hooks.waiting({
    name: pending.name,
    namespace: pending.namespace,
    message: `${operation.decision.reason}. Waiting for approval: ApprovalRequest ${pending.name} in namespace ${pending.namespace}`,
    detail: `A reviewer approves it with: kubectl approve ${pending.name} -n ${pending.namespace}`,
  });
  const started = clock();
  const outcome: ApprovalOutcome | undefined = await Promise.race([
    pending.outcome.catch((error: Error) => ({ phase: 'Withdrawn' as const, reason: `the approval service failed: ${error.message}` })),
    hooks.closed.then(() => undefined),
  ]);
  const waited = (clock() - started) / 1000;
  if (outcome === undefined) {
    await pending.withdraw(`the agent disconnected while the ${noun} was held`).catch(() => undefined);
    hooks.record({
      type: 'approval.outcome',
      statementIndex,
      name: pending.name,
      phase: 'Withdrawn',
      reason: 'the agent disconnected',
      waitedSeconds: waited,
    });
    metrics.approvalWait('Withdrawn', waited);
    return { release: false };
  }
  metrics.approvalWait(outcome.phase, waited);
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
    case 'Approved':
      if (settings.scope === 'session') sessionGrants.grant(digest, Number.POSITIVE_INFINITY);
      if (settings.scope === 'window' && settings.window) windowGrants.grant(digest, clock() + durationSeconds(settings.window) * 1000);
      return { release: true, report: (execution) => pending.reportExecution(execution) };
    case 'Denied':
      return {
        release: false,
        refusal: { kind: 'Denied', message: `ApprovalRequest ${pending.name} was denied by ${outcome.reviewer}: ${outcome.reason}` },
      };
    case 'Expired':
      return {
        release: false,
        refusal: {
          kind: 'Expired',
          message: `ApprovalRequest ${pending.name} expired before it was approved`,
          hint: `Run the ${noun} again to ask again.`,
        },
      };
    case 'Withdrawn':
      return { release: false, refusal: { kind: 'Withdrawn', message: `ApprovalRequest ${pending.name} withdrawn (${outcome.reason})` } };
  }
}

/** Text-format values as text, binary-format values as base64: what a reviewer can read. */
function draftParameter(parameter: HeldOperation['parameters'][number]): NonNullable<ApprovalDraft['operation']['parameters']>[number] {
  if (parameter.value === null) return { isNull: true };
  return parameter.format === 1
    ? { value: parameter.value.toString('base64'), format: 'binary' }
    : { value: parameter.value.toString('utf8'), format: 'text' };
}
