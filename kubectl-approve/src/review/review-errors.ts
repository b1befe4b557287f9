/**
 * Why a review cannot be or was not written, as an ApproveError with a stable code and a message
 * that says what to do. Pure: from the request as read, who the reviewer is, the clock, and, for
 * refusals, the API server's answer (whose message is shown as it is: the admission policy's
 * words are the authority, docs/adr/0008).
 */
import type { ApprovalRequest } from '@airlock/crds';
import { isExpired, phaseOf, qualifiedName, type Reviewer, reviewerStanding } from '../approval-facts.ts';
import { ApproveError } from '../errors.ts';
import { age } from '../format/durations.ts';
import { oneLine } from '../format/terminal-text.ts';

/** The reviewer-side checks before writing: decided, expired, already reviewed, another command. */
export function preReviewProblem(request: ApprovalRequest, me: Reviewer, now: Date, digest?: string): ApproveError | undefined {
  const phase = phaseOf(request);
  const name = qualifiedName(request);
  if (phase !== 'Pending') return alreadyDecided(request, now);
  if (isExpired(request, now)) {
    return new ApproveError(
      'Expired',
      `${name} expired ${age(request.spec.expiresAt, now)} ago (at ${request.spec.expiresAt}): a review written now does not count, and the operator marks it Expired. If the command is still needed, the agent must run it again.`,
    );
  }
  const standing = reviewerStanding(request, me);
  if (standing.kind === 'reviewed') {
    return new ApproveError(
      'AlreadyReviewed',
      `you (${me.username}) already reviewed ${name}: ${standing.review.decision} ${age(standing.review.time, now)} ago. A review stands once written.`,
    );
  }
  if (digest && digest !== request.spec.operation.digest) return digestMismatch(request, digest);
  return undefined;
}

export function alreadyDecided(request: ApprovalRequest, now: Date): ApproveError {
  const status = request.status ?? {};
  const when = status.decidedAt ? ` (decided ${age(status.decidedAt, now)} ago)` : '';
  const why = status.message ? `: ${oneLine(status.message)}` : '';
  return new ApproveError(
    'AlreadyDecided',
    `${qualifiedName(request)} is already ${phaseOf(request)}${when}${why}. Reviews are closed; if the command is still needed, the agent must run it again.`,
  );
}

export function digestMismatch(request: ApprovalRequest, digest: string): ApproveError {
  return new ApproveError(
    'DigestMismatch',
    `${qualifiedName(request)} holds the command with digest ${request.spec.operation.digest}, not ${digest}: nothing was written. Run kubectl approve show ${request.metadata.name} and check the command again.`,
  );
}

export function notFound(name: string, namespace: string): ApproveError {
  return new ApproveError(
    'NotFound',
    `ApprovalRequest ${name} not found in namespace ${namespace}: kubectl approve list -n ${namespace} shows the pending ones, kubectl approve list -A all namespaces`,
  );
}

export type RefusalKind = 'self-review' | 'not-approver' | 'decided' | 'duplicate' | 'digest' | 'stale' | 'rbac' | 'other';

/** What kind of refusal the API server's message is. */
export function refusalKind(message: string): RefusalKind {
  if (message.includes('testing value /metadata/resourceVersion')) return 'stale';
  if (message.includes('testing value /spec/operation/digest')) return 'digest';
  if (message.includes('a requester cannot review its own request') || message.includes('may not review this request'))
    return 'self-review';
  if (message.includes('is not an approver of this request')) return 'not-approver';
  if (message.includes('already decided') || message.includes('reviews are closed')) return 'decided';
  if (message.includes('Duplicate value')) return 'duplicate';
  if (/cannot \w+ resource/.test(message)) return 'rbac';
  return 'other';
}

/** The API server refused the review patch: say why in the reviewer's terms, with its own message. */
export function reviewRefused(request: ApprovalRequest, me: Reviewer, apiMessage: string, now: Date): ApproveError {
  const name = qualifiedName(request);
  const said = `The API server said: ${apiMessage}`;
  switch (refusalKind(apiMessage)) {
    case 'self-review':
      return new ApproveError('SelfReview', `${me.username} cannot review ${name}: a requester never reviews its own request. ${said}`);
    case 'not-approver':
      return notApprover(request, me, said);
    case 'decided':
      return new ApproveError('AlreadyDecided', `${name} was decided before your review arrived; reviews are closed. ${said}`);
    case 'duplicate':
      return new ApproveError('AlreadyReviewed', `you (${me.username}) already reviewed ${name}. ${said}`);
    case 'digest':
      return digestMismatch(request, '(the --digest given)');
    case 'rbac':
      return rbacForbidden(me.username, 'patch', 'approvalrequests/status', request.metadata.namespace ?? '', apiMessage);
    default:
      return new ApproveError('Refused', `the API server refused the review of ${name} (${now.toISOString()}). ${said}`);
  }
}

export function notApprover(request: ApprovalRequest, me: Reviewer, said: string): ApproveError {
  const users = request.spec.approvers.users ?? [];
  const groups = request.spec.approvers.groups ?? [];
  const needs = [
    ...(groups.length ? [`membership in group ${groups.join(' or ')}`] : []),
    ...(users.length ? [`being user ${users.join(' or ')}`] : []),
  ].join(', or ');
  return new ApproveError(
    'NotApprover',
    `${me.username} is not an approver of ${qualifiedName(request)}: reviewing it needs ${needs || 'an approver (it names none)'}; your groups are ${me.groups.join(', ') || 'none'}. Ask an approver, or an admin to add you to ${groups.length ? `group ${groups.join(' or ')}` : 'the approvers'}. ${said}`,
  );
}

/** RBAC said no: name the permission, the role that grants it, and how an admin binds it. */
export function rbacForbidden(user: string, verb: string, resource: string, namespace: string, apiMessage?: string): ApproveError {
  const where = namespace ? ` in namespace ${namespace}` : ' in all namespaces';
  const bind = namespace
    ? `kubectl create rolebinding airlock-reviewer --clusterrole=airlock-reviewer --user=${user} -n ${namespace}`
    : `kubectl create clusterrolebinding airlock-reviewer --clusterrole=airlock-reviewer --user=${user}`;
  return new ApproveError(
    'Forbidden',
    `${user} may not ${verb} ${resource.replace(/^approvalrequests/, 'approvalrequests.airlock.dev')}${where} (RBAC). Reviewers need ClusterRole airlock-reviewer (get, list, watch approvalrequests; get, patch approvalrequests/status): ask a cluster admin to bind it to you or your group, for example: ${bind}${apiMessage ? `. The API server said: ${apiMessage}` : ''}`,
  );
}
