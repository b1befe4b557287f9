/**
 * The one place an operation is decided, for every protocol. Pure: compiled policies and an
 * operation's facts in, a decision out (docs/adr/0011-allow-covers-every-facet.md).
 *
 * Within a policy the strictest matching rule decides: a deny rule that matches any facet of the
 * statement, else a requireApproval rule that does, else an allow rule that covers every facet,
 * else the default action. Among rules of the same action the first in order is the one named
 * (and whose approval settings apply). So rule order never loosens a decision: appending a deny
 * rule at the end of a policy works, and an allow rule cannot shadow a later deny.
 *
 * Across the policies that apply, the strictest enforcing decision wins (deny > requireApproval >
 * allow). Policies in audit mode are evaluated and reported but never change what happens.
 */
import type { ApprovalSettings } from '@airlock/crds';
import type { PolicyConfig } from '../broker/served-config.ts';
import type { FacetMatch, Uncovered } from './facet-match.ts';
import type { OperationFacts, RuleMatchCompiler } from './operation.ts';

export type Action = 'allow' | 'deny' | 'requireApproval';

interface CompiledRule<F extends OperationFacts> {
  readonly name: string;
  readonly action: Action;
  readonly message?: string;
  readonly approval?: ApprovalSettings;
  readonly match: FacetMatch<F>;
}

export interface CompiledPolicy<F extends OperationFacts> {
  readonly name: string;
  readonly mode: 'enforce' | 'audit';
  readonly rules: readonly CompiledRule<F>[];
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
  /**
   * When the default action decided: the first allow rule that covers part of the statement but
   * not all of it, and what it does not list. Tells the author and the agent why a rule that
   * looks like it applies did not.
   */
  readonly uncovered?: { readonly rule: string } & Uncovered;
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

/** Compiles a policy's rules for one protocol: `compileMatch` reads each rule's match for that protocol's facts. */
export function compilePolicy<F extends OperationFacts>(policy: PolicyConfig, compileMatch: RuleMatchCompiler<F>): CompiledPolicy<F> {
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
      match: compileMatch(rule),
    })),
  };
}

/** The first rule of each action that matches; the strictest of them decides. */
function decidingRule<F extends OperationFacts>(policy: CompiledPolicy<F>, statement: F): CompiledRule<F> | undefined {
  let found: CompiledRule<F> | undefined;
  for (const rule of policy.rules) {
    if (found !== undefined && SEVERITY[rule.action] <= SEVERITY[found.action]) continue;
    if (!rule.match.matches(statement)) continue;
    found = rule;
    if (rule.action === 'deny') break;
  }
  return found;
}

function nearMiss<F extends OperationFacts>(policy: CompiledPolicy<F>, statement: F): Verdict['uncovered'] {
  for (const rule of policy.rules) {
    const uncovered = rule.action === 'allow' ? rule.match.uncovered(statement) : undefined;
    if (uncovered !== undefined) return { rule: rule.name, ...uncovered };
  }
  return undefined;
}

function verdictOf<F extends OperationFacts>(policy: CompiledPolicy<F>, statement: F): Verdict {
  const rule = decidingRule(policy, statement);
  const approval = rule?.approval ?? policy.approval;
  const uncovered = rule === undefined ? nearMiss(policy, statement) : undefined;
  let verdict: Verdict = {
    policy: policy.name,
    action: rule?.action ?? policy.defaultAction,
    mode: policy.mode,
    ...(rule ? { rule: rule.name } : {}),
    ...(rule?.message ? { message: rule.message } : {}),
    ...(approval ? { approval } : {}),
    ...(uncovered ? { uncovered } : {}),
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

/** "rule reads does not list kind write", when an allow rule nearly covered the statement. */
const nearMissSentence = (verdict: Verdict): string | undefined =>
  verdict.uncovered && verdict.action !== 'allow'
    ? `(rule ${verdict.uncovered.rule} does not allow ${verdict.uncovered.facet} ${verdict.uncovered.values.join(', ')})`
    : undefined;

export function decide<F extends OperationFacts>(statement: F, policies: readonly CompiledPolicy<F>[]): Decision {
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
    nearMissSentence(verdict),
    verdict.message,
  );
  return { action: verdict.action, verdict, audit, failedClosed: failedClosed && verdict.action !== 'allow', reason };
}

/**
 * The decision for a message of several statements, each decided on its own: the first deny,
 * else the first hold, else the first allow. An empty message is allowed (PostgreSQL runs nothing).
 */
export function strictestDecision(decisions: readonly Decision[]): Decision {
  return (
    decisions.find((d) => d.action === 'deny') ??
    decisions.find((d) => d.action === 'requireApproval') ??
    decisions[0] ?? { action: 'allow', audit: [], failedClosed: false, reason: 'empty query' }
  );
}
