/**
 * The ValidatingAdmissionPolicy that narrows who may use the CI-mode exclusion. In a namespace
 * labeled `airlock.dev/injection=all` every pod is an agent unless labeled
 * `airlock.dev/inject=false`, and whoever may create pods there may set that label. When the
 * namespace carries the annotation `airlock.dev/excludable-service-accounts` (comma-separated
 * names), only pods running as a service account it lists may; an empty value allows none.
 * Without the annotation the exclusion stays open to every pod: the namespace's admin opts in.
 *
 * A policy, not the operator's webhook: the rule depends on the namespace, which the API server
 * hands a policy (`namespaceObject`) and which the operator has no right to read. It also holds
 * while the operator is down, and costs no webhook call.
 */
import { ANNOTATIONS, INJECTION_ALL, LABELS } from './names.ts';

export const EXCLUSION_POLICY = 'airlock-inject-exclusion';

const PART_OF = { 'app.kubernetes.io/part-of': 'airlock' };

export function exclusionPolicy(): Record<string, unknown> {
  const annotation = ANNOTATIONS.excludableServiceAccounts;
  const label = `${LABELS.podInject}=${INJECTION_ALL.podExcluded}`;
  const mode = `${LABELS.namespaceInjection}=${INJECTION_ALL.namespace}`;
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: EXCLUSION_POLICY, labels: PART_OF },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'] }],
        namespaceSelector: { matchLabels: { [LABELS.namespaceInjection]: INJECTION_ALL.namespace } },
        objectSelector: { matchLabels: { [LABELS.podInject]: INJECTION_ALL.podExcluded } },
      },
      variables: [
        { name: 'listed', expression: `namespaceObject.?metadata.?annotations[?'${annotation}']` },
        // The ServiceAccount admission plugin ran before us and set it; 'default' is what it would set.
        {
          name: 'serviceAccount',
          expression: "object.spec.?serviceAccountName.orValue('') == '' ? 'default' : object.spec.serviceAccountName",
        },
      ],
      validations: [
        {
          expression: "!variables.listed.hasValue() || variables.serviceAccount in variables.listed.value().split(',').map(s, s.trim())",
          reason: 'Forbidden',
          message: `ExclusionNotAllowed: this namespace (${mode}) lets only the service accounts in its annotation ${annotation} use the label ${label}: remove the label so the pod gets the sidecar, or ask a cluster admin to add the pod's service account to the annotation`,
          messageExpression: `'ExclusionNotAllowed: namespace ' + namespaceObject.metadata.name + ' (${mode}) lets only the service accounts in its annotation ${annotation} (' + variables.listed.value() + ') use the label ${label}, and this pod runs as ' + variables.serviceAccount + ': remove the label so the pod gets the sidecar, or ask a cluster admin to add the service account to the annotation'`,
        },
      ],
    },
  };
}

export function exclusionPolicyBinding(): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: EXCLUSION_POLICY, labels: PART_OF },
    spec: { policyName: EXCLUSION_POLICY, validationActions: ['Deny'] },
  };
}
