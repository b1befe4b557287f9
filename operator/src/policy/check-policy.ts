/**
 * Compiles an ApprovalPolicy the way the sidecar will, and lists every problem as a RuleError.
 * The reconciler writes them to status; the broker serves only policies with none, so a sidecar
 * never runs a policy that would have lost a rule in compilation.
 */

import { compileProblems } from '@airlock/contracts/policy';
import type { ApprovalPolicy, RuleError } from '@airlock/crds';
import type { SecretKeyLookup } from '../kube/secrets.ts';

/** The masking hash key: its value, `missing` when the Secret or key is absent, undefined when the policy needs none. */
export type HashKeyLookup = SecretKeyLookup | undefined;

export function checkPolicy(policy: ApprovalPolicy, hashKey: HashKeyLookup): RuleError[] {
  const name = policy.metadata.name ?? '';
  const ref = policy.spec.masking?.hashKeySecretRef;
  const missing = ref && hashKey && 'missing' in hashKey ? hashKey.missing : undefined;
  const key = hashKey && 'value' in hashKey ? hashKey.value : undefined;
  const problems = compileProblems({ name, namespace: policy.metadata.namespace ?? '', spec: policy.spec }, key);
  const errors: RuleError[] = problems.flatMap((p) => (p.kind === 'rules' ? [{ rule: '', field: 'rules', message: p.message }] : []));
  if (missing !== undefined) errors.push({ rule: '', field: 'masking.hashKeySecretRef', message: missing });
  for (const problem of problems) {
    if (problem.kind !== 'masking') continue;
    // Without a key every hash rule reports it; the missing Secret is already listed once.
    if (missing !== undefined && problem.field === 'strategy' && /key/i.test(problem.message)) continue;
    errors.push({ rule: problem.rule, field: `masking.rules[${problem.rule}].${problem.field}`, message: problem.message });
  }
  return errors;
}
