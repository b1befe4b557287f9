/**
 * The one place a statement is decided. Pure: compiled policies and a classification in, a
 * decision out. Within a policy the first matching rule wins, then its default action; across the
 * policies that apply, the strictest enforcing decision wins (deny > requireApproval > allow).
 * Policies in audit mode are evaluated and reported but never change what happens.
 */
import type { ApprovalSettings } from '@airlock/crds';
import type { PolicyConfig } from '../ports.ts';
import type { StatementClassification } from '../sql/classification.ts';
import { compileSqlMatch, type StatementPredicate } from './sql-rule-match.ts';

export type Action = 'allow' | 'deny' | 'requireApproval';

interface CompiledRule {
  readonly name: string;
  readonly action: Action;
  readonly message?: string;
  readonly approval?: ApprovalSettings;
  readonly matches: StatementPredicate;
}

export interface CompiledPolicy {
  readonly name: string;
  readonly mode: 'enforce' | 'audit';
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: Action;
  readonly approval?: ApprovalSettings;
}

/** What one policy says about a statement. */
export interface Verdict {
  readonly policy: string;
  /** Absent when the policy's default action decided. */
  readonly rule?: string;
  readonly action: Action;
  readonly mode: 'enforce' | 'audit';
  readonly approval?: ApprovalSettings;
  readonly message?: string;
}

export interface Decision {
  /** What the sidecar does. */
  readonly action: Action;
  /** The verdict that decided; absent when no enforcing policy applies. */
  readonly verdict?: Verdict;
  /** Verdicts of audit-mode policies: what would have happened. */
  readonly audit: readonly Verdict[];
  /** The statement could not be classified, and an allow was turned into approval or denial. */
  readonly failedClosed: boolean;
  /** One sentence for the agent, the record and the reviewer. */
  readonly reason: string;
}

const SEVERITY: Record<Action, number> = { allow: 0, requireApproval: 1, deny: 2 };

export function compilePolicy(policy: PolicyConfig): CompiledPolicy {
  const { spec } = policy;
  return {
    name: policy.name,
    mode: spec.mode ?? 'enforce',
    defaultAction: spec.defaultAction ?? 'deny',
    ...(spec.approval ? { approval: spec.approval } : {}),
    rules: (spec.rules ?? []).map((rule) => ({
      name: rule.name,
      action: rule.action,
      ...(rule.message ? { message: rule.message } : {}),
      ...(rule.approval ? { approval: rule.approval } : {}),
      matches: compileSqlMatch(rule),
    })),
  };
}

function verdictOf(policy: CompiledPolicy, statement: StatementClassification): Verdict {
  const rule = policy.rules.find((candidate) => candidate.matches(statement));
  const approval = rule?.approval ?? policy.approval;
  let verdict: Verdict = {
    policy: policy.name,
    action: rule?.action ?? policy.defaultAction,
    mode: policy.mode,
    ...(rule ? { rule: rule.name } : {}),
    ...(rule?.message ? { message: rule.message } : {}),
    ...(approval ? { approval } : {}),
  };
  if (verdict.action === 'allow' && statement.kinds.includes('unknown')) {
    // Invariant 4: what cannot be classified is never allowed, whatever a rule says.
    verdict = { ...verdict, action: approval ? 'requireApproval' : 'deny' };
  }
  if (verdict.action === 'requireApproval' && !approval) {
    verdict = {
      ...verdict,
      action: 'deny',
      message: joinSentences(verdict.message, 'The policy names no approvers, so this cannot be approved.'),
    };
  }
  return verdict;
}

const joinSentences = (...parts: (string | undefined)[]): string => parts.filter((part) => part).join(' ');

const describe = (verdict: Verdict): string =>
  `ApprovalPolicy ${verdict.policy}${verdict.rule ? ` rule ${verdict.rule}` : ' default action'}`;

export function decide(statement: StatementClassification, policies: readonly CompiledPolicy[]): Decision {
  const verdicts = policies.map((policy) => verdictOf(policy, statement));
  const audit = verdicts.filter((verdict) => verdict.mode === 'audit');
  const enforcing = verdicts.filter((verdict) => verdict.mode === 'enforce');
  const failedClosed = statement.kinds.includes('unknown');
  if (enforcing.length === 0) {
    if (audit.length > 0) {
      return {
        action: 'allow',
        audit,
        failedClosed: false,
        reason: `audit mode: ${audit.map(describe).join(', ')} would ${audit.map((v) => v.action).join(', ')}`,
      };
    }
    return { action: 'deny', audit, failedClosed, reason: 'no ApprovalPolicy applies to this agent and target' };
  }
  let verdict = enforcing[0]!;
  for (const candidate of enforcing) if (SEVERITY[candidate.action] > SEVERITY[verdict.action]) verdict = candidate;
  const reason = joinSentences(
    verdict.action === 'allow'
      ? `allowed by ${describe(verdict)}`
      : `${verdict.action === 'deny' ? 'denied' : 'held for approval'} by ${describe(verdict)}`,
    failedClosed && verdict.action !== 'allow'
      ? `(the statement could not be classified: ${statement.unknownReason ?? 'unknown'})`
      : undefined,
    verdict.message,
  );
  return { action: verdict.action, verdict, audit, failedClosed: failedClosed && verdict.action !== 'allow', reason };
}
