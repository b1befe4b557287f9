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

/** Whether `identity` may be used from this pod: same namespace, its service account, every podSelector label. */
export function selectsPod(identity: AgentIdentity, pod: PodFacts): boolean {
  if (identity.metadata.namespace !== undefined && identity.metadata.namespace !== pod.namespace) return false;
  if (identity.spec.serviceAccountName !== pod.serviceAccountName) return false;
  return Object.entries(identity.spec.podSelector ?? {}).every(([key, value]) => pod.labels[key] === value);
}

/** An identity with `oidc.required` is never a pod's identity without a token. */
const needsToken = (identity: AgentIdentity): boolean => identity.spec.oidc?.required === true;

/** Who a pod's sessions may be: its own identity (no token), and the identities a token may map to. */
export interface PodIdentities {
  /** Sessions that present no token are this identity. Absent when every identity selecting the pod requires a token. */
  readonly own?: AgentIdentity;
  /** Identities with spec.oidc that select the pod: a token is accepted from it only for one of these. May include `own`. */
  readonly token: readonly AgentIdentity[];
}

const names = (identities: readonly AgentIdentity[]): string =>
  identities
    .map((i) => i.metadata.name ?? '')
    .sort()
    .join(', ');

/**
 * The identities a pod may be. Its own identity: the one identity without `oidc.required` that
 * selects it, or the one the airlock.dev/identity annotation names among those. Token identities:
 * every selecting identity with `spec.oidc`. Refused when neither exists, or when the own identity
 * is ambiguous (rule order must not decide who an agent is).
 */
export function resolvePodIdentities(pod: PodFacts, identities: readonly AgentIdentity[]): Resolution<PodIdentities> {
  const matching = identities.filter((identity) => selectsPod(identity, pod));
  const ownCandidates = matching.filter((identity) => !needsToken(identity));
  const token = matching.filter((identity) => identity.spec.oidc !== undefined);
  const named = pod.annotations[ANNOTATIONS.identity];
  if (named) {
    const found = ownCandidates.find((identity) => identity.metadata.name === named);
    if (found) return { ok: true, value: { own: found, token } };
    const tokenOnly = matching.some((identity) => identity.metadata.name === named);
    return fail(
      'IdentityMismatch',
      tokenOnly
        ? `annotation ${ANNOTATIONS.identity}=${named} names an AgentIdentity with oidc.required: it is never a pod's identity without a token; remove the annotation and present the token instead`
        : `annotation ${ANNOTATIONS.identity}=${named} names no AgentIdentity in namespace ${pod.namespace} that selects service account ${pod.serviceAccountName} and the pod's labels`,
    );
  }
  if (ownCandidates.length > 1) {
    return fail(
      'AmbiguousIdentity',
      `AgentIdentities ${names(ownCandidates)} all select this pod: set annotation ${ANNOTATIONS.identity} to one of them, or set oidc.required on the ones that are meant to be used only with a token`,
    );
  }
  if (ownCandidates.length === 0 && token.length === 0) {
    return fail(
      'NoIdentity',
      `no AgentIdentity in namespace ${pod.namespace} selects service account ${pod.serviceAccountName}: create one with spec.serviceAccountName: ${pod.serviceAccountName}`,
    );
  }
  return { ok: true, value: ownCandidates.length === 1 ? { own: ownCandidates[0]!, token } : { token } };
}

/** Every identity of the pod, its own first, each once. */
export function allPodIdentities(identities: PodIdentities): AgentIdentity[] {
  const all = identities.own ? [identities.own] : [];
  for (const identity of identities.token) if (!all.includes(identity)) all.push(identity);
  return all;
}

/**
 * The Targets a pod's sidecar serves: the airlock.dev/targets annotation's subset, or every Target
 * of every identity the pod may be (its own and its token identities; each session is then held to
 * its own identity's). Their ports must not clash.
 */
export function resolveTargets(pod: PodFacts, identities: PodIdentities, targets: readonly Target[]): Resolution<Target[]> {
  const all = allPodIdentities(identities);
  const allowed = [...new Set(all.flatMap((identity) => identity.spec.targets))];
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
      `annotation ${ANNOTATIONS.targets} names ${notAllowed.join(', ')}, which no AgentIdentity of this pod (${names(all)}) may use (they may use ${allowed.join(', ')})`,
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
