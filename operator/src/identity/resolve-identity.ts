/**
 * Which AgentIdentity a pod is, and which Targets it reaches: pure functions of the pod and the
 * objects in its namespace, shared by the webhook (what to inject) and the broker (what to serve).
 */

import { ANNOTATIONS } from '@airlock/contracts/install';
import type { AgentIdentity, Target } from '@airlock/crds';

export interface PodFacts {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export type Resolution<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly code: ResolveErrorCode; readonly message: string };
export type ResolveErrorCode = 'NoIdentity' | 'AmbiguousIdentity' | 'IdentityMismatch' | 'UnknownTarget' | 'TargetNotAllowed' | 'PortClash';

const fail = (code: ResolveErrorCode, message: string) => ({ ok: false, code, message }) as const;

export function podFacts(
  pod: {
    metadata?: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: { serviceAccountName?: string };
  },
  namespace?: string,
): PodFacts {
  return {
    namespace: pod.metadata?.namespace ?? namespace ?? 'default',
    serviceAccountName: pod.spec?.serviceAccountName || 'default',
    labels: pod.metadata?.labels ?? {},
    annotations: pod.metadata?.annotations ?? {},
  };
}

function selects(identity: AgentIdentity, pod: PodFacts): boolean {
  if (identity.metadata.namespace !== undefined && identity.metadata.namespace !== pod.namespace) return false;
  if (identity.spec.serviceAccountName !== pod.serviceAccountName) return false;
  return Object.entries(identity.spec.podSelector ?? {}).every(([key, value]) => pod.labels[key] === value);
}

export function resolveIdentity(pod: PodFacts, identities: readonly AgentIdentity[]): Resolution<AgentIdentity> {
  const matching = identities.filter((identity) => selects(identity, pod));
  const named = pod.annotations[ANNOTATIONS.identity];
  if (named) {
    const found = matching.find((identity) => identity.metadata.name === named);
    if (found) return { ok: true, value: found };
    return fail(
      'IdentityMismatch',
      `annotation ${ANNOTATIONS.identity}=${named} names no AgentIdentity in namespace ${pod.namespace} that selects service account ${pod.serviceAccountName} and the pod's labels`,
    );
  }
  if (matching.length === 1) return { ok: true, value: matching[0]! };
  if (matching.length === 0) {
    return fail(
      'NoIdentity',
      `no AgentIdentity in namespace ${pod.namespace} selects service account ${pod.serviceAccountName}: create one with spec.serviceAccountName: ${pod.serviceAccountName}`,
    );
  }
  return fail(
    'AmbiguousIdentity',
    `AgentIdentities ${matching
      .map((i) => i.metadata.name)
      .sort()
      .join(', ')} all select this pod: set annotation ${ANNOTATIONS.identity} to one of them`,
  );
}

/** The Targets a pod of `identity` reaches: the annotation's subset, or all of the identity's. */
export function resolveTargets(pod: PodFacts, identity: AgentIdentity, targets: readonly Target[]): Resolution<Target[]> {
  const allowed = identity.spec.targets;
  const annotation = pod.annotations[ANNOTATIONS.targets];
  const wanted = annotation
    ? annotation
        .split(',')
        .map((name) => name.trim())
        .filter(Boolean)
    : [...allowed];
  const notAllowed = wanted.filter((name) => !allowed.includes(name));
  if (notAllowed.length > 0) {
    return fail(
      'TargetNotAllowed',
      `annotation ${ANNOTATIONS.targets} names ${notAllowed.join(', ')}, which AgentIdentity ${identity.metadata.name} may not use (it may use ${allowed.join(', ')})`,
    );
  }
  const byName = new Map<string, Target>(
    targets
      .filter((t) => t.metadata.namespace === undefined || t.metadata.namespace === pod.namespace)
      .map((t): [string, Target] => [t.metadata.name ?? '', t]),
  );
  const missing = wanted.filter((name) => !byName.has(name));
  if (missing.length > 0) {
    return fail('UnknownTarget', `Target ${missing.join(', ')} does not exist in namespace ${pod.namespace}`);
  }
  const resolved = [...new Set(wanted)].map((name) => byName.get(name)!);
  const ports = new Map<number, string>();
  for (const target of resolved) {
    const clash = ports.get(target.spec.localPort);
    if (clash) return fail('PortClash', `Targets ${clash} and ${target.metadata.name} both use localPort ${target.spec.localPort}`);
    ports.set(target.spec.localPort, target.metadata.name ?? '');
  }
  return { ok: true, value: resolved };
}
