/**
 * Reconciles ApprovalPolicies: compiles every rule the way the sidecar will (check-policy.ts) and
 * writes the problems to status.ruleErrors. The broker serves only policies without errors, so a
 * sidecar never runs a policy that lost a rule in compilation.
 */
import type { ApprovalPolicy, ApprovalPolicyStatus } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import { findCondition, setCondition } from '../kube/conditions.ts';
import type { ReconcileFunction } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { splitObjectKey } from '../kube/object-key.ts';
import { readSecretKey } from '../kube/secrets.ts';
import { writeStatusIfChanged } from '../kube/status-writer.ts';
import { checkPolicy, type HashKeyLookup } from '../policy/check-policy.ts';

export interface PolicyReconcilerDeps {
  readonly client: KubeClient;
  readonly policies: Informer<ApprovalPolicy>;
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
    const generation = policy.metadata.generation ?? 1;
    const before = findCondition(policy.status?.conditions, 'Ready');
    const ready = ruleErrors.length === 0;
    const message = ready
      ? 'Every rule compiled; the policy is served to sidecars.'
      : `${ruleErrors.length} rule error${ruleErrors.length === 1 ? '' : 's'}; sidecars do not receive this policy until they are fixed: ${ruleErrors
          .slice(0, 3)
          .map((e) => `${e.rule ? `${e.rule}: ` : ''}${e.field}: ${e.message}`)
          .join('; ')}`;
    const status: ApprovalPolicyStatus = {
      ...policy.status,
      observedGeneration: generation,
      ruleErrors,
      conditions: setCondition(
        policy.status?.conditions,
        { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'Compiled' : 'RuleErrors', message },
        generation,
        clock(),
      ),
    };
    if (ruleErrors.length === 0) delete status.ruleErrors;
    const written = await writeStatusIfChanged(deps.client, KINDS.approvalPolicy, policy, status);
    if (written === 'written' && !ready && (before?.status !== 'False' || before.message !== message)) {
      deps.events.record(policy, 'Warning', 'PolicyInvalid', message);
    }
    // A missing hash-key Secret may appear; Secrets are not watched (get only), so look again.
    return hashKey && 'missing' in hashKey ? { requeueAfterMs: deps.recheckMs ?? 30_000 } : undefined;
  };
}
