/**
 * What an authenticated pod may reach: its AgentIdentity and Targets, resolved from the informer
 * caches with the same pure functions the injection webhook uses, and its sidecar config.
 */
import type { AgentIdentity, Target } from '@airlock/crds';
import type { Catalog } from '../catalog.ts';
import { allPodIdentities, type PodFacts, podFacts, resolvePodIdentities, resolveTargets } from '../identity/resolve-identity.ts';
import type { KubeClient } from '../kube/client.ts';
import { BrokerHttpError } from './http-io.ts';
import type { AuthenticatedPod, PodObject } from './pod-authenticator.ts';
import { readSecretKey } from './secrets.ts';
import {
  applicablePolicies,
  type BuiltConfig,
  buildSidecarConfig,
  hashKeyId,
  neededHashKeys,
  podPrincipals,
  targetConfig,
} from './sidecar-config.ts';

export interface PodAccess {
  readonly facts: PodFacts;
  /** Who sessions without a token are; absent when every identity selecting the pod requires a token. */
  readonly identity?: AgentIdentity;
  /** Identities with spec.oidc that select the pod: the ones a presented token may map to. */
  readonly tokenIdentities: readonly AgentIdentity[];
  /** Every Target the pod's sidecar serves (its identities' together, or the annotation's subset). */
  readonly targets: readonly Target[];
}

/** Throws BrokerHttpError: NoIdentity when no AgentIdentity selects the pod (or its own is ambiguous), Forbidden when its targets do not resolve. */
export function podAccess(catalog: Catalog, pod: AuthenticatedPod, object: PodObject = pod.object): PodAccess {
  const facts = podFacts(object, pod.namespace);
  const identities = resolvePodIdentities(facts, catalog.identities(pod.namespace));
  if (!identities.ok) throw new BrokerHttpError('NoIdentity', identities.message);
  const targets = resolveTargets(facts, identities.value, catalog.targets(pod.namespace));
  if (!targets.ok) throw new BrokerHttpError('Forbidden', targets.message);
  const { own, token } = identities.value;
  return { facts, ...(own ? { identity: own } : {}), tokenIdentities: token, targets: targets.value };
}

/** The names of the pod's Targets that `identity` may use: a session of that identity is held to these. */
export function targetsOf(access: PodAccess, identity: AgentIdentity): string[] {
  return access.targets.map((target) => target.metadata.name ?? '').filter((name) => identity.spec.targets.includes(name));
}

/** The pod's own identity, or a refusal that says the agent must present a token. */
export function ownIdentity(access: PodAccess): AgentIdentity {
  if (access.identity) return access.identity;
  throw new BrokerHttpError(
    'NoIdentity',
    `every AgentIdentity that selects this pod (${allPodIdentities({ token: access.tokenIdentities })
      .map((i) => i.metadata.name)
      .join(', ')}) has oidc.required: the agent must present its token`,
  );
}

/** The pod's sidecar config; reads the masking keys the applicable policies name. */
export async function podConfig(
  client: KubeClient,
  catalog: Catalog,
  pod: AuthenticatedPod,
  object: PodObject = pod.object,
): Promise<BuiltConfig> {
  const access = podAccess(catalog, pod, object);
  const policies = catalog.policies(pod.namespace);
  const inputs = {
    pod,
    ...(access.identity ? { identity: access.identity } : {}),
    tokenIdentities: access.tokenIdentities,
    targets: access.targets,
  };
  const applicable = applicablePolicies(
    podPrincipals(inputs).all,
    access.targets.map((target) => targetConfig(target, pod.namespace)),
    policies,
  );
  const hashKeys = new Map(
    await Promise.all(
      neededHashKeys(applicable).map(async (ref) => [hashKeyId(ref), await readSecretKey(client, pod.namespace, ref)] as const),
    ),
  );
  return buildSidecarConfig({ ...inputs, policies, hashKeys });
}
