/**
 * The admission policies the API server enforces itself: segregation of duties on ApprovalRequests,
 * bound to the parameters that name this install's operator (the policy is the same everywhere and
 * ships in crds/manifests; only the binding's parameter namespace and the ConfigMap differ per
 * install), and who may use the CI-mode exclusion label (exclusion-policy.ts).
 */
import { admissionParams, approvalReviewsPolicy, approvalReviewsPolicyBinding } from '@airlock/crds';
import { exclusionPolicy, exclusionPolicyBinding } from './exclusion-policy.ts';
import type { OperatorIdentity } from './rbac.ts';

/** Parameters first, then policy and binding, so applying them in order never denies for lack of parameters. */
export function admissionObjects(identity: OperatorIdentity): Record<string, unknown>[] {
  return [
    admissionParams(identity.namespace, identity.serviceAccount),
    approvalReviewsPolicy(),
    approvalReviewsPolicyBinding(identity.namespace),
    exclusionPolicy(),
    exclusionPolicyBinding(),
  ];
}
