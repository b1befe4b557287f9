/**
 * Which ApprovalPolicies apply to a session: same namespace as the target, each selector that is
 * set matches on any of its fields (an absent selector selects everything in the namespace), and
 * the session's delegation depth is within the policy's `delegationDepth`.
 */
import type { IdentitySelector, TargetSelector } from '@airlock/crds';
import type { AgentPrincipal, PolicyConfig, TargetConfig } from '../broker/served-config.ts';

const labelsMatch = (want: Readonly<Record<string, string>> | undefined, have: Readonly<Record<string, string>> | undefined): boolean =>
  want !== undefined && Object.keys(want).length > 0 && Object.entries(want).every(([key, value]) => have?.[key] === value);

function identityMatches(selector: IdentitySelector | undefined, principal: AgentPrincipal): boolean {
  if (selector === undefined) return true;
  return (
    (selector.names?.includes(principal.identity) ?? false) ||
    labelsMatch(selector.matchLabels, principal.labels) ||
    (selector.groups?.some((group) => principal.groups.includes(group)) ?? false)
  );
}

/** Whether a policy's `spec.targets` selects the Target; the operator's policy warnings use the same reading. */
export function targetMatches(selector: TargetSelector | undefined, target: Pick<TargetConfig, 'name' | 'labels' | 'spec'>): boolean {
  if (selector === undefined) return true;
  return (
    (selector.names?.includes(target.name) ?? false) ||
    labelsMatch(selector.matchLabels, target.labels) ||
    (selector.types?.includes(target.spec.type) ?? false)
  );
}

/** Whether a policy's `spec.delegationDepth` admits the principal's depth (0 when it was not delegated to). */
export function depthMatches(range: { readonly min?: number; readonly max?: number } | undefined, principal: AgentPrincipal): boolean {
  const depth = principal.delegation?.depth ?? 0;
  return (range?.min ?? 0) <= depth && depth <= (range?.max ?? Number.POSITIVE_INFINITY);
}

export function policiesFor(policies: readonly PolicyConfig[], principal: AgentPrincipal, target: TargetConfig): PolicyConfig[] {
  return policies
    .filter(
      (policy) =>
        policy.namespace === target.namespace &&
        identityMatches(policy.spec.identities, principal) &&
        depthMatches(policy.spec.delegationDepth, principal) &&
        targetMatches(policy.spec.targets, target),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}
