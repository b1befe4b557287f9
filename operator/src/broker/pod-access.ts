/**
 * What an authenticated pod may reach: its AgentIdentity and Targets, resolved from the informer
 * caches with the same pure functions the injection webhook uses, and its sidecar config.
 */
import type { AgentIdentity, Target } from '@airlock/crds';
import type { Catalog } from '../catalog.ts';
import { podFacts, resolveIdentity, resolveTargets } from '../identity/resolve-identity.ts';
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
  principalFor,
  targetConfig,
} from './sidecar-config.ts';

export interface PodAccess {
  readonly identity: AgentIdentity;
  readonly targets: readonly Target[];
}

/** Throws BrokerHttpError: NoIdentity when no single AgentIdentity selects the pod, Forbidden when its targets do not resolve. */
export function podAccess(catalog: Catalog, pod: AuthenticatedPod, object: PodObject = pod.object): PodAccess {
  const facts = podFacts(object, pod.namespace);
  const identity = resolveIdentity(facts, catalog.identities(pod.namespace));
  if (!identity.ok) throw new BrokerHttpError('NoIdentity', identity.message);
  const targets = resolveTargets(facts, identity.value, catalog.targets(pod.namespace));
  if (!targets.ok) throw new BrokerHttpError('Forbidden', targets.message);
  return { identity: identity.value, targets: targets.value };
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
  const principal = principalFor(pod, access.identity);
  const applicable = applicablePolicies(
    principal,
    access.targets.map((target) => targetConfig(target, pod.namespace)),
    policies,
  );
  const hashKeys = new Map(
    await Promise.all(
      neededHashKeys(applicable).map(async (ref) => [hashKeyId(ref), await readSecretKey(client, pod.namespace, ref)] as const),
    ),
  );
  return buildSidecarConfig({ pod, identity: access.identity, targets: access.targets, policies, hashKeys });
}
