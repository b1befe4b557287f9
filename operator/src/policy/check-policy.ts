/**
 * Compiles an ApprovalPolicy the way the sidecar will, and lists every problem as a RuleError.
 * The reconciler writes them to status; the broker serves only policies with none, so a sidecar
 * never runs a policy that would have lost a rule in compilation.
 */
import type { ApprovalPolicy, RuleError } from '@airlock/crds';
import { compileMasking, compilePolicy } from '@airlock/sidecar';
import type { SecretKeyLookup } from '../kube/secrets.ts';

/** The masking hash key: its value, `missing` when the Secret or key is absent, undefined when the policy needs none. */
export type HashKeyLookup = SecretKeyLookup | undefined;

export function checkPolicy(policy: ApprovalPolicy, hashKey: HashKeyLookup): RuleError[] {
  const errors: RuleError[] = [];
  const name = policy.metadata.name ?? '';
  try {
    compilePolicy({ name, namespace: policy.metadata.namespace ?? '', spec: policy.spec });
  } catch (error) {
    errors.push({ rule: '', field: 'rules', message: `the rules do not compile: ${(error as Error).message}` });
  }
  const ref = policy.spec.masking?.hashKeySecretRef;
  if (ref && hashKey && 'missing' in hashKey) {
    errors.push({ rule: '', field: 'masking.hashKeySecretRef', message: hashKey.missing });
  }
  const rules = policy.spec.masking?.rules ?? [];
  if (rules.length > 0) {
    const key = hashKey && 'value' in hashKey ? hashKey.value : undefined;
    const compiled = compileMasking({ sets: [{ policyName: name, rules, ...(key !== undefined ? { hashKey: key } : {}) }] });
    for (const problem of compiled.errors) {
      // Without a key every hash rule reports it; the missing Secret is already listed once.
      if (ref && hashKey && 'missing' in hashKey && problem.field === 'strategy' && /key/i.test(problem.message)) continue;
      errors.push({ rule: problem.rule, field: `masking.rules[${problem.rule}].${problem.field}`, message: problem.message });
    }
  }
  return errors;
}
