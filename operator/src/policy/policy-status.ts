/**
 * ApprovalPolicy status as a pure function: the policy as last read, its compile errors and its
 * warnings in; the whole status and the Events worth recording out. The reconciler writes the
 * status once and records the Events only when that write happened (kube/status-report.ts), so a resync that changes
 * nothing records nothing. Warnings never make the policy not-Ready: they describe what a
 * served policy does, they do not stop it.
 */
import type { ApprovalPolicy, ApprovalPolicyStatus, PolicyWarning, RuleError } from '@airlock/crds';
import { jsonEqual } from '../kube/json-diff.ts';
import { type PlannedEvent, planReadyStatus, type StatusReport } from '../kube/status-report.ts';

export type { PlannedEvent } from '../kube/status-report.ts';

/** Limits of status.warnings in the CRD schema: a longer list or message would fail the whole status write. */
export const MAX_WARNINGS = 64;
export const MAX_WARNING_MESSAGE = 1024;

/** The status to write, and the Events to record once it is written (writeStatusReport). */
export type PolicyStatusPlan = StatusReport<ApprovalPolicyStatus>;

export function planPolicyStatus(
  policy: ApprovalPolicy,
  ruleErrors: readonly RuleError[],
  allWarnings: readonly PolicyWarning[],
  now: Date,
): PolicyStatusPlan {
  const ready = ruleErrors.length === 0;
  const message = ready
    ? 'Every rule compiled; the policy is served to sidecars.'
    : `${ruleErrors.length} rule error${ruleErrors.length === 1 ? '' : 's'}; sidecars do not receive this policy until they are fixed: ${ruleErrors
        .slice(0, 3)
        .map((e) => `${e.rule ? `${e.rule}: ` : ''}${e.field}: ${e.message}`)
        .join('; ')}`;
  const warnings = fitWarnings(allWarnings);
  const readiness = { ready, reason: ready ? 'Compiled' : 'RuleErrors', message };
  const report = planReadyStatus<ApprovalPolicyStatus>(policy, { ruleErrors: [...ruleErrors], warnings }, readiness, now, 'PolicyInvalid');
  const status = report.status;
  if (ruleErrors.length === 0) delete status.ruleErrors;
  if (warnings.length === 0) delete status.warnings;

  const events: PlannedEvent[] = [...report.events];
  const previous = policy.status?.warnings ?? [];
  if (!jsonEqual(previous, warnings)) {
    if (warnings.length > 0) events.push({ type: 'Warning', reason: 'PolicyWarnings', message: warningsSummary(allWarnings) });
    else events.push({ type: 'Normal', reason: 'PolicyWarningsResolved', message: 'The policy has no warnings any more.' });
  }
  return { status, events };
}

function fitWarnings(warnings: readonly PolicyWarning[]): PolicyWarning[] {
  return warnings.slice(0, MAX_WARNINGS).map((warning) => {
    const text = warning.message ?? '';
    return text.length > MAX_WARNING_MESSAGE ? { ...warning, message: `${text.slice(0, MAX_WARNING_MESSAGE - 3)}...` } : warning;
  });
}

/** One line for `kubectl describe`: the count, then each warning's code, rule and message (the recorder trims it). */
function warningsSummary(warnings: readonly PolicyWarning[]): string {
  const count = `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
  const shown = warnings.length > MAX_WARNINGS ? ` (status.warnings lists the first ${MAX_WARNINGS})` : '';
  const items = warnings.map((w) => `${w.code}${w.rule ? ` (rule ${w.rule})` : ''}: ${w.message}`);
  return `${count}${shown}: ${items.join(' | ')}`;
}
