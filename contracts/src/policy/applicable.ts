/**
 * Which ApprovalPolicies apply to a session: same namespace as the target, each selector that is
 * set matches on any of its fields (an absent selector selects everything in the namespace), and
 * the session's delegation depth is at least the policy's `delegationDepth.min`.
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
export function depthMatches(range: { readonly min?: number } | undefined, principal: AgentPrincipal): boolean {
  return (range?.min ?? 0) <= (principal.delegation?.depth ?? 0);
}

const forEveryDepth = (policy: PolicyConfig): boolean => (policy.spec.delegationDepth?.min ?? 0) === 0;

export function policiesFor(policies: readonly PolicyConfig[], principal: AgentPrincipal, target: TargetConfig): PolicyConfig[] {
  const applicable = policies
    .filter(
      (policy) =>
        policy.namespace === target.namespace &&
        identityMatches(policy.spec.identities, principal) &&
        depthMatches(policy.spec.delegationDepth, principal) &&
        targetMatches(policy.spec.targets, target),
    )
    .sort((a, b) => a.name.localeCompare(b.name));
  // A sub-agent is decided by every policy its parent is, and possibly more: with the strictest
  // decision winning it can never be allowed what its parent is not. The one exception would be a
  // parent no policy applies to (denied everything) and a sub-agent only depth policies apply to;
  // so a sub-agent gets no policy at all, and is denied, unless one for every depth applies.
  return principal.delegation !== undefined && !applicable.some(forEveryDepth) ? [] : applicable;
}
