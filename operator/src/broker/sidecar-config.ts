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

/** The pod as `identity`; `targets`: the names of the pod's Targets that identity may use. */
export function principalFor(pod: PodIdentity, identity: AgentIdentity, targets: readonly string[]): AgentPrincipal {
  return {
    identity: identity.metadata.name ?? '',
    namespace: pod.namespace,
    serviceAccount: pod.serviceAccount,
    pod: { name: pod.name, uid: pod.uid },
    groups: [...(identity.spec.groups ?? [])],
    labels: { ...(identity.metadata.labels ?? {}) },
    targets: [...targets],
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

/** The namespace's policies that apply to one of these agents on at least one of its targets, by name. */
export function applicablePolicies(
  principals: readonly AgentPrincipal[],
  targets: readonly TargetConfig[],
  policies: readonly ApprovalPolicy[],
): ApprovalPolicy[] {
  // Decided over the whole set, as the sidecar decides: whether one policy applies may depend on
  // the others (a sub-agent gets depth policies only beside one for every depth).
  const applying = new Set<string>();
  const namespace = principals[0]?.namespace ?? '';
  const configs = policies.map((policy) => policyConfig(policy, namespace));
  for (const principal of principals) {
    for (const target of targets) {
      if (!(principal.targets?.includes(target.name) ?? true)) continue;
      for (const policy of policiesFor(configs, principal, target)) applying.add(policy.name);
    }
  }
  return policies
    .filter((policy) => applying.has(policy.metadata.name ?? ''))
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
  /** The pod's own identity (sessions without a token); absent when every identity selecting it requires a token. */
  readonly identity?: AgentIdentity;
  /** Identities with spec.oidc that select the pod: sessions presenting a token may be one of these. */
  readonly tokenIdentities: readonly AgentIdentity[];
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

/** Every principal a session of the pod may be, as far as the pod decides it: its own, and one per token identity (without what a token adds). */
export function podPrincipals(inputs: Pick<SidecarConfigInputs, 'pod' | 'identity' | 'tokenIdentities' | 'targets'>): {
  readonly own?: AgentPrincipal;
  readonly all: readonly AgentPrincipal[];
} {
  const reachable = (identity: AgentIdentity) =>
    inputs.targets.map((target) => target.metadata.name ?? '').filter((name) => identity.spec.targets.includes(name));
  const own = inputs.identity ? principalFor(inputs.pod, inputs.identity, reachable(inputs.identity)) : undefined;
  const token = inputs.tokenIdentities
    .filter((identity) => identity !== inputs.identity)
    .map((identity) => principalFor(inputs.pod, identity, reachable(identity)));
  const undelegated = own ? [own, ...token] : token;
  // Sub-agents of an identity that may delegate are that identity at depths 1..maxDepth: the
  // policies for those depths must be served too (their names in the chain do not matter here).
  const identities = [...(inputs.identity ? [inputs.identity] : []), ...inputs.tokenIdentities];
  const delegated = undelegated.flatMap((principal) => {
    const maxDepth = identities.find((identity) => identity.metadata.name === principal.identity)?.spec.delegation?.maxDepth ?? 0;
    return Array.from({ length: maxDepth }, (_, index) => ({
      ...principal,
      delegation: { depth: index + 1, chain: Array.from({ length: index + 1 }, () => 'sub-agent') },
    }));
  });
  return { ...(own ? { own } : {}), all: [...undelegated, ...delegated] };
}

export function buildSidecarConfig(inputs: SidecarConfigInputs): BuiltConfig {
  const principals = podPrincipals(inputs);
  const principal = principals.own;
  const targets = inputs.targets.map((target) => targetConfig(target, inputs.pod.namespace));
  const tokenTargets = [
    ...new Set(
      inputs.tokenIdentities.flatMap((identity) => targets.map((t) => t.name).filter((name) => identity.spec.targets.includes(name))),
    ),
  ].sort();
  const served: PolicyConfig[] = [];
  const withheld: { policy: string; errors: RuleError[] }[] = [];
  const maskingKeys: Record<string, string> = {};
  for (const policy of applicablePolicies(principals.all, targets, inputs.policies)) {
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
  return {
    config: {
      ...(principal ? { principal } : {}),
      ...(tokenTargets.length > 0 ? { tokenTargets } : {}),
      targets,
      policies: served,
      maskingKeys,
    },
    withheld,
  };
}
