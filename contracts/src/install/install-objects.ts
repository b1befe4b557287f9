/**
 * Everything an installer applies, besides the CRDs, so that the operator runs as its own service
 * account with least privilege and the API server enforces who may review: namespace, service
 * account, RBAC, admission parameters, policy and binding. The operator never applies these itself.
 */
import { admissionObjects } from './admission.ts';
import { type OperatorIdentity, operatorRbac, policyAuthorRole, reviewerRoles } from './rbac.ts';

/** In apply order. */
export function installObjects(identity: OperatorIdentity): object[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: identity.namespace, labels: { 'app.kubernetes.io/part-of': 'airlock' } } },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: identity.serviceAccount, namespace: identity.namespace, labels: { 'app.kubernetes.io/part-of': 'airlock' } },
    },
    ...reviewerRoles(),
    policyAuthorRole(),
    ...operatorRbac(identity),
    ...admissionObjects(identity),
  ];
}
