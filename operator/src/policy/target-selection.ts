/**
 * Which Targets an ApprovalPolicy applies to: those in its namespace that its `spec.targets`
 * selects, read by the sidecar's own selector (@airlock/contracts policy/applicable.ts), which decides
 * what actually happens: an absent selector selects every Target; a selector selects a Target
 * matching any of its fields (a name it lists, all of its matchLabels, a type it lists), so a
 * selector with no field set selects none.
 */

import { targetMatches } from '@airlock/contracts/policy';
import type { ApprovalPolicy, Target, TargetSelector } from '@airlock/crds';

export function selectsTarget(selector: TargetSelector | undefined, target: Target): boolean {
  return targetMatches(selector, { name: target.metadata.name ?? '', labels: target.metadata.labels ?? {}, spec: target.spec });
}

/** The Targets among `targets` that `policy` applies to. */
export function policyTargets(policy: ApprovalPolicy, targets: readonly Target[]): Target[] {
  const namespace = policy.metadata.namespace ?? '';
  return targets.filter((target) => (target.metadata.namespace ?? '') === namespace && selectsTarget(policy.spec.targets, target));
}
