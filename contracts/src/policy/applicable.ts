/**
 * Which ApprovalPolicies apply to a session: same namespace as the target, and each selector that
 * is set matches on any of its fields (an absent selector selects everything in the namespace).
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

export function policiesFor(policies: readonly PolicyConfig[], principal: AgentPrincipal, target: TargetConfig): PolicyConfig[] {
  return policies
    .filter(
      (policy) =>
        policy.namespace === target.namespace &&
        identityMatches(policy.spec.identities, principal) &&
        targetMatches(policy.spec.targets, target),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
}
