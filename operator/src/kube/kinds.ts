/** The resources the operator reads and writes. */
import { GROUP, VERSION } from '@airlock/crds';
import type { ResourceKind } from './client.ts';

const airlock = (plural: string): ResourceKind => ({ group: GROUP, version: VERSION, plural, namespaced: true });

export const KINDS = {
  target: airlock('targets'),
  agentIdentity: airlock('agentidentities'),
  approvalPolicy: airlock('approvalpolicies'),
  approvalRequest: airlock('approvalrequests'),
  pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  secret: { group: '', version: 'v1', plural: 'secrets', namespaced: true },
  event: { group: '', version: 'v1', plural: 'events', namespaced: true },
  namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  lease: { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', namespaced: true },
  tokenReview: { group: 'authentication.k8s.io', version: 'v1', plural: 'tokenreviews', namespaced: false },
  mutatingWebhookConfiguration: {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'mutatingwebhookconfigurations',
    namespaced: false,
  },
  validatingWebhookConfiguration: {
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    plural: 'validatingwebhookconfigurations',
    namespaced: false,
  },
} as const satisfies Record<string, ResourceKind>;
