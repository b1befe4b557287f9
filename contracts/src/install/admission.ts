/**
 * The admission policy that enforces segregation of duties on ApprovalRequests, bound to the
 * parameters that name this install's operator. The policy itself is the same everywhere (it ships
 * in crds/manifests); only the binding's parameter namespace and the ConfigMap differ per install.
 */
import { admissionParams, approvalReviewsPolicy, approvalReviewsPolicyBinding } from '@airlock/crds';
import type { OperatorIdentity } from './rbac.ts';

/** Parameters first, then policy and binding, so applying them in order never denies for lack of parameters. */
export function admissionObjects(identity: OperatorIdentity): Record<string, unknown>[] {
  return [
    admissionParams(identity.namespace, identity.serviceAccount),
    approvalReviewsPolicy(),
    approvalReviewsPolicyBinding(identity.namespace),
  ];
}
