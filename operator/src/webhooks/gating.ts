/** Which pods the webhooks act on: the pod label opts in; two namespaces are never touched. */

import { LABEL_ENABLED, LABELS } from '@airlock/contracts/install';
import type { V1Pod } from '@kubernetes/client-node';

/**
 * kube-system, and the operator's own namespace: the operator must be able to start while its
 * webhook is down (failurePolicy Fail would otherwise lock it out for good).
 */
export const isExcludedNamespace = (namespace: string, operatorNamespace: string): boolean =>
  namespace === 'kube-system' || namespace === operatorNamespace;

/** The namespace label is checked by the webhook configuration's namespaceSelector, not here. */
export const isGated = (pod: V1Pod | undefined): boolean => pod?.metadata?.labels?.[LABELS.podInject] === LABEL_ENABLED.pod;
