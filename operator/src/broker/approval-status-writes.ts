/**
 * The status changes the broker makes on a sidecar's word, as pure decisions: the first status of
 * a new request, a withdrawal (from Pending or Approved), an execution report (only after
 * Approved). A repeat of a change already made is `done`, so retried calls succeed; anything the
 * phase machine does not allow is refused.
 */

import type { ExecutionReport } from '@airlock/contracts/broker';
import type { ApprovalRequest, ApprovalRequestStatus } from '@airlock/crds';

export type StatusWrite =
  | { readonly kind: 'patch'; readonly status: ApprovalRequestStatus }
  | { readonly kind: 'done' }
  | { readonly kind: 'refuse'; readonly message: string };

const MESSAGE_MAX = 4096;
const RESULT_MAX = 1024;
const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export function initialStatus(request: ApprovalRequest): StatusWrite {
  if (request.status?.phase !== undefined) return { kind: 'done' };
  return { kind: 'patch', status: { phase: 'Pending', approvals: `0/${request.spec.requiredApprovals}` } };
}

export function withdrawal(request: ApprovalRequest, reason: string, now: Date): StatusWrite {
  const phase = request.status?.phase;
  if (phase === 'Withdrawn') return { kind: 'done' };
  if (phase !== undefined && phase !== 'Pending' && phase !== 'Approved') {
    return {
      kind: 'refuse',
      message: `ApprovalRequest ${request.metadata.name} is already ${phase}; only a Pending or Approved request can be withdrawn`,
    };
  }
  return {
    kind: 'patch',
    status: {
      phase: 'Withdrawn',
      message: cut(`Withdrawn by the sidecar: ${reason || 'no reason given'}`, MESSAGE_MAX),
      decidedAt: now.toISOString(),
    },
  };
}

export function executionReport(request: ApprovalRequest, report: ExecutionReport, now: Date): StatusWrite {
  const phase = request.status?.phase;
  const wanted = report.ok ? 'Executed' : 'Failed';
  if (phase === wanted) return { kind: 'done' };
  if (phase !== 'Approved') {
    return {
      kind: 'refuse',
      message: `ApprovalRequest ${request.metadata.name} is ${phase ?? 'not decided'}; only an Approved request can be reported executed`,
    };
  }
  return { kind: 'patch', status: { phase: wanted, executedAt: now.toISOString(), result: cut(report.result, RESULT_MAX) } };
}
