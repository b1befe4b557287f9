/**
 * What keeps an ApprovalPolicy from compiling the way the sidecar compiles it: its rules (for every
 * protocol with a matcher, targets/target-types.ts), then each masking rule's problems. Pure. The operator's policy check writes these to status (and
 * adds what only it knows, a missing hash-key Secret); airlock-policy-test reports them as input
 * errors. One place, so the two cannot judge a policy differently.
 */

import type { PolicyConfig } from '../broker/served-config.ts';
import { compileMaskingRules } from '../masking/compile.ts';
import { MATCH_SECTIONS, RULE_MATCH_COMPILERS } from '../targets/target-types.ts';
import { compilePolicy } from './decide.ts';

export type CompileProblem =
  | { readonly kind: 'rules'; readonly message: string }
  | {
      readonly kind: 'masking';
      /** The masking rule's name and its index in spec.masking.rules. */
      readonly rule: string;
      readonly index: number;
      /** The field within that masking rule. */
      readonly field: string;
      readonly message: string;
    };

export function compileProblems(policy: PolicyConfig, hashKey: string | Uint8Array | undefined): CompileProblem[] {
  const problems: CompileProblem[] = [];
  // Every protocol that has a matcher: a rule must compile for each of them, as each sidecar listener compiles it.
  for (const section of MATCH_SECTIONS) {
    const compileMatch = RULE_MATCH_COMPILERS[section];
    if (compileMatch === undefined) continue;
    try {
      compilePolicy(policy, compileMatch);
    } catch (error) {
      const message = `the rules do not compile: ${(error as Error).message}`;
      if (!problems.some((problem) => problem.message === message)) problems.push({ kind: 'rules', message });
    }
  }
  const rules = policy.spec.masking?.rules ?? [];
  if (rules.length === 0) return problems;
  const { errors } = compileMaskingRules({ sets: [{ policyName: policy.name, rules, ...(hashKey !== undefined ? { hashKey } : {}) }] });
  for (const error of errors) {
    problems.push({
      kind: 'masking',
      rule: error.rule,
      index: rules.findIndex((rule) => rule.name === error.rule),
      field: error.field,
      message: error.message,
    });
  }
  return problems;
}
