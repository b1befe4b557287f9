/**
 * What a pod's sidecar is told: pure functions of the pod, its AgentIdentity and Targets, the
 * ApprovalPolicies of the namespace and the masking keys read for them. A policy is served only
 * when it applies to this agent and one of its targets and compiles without a single rule error
 * (checkPolicy, the same check the policy reconciler reports in status), so a sidecar never runs
 * a policy that lost a rule in compilation.
 */

import type { AgentPrincipal, PolicyConfig, SidecarConfig, TargetConfig } from '@airlock/contracts/broker';
import { policiesFor } from '@airlock/contracts/policy';
import type { AgentIdentity, ApprovalPolicy, RuleError, Target } from '@airlock/crds';
import { checkPolicy, type HashKeyLookup } from '../policy/check-policy.ts';

export interface PodIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** system:serviceaccount:<namespace>:<name>. */
  readonly serviceAccount: string;
}

/** A Secret key by `<secret>/<key>`, as SidecarConfig.maskingKeys names it. */
export type HashKeys = ReadonlyMap<string, HashKeyLookup>;

export const hashKeyId = (ref: { readonly name: string; readonly key: string }): string => `${ref.name}/${ref.key}`;

export function principalFor(pod: PodIdentity, identity: AgentIdentity): AgentPrincipal {
  return {
    identity: identity.metadata.name ?? '',
    namespace: pod.namespace,
    serviceAccount: pod.serviceAccount,
    pod: { name: pod.name, uid: pod.uid },
    groups: [...(identity.spec.groups ?? [])],
    labels: { ...(identity.metadata.labels ?? {}) },
  };
}

export function targetConfig(target: Target, namespace: string): TargetConfig {
  return {
    name: target.metadata.name ?? '',
    namespace: target.metadata.namespace ?? namespace,
    labels: { ...(target.metadata.labels ?? {}) },
    spec: target.spec,
  };
}

const policyConfig = (policy: ApprovalPolicy, namespace: string): PolicyConfig => ({
  name: policy.metadata.name ?? '',
  namespace: policy.metadata.namespace ?? namespace,
  spec: policy.spec,
});

/** The namespace's policies that apply to this agent on at least one of its targets, by name. */
export function applicablePolicies(
  principal: AgentPrincipal,
  targets: readonly TargetConfig[],
  policies: readonly ApprovalPolicy[],
): ApprovalPolicy[] {
  return policies
    .filter((policy) => targets.some((target) => policiesFor([policyConfig(policy, principal.namespace)], principal, target).length > 0))
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** The masking keys the applicable policies name: what the I/O edge must read before building the config. */
export function neededHashKeys(policies: readonly ApprovalPolicy[]): { name: string; key: string }[] {
  const refs = new Map<string, { name: string; key: string }>();
  for (const policy of policies) {
    const ref = policy.spec.masking?.hashKeySecretRef;
    if (ref) refs.set(hashKeyId(ref), { name: ref.name, key: ref.key });
  }
  return [...refs.values()];
}

export interface SidecarConfigInputs {
  readonly pod: PodIdentity;
  readonly identity: AgentIdentity;
  /** The pod's targets (resolveTargets). */
  readonly targets: readonly Target[];
  /** Every ApprovalPolicy of the namespace. */
  readonly policies: readonly ApprovalPolicy[];
  readonly hashKeys: HashKeys;
}

export interface BuiltConfig {
  readonly config: SidecarConfig;
  /** Policies that apply but are not served, and why: for the log and the tests. */
  readonly withheld: readonly { readonly policy: string; readonly errors: readonly RuleError[] }[];
}

export function buildSidecarConfig(inputs: SidecarConfigInputs): BuiltConfig {
  const principal = principalFor(inputs.pod, inputs.identity);
  const targets = inputs.targets.map((target) => targetConfig(target, inputs.pod.namespace));
  const served: PolicyConfig[] = [];
  const withheld: { policy: string; errors: RuleError[] }[] = [];
  const maskingKeys: Record<string, string> = {};
  for (const policy of applicablePolicies(principal, targets, inputs.policies)) {
    const ref = policy.spec.masking?.hashKeySecretRef;
    const hashKey = ref
      ? (inputs.hashKeys.get(hashKeyId(ref)) ?? { missing: `Secret ${ref.name} key ${ref.key} was not read` })
      : undefined;
    const errors = checkPolicy(policy, hashKey);
    if (errors.length > 0) {
      withheld.push({ policy: policy.metadata.name ?? '', errors });
      continue;
    }
    served.push(policyConfig(policy, inputs.pod.namespace));
    if (ref && hashKey && 'value' in hashKey) maskingKeys[hashKeyId(ref)] = hashKey.value;
  }
  return { config: { principal, targets, policies: served, maskingKeys }, withheld };
}
