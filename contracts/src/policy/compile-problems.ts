/**
 * What keeps an ApprovalPolicy from compiling the way the sidecar compiles it: its rules, then
 * each masking rule's problems. Pure. The operator's policy check writes these to status (and
 * adds what only it knows, a missing hash-key Secret); airlock-policy-test reports them as input
 * errors. One place, so the two cannot judge a policy differently.
 */

import type { PolicyConfig } from '../broker/served-config.ts';
import { compileMaskingRules } from '../masking/compile.ts';
import { compilePolicy } from './decide.ts';
import { compileSqlMatch } from './sql-match.ts';

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
  try {
    compilePolicy(policy, compileSqlMatch);
  } catch (error) {
    problems.push({ kind: 'rules', message: `the rules do not compile: ${(error as Error).message}` });
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
