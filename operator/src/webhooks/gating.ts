/**
 * Which pods the webhooks act on. Two namespace modes (the namespace label airlock.dev/injection,
 * read by the webhook configurations' namespaceSelectors; the operator learns the mode from the
 * path the API server called, never by reading the Namespace):
 *
 * - `pod` (injection=enabled): pods labeled airlock.dev/inject=true are agents.
 * - `namespace` (injection=all, CI mode): every pod is an agent unless labeled
 *   airlock.dev/inject=false; the mutating webhook adds airlock.dev/inject=true to the pod.
 *
 * So downstream — validation, the broker's pod informer — an agent pod is one labeled inject=true,
 * in either mode. Two namespaces are never touched.
 */

import { INJECTION_ALL, LABEL_ENABLED, LABELS } from '@airlock/contracts/install';
import type { V1Pod } from '@kubernetes/client-node';

export type InjectionMode = 'pod' | 'namespace';

/**
 * kube-system, and the operator's own namespace: the operator must be able to start while its
 * webhook is down (failurePolicy Fail would otherwise lock it out for good).
 */
export const isExcludedNamespace = (namespace: string, operatorNamespace: string): boolean =>
  namespace === 'kube-system' || namespace === operatorNamespace;

/** The namespace label is checked by the webhook configuration's namespaceSelector, not here. */
export const isGated = (pod: V1Pod | undefined): boolean => pod?.metadata?.labels?.[LABELS.podInject] === LABEL_ENABLED.pod;

/** What the pod's own inject label says in a namespace of the given mode. */
export type PodSelection =
  | { readonly kind: 'agent'; readonly labeled: boolean }
  | { readonly kind: 'not-agent'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly message: string };

export function selectPod(pod: V1Pod, mode: InjectionMode): PodSelection {
  const value = pod.metadata?.labels?.[LABELS.podInject];
  if (value === LABEL_ENABLED.pod) return { kind: 'agent', labeled: true };
  if (mode === 'pod') return { kind: 'not-agent', reason: `pod is not labeled ${LABELS.podInject}=${LABEL_ENABLED.pod}` };
  if (value === undefined) return { kind: 'agent', labeled: false };
  if (value === INJECTION_ALL.podExcluded) {
    return { kind: 'not-agent', reason: `pod is labeled ${LABELS.podInject}=${INJECTION_ALL.podExcluded}` };
  }
  // Neither yes nor no: guessing either way would surprise someone, so the pod is refused.
  return {
    kind: 'invalid',
    message: `label ${LABELS.podInject}=${value} means nothing: in a namespace labeled ${LABELS.namespaceInjection}=${INJECTION_ALL.namespace} every pod is an agent unless labeled ${LABELS.podInject}=${INJECTION_ALL.podExcluded}; remove the label, or set it to ${LABEL_ENABLED.pod} or ${INJECTION_ALL.podExcluded}`,
  };
}
