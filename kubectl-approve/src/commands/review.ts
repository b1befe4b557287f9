/** `kubectl approve NAME... [--deny] [--reason TEXT] [--digest D]`. */
import type { ApprovalRequest } from '@airlock/crds';
import type { Reviewer } from '../approval-facts.ts';
import type { Command } from '../cli/arguments.ts';
import { Prompter } from '../cli/prompt.ts';
import { interactive, type Terminal } from '../cli/terminal.ts';
import { ApproveError } from '../errors.ts';
import { formatObject, RESOURCE } from '../format/machine-output.ts';
import type { ApprovalApi } from '../kube/approval-api.ts';
import { preReviewProblem } from '../review/review-errors.ts';
import type { Decision, ReviewInput } from '../review/review-patch.ts';
import { connect } from './connect.ts';

export async function reviewCommand(command: Extract<Command, { kind: 'review' }>, terminal: Terminal): Promise<number> {
  let reason = command.reason;
  if (command.decision === 'Deny' && !reason) {
    if (!interactive(terminal)) throw new ApproveError('Usage', '--deny needs --reason TEXT: the agent and the audit trail are told why');
    reason = await askReason(terminal);
    if (!reason) throw new ApproveError('Usage', 'no reason given: nothing was denied');
  }
  const { api, namespace } = connect(command.common, terminal);
  // Who I am and the first request, at once: one round trip less before the review is written.
  const whoami = api.whoami();
  whoami.catch(() => undefined);
  let exitCode = 0;
  for (const name of command.names) {
    try {
      const [request, me] = await Promise.all([api.get(namespace, name), whoami]);
      const updated = await submitReview(api, request, {
        me,
        decision: command.decision,
        reason,
        digest: command.digest,
        now: terminal.now(),
      });
      terminal.stdout.write(command.output ? formatObject(updated, command.output) : reviewedLine(updated, me, command.decision));
    } catch (error) {
      if (!(error instanceof ApproveError) || command.names.length === 1) throw error;
      terminal.stderr.write(`error (${error.code}): ${error.message}\n`);
      if (exitCode === 0) exitCode = error.exitCode;
    }
  }
  return exitCode;
}

/** Checks what the reviewer can check, then appends the review; the API server decides the rest. */
export function submitReview(api: ApprovalApi, request: ApprovalRequest, submission: ReviewInput): Promise<ApprovalRequest> {
  return api.appendReview(request, submission, (current) => preReviewProblem(current, submission.me, submission.now, submission.digest));
}

export function reviewedLine(request: ApprovalRequest, me: Reviewer, decision: Decision): string {
  const approvals = new Set((request.status?.reviews ?? []).filter((r) => r.decision === 'Approve').map((r) => r.user)).size;
  const required = request.spec.requiredApprovals;
  const tally =
    decision === 'Deny'
      ? 'the operator denies it'
      : `${approvals} of ${required} approval${required === 1 ? '' : 's'}; the operator ${approvals >= required ? 'approves it' : 'waits for more'}`;
  return `${RESOURCE}/${request.metadata.name} ${decision === 'Deny' ? 'denied' : 'approved'} by ${me.username} (${tally})\n`;
}

async function askReason(terminal: Terminal): Promise<string | undefined> {
  let interrupted = false;
  const prompter = new Prompter(terminal.stdin, terminal.stdout, () => (interrupted = true));
  try {
    const reason = await prompter.ask('Reason for denying (required): ', terminal.signal);
    if (interrupted || terminal.signal.aborted) throw new ApproveError('Interrupted', 'interrupted: nothing was denied');
    return reason;
  } finally {
    prompter.close();
  }
}
