/**
 * Reconciles ApprovalPolicies: compiles every rule the way the sidecar will (check-policy.ts) and
 * writes the problems to status.ruleErrors. The broker serves only policies without errors, so a
 * sidecar never runs a policy that lost a rule in compilation. It also lists what the policy does
 * that its author may not intend (policy-warnings.ts) in status.warnings, which needs the Targets
 * of the namespace: the operator requeues a namespace's policies when its Targets change.
 */
import type { ApprovalPolicy, Target } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import type { ReconcileFunction } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { splitObjectKey } from '../kube/object-key.ts';
import { readSecretKey } from '../kube/secrets.ts';
import { writeStatusReport } from '../kube/status-report.ts';
import { checkPolicy, type HashKeyLookup } from '../policy/check-policy.ts';
import { planPolicyStatus } from '../policy/policy-status.ts';
import { policyWarnings } from '../policy/policy-warnings.ts';

export interface PolicyReconcilerDeps {
  readonly client: KubeClient;
  readonly policies: Informer<ApprovalPolicy>;
  /** The Targets a policy's rules are checked against (status.warnings). */
  readonly targets: Informer<Target>;
  readonly events: EventRecorder;
  /** A policy whose hash key Secret is missing is looked at again after this long. */
  readonly recheckMs?: number;
  readonly clock?: () => Date;
}

export async function hashKeyFor(client: KubeClient, policy: ApprovalPolicy): Promise<HashKeyLookup> {
  const ref = policy.spec.masking?.hashKeySecretRef;
  if (!ref) return undefined;
  return readSecretKey(client, policy.metadata.namespace ?? '', ref);
}

export function policyReconciler(deps: PolicyReconcilerDeps): ReconcileFunction {
  const clock = deps.clock ?? (() => new Date());
  return async (key) => {
    const { namespace = '', name } = splitObjectKey(key);
    const policy = deps.policies.get(namespace, name);
    if (!policy) return;
    const hashKey = await hashKeyFor(deps.client, policy);
    const ruleErrors = checkPolicy(policy, hashKey);
    const warnings = policyWarnings(policy, deps.targets.list(namespace));
    const plan = planPolicyStatus(policy, ruleErrors, warnings, clock());
    await writeStatusReport(deps, KINDS.approvalPolicy, policy, plan);
    // A missing hash-key Secret may appear; Secrets are not watched (get only), so look again.
    return hashKey && 'missing' in hashKey ? { requeueAfterMs: deps.recheckMs ?? 30_000 } : undefined;
  };
}

/**
 * Policies to look at again when a Target changes: all of its namespace's. Not only those that
 * select it now: a Target whose labels or type changed may have left a policy's selection.
 */
export function policiesInNamespaceOf(policies: Informer<ApprovalPolicy>, target: Target): string[] {
  const namespace = target.metadata.namespace ?? '';
  return policies.list(namespace).map((policy) => `${namespace}/${policy.metadata.name}`);
}
