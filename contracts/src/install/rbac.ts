/**
 * Who may do what with the airlock API, as RBAC objects: reviewers, policy authors, and the
 * operator's own least-privilege role. Pure: renders the objects for an operator namespace and
 * service account; the installer (Helm, or the e2e harness) applies them, never the operator.
 *
 * RBAC decides which verbs reach a resource; the admission policy airlock-approval-reviews decides
 * what a status write may contain (docs/adr/0008). Sidecars get no role at all: their projected
 * token has the audience `airlock`, which the API server does not accept, and they talk only to
 * the operator's broker.
 */
import { GROUP } from '@airlock/crds';
import type { V1ClusterRole, V1ClusterRoleBinding, V1PolicyRule, V1Role, V1RoleBinding } from '@kubernetes/client-node';

export const REVIEWER_ROLE = 'airlock-reviewer';
/** ClusterRoles carrying this label add their rules to airlock-reviewer. */
export const AGGREGATE_TO_REVIEWER_LABEL = 'airlock.dev/aggregate-to-reviewer';
export const POLICY_AUTHOR_ROLE = 'airlock-policy-author';
export const OPERATOR_ROLE = 'airlock-operator';

export interface OperatorIdentity {
  /** The operator's namespace (airlock-system by default). */
  readonly namespace: string;
  /** The operator's ServiceAccount name. */
  readonly serviceAccount: string;
  /** Its webhook serving certificate and key (operator/src/main.ts: airlock-webhook-tls). */
  readonly webhookTlsSecret?: string;
  /** Its leader-election Lease (operator/src/main.ts: airlock-operator). */
  readonly leaseName?: string;
  /** Its Mutating- and ValidatingWebhookConfiguration (operator/src/main.ts: airlock). */
  readonly webhookConfigurationName?: string;
}

const LABELS = { 'app.kubernetes.io/part-of': 'airlock' };
const AIRLOCK_KINDS = ['targets', 'agentidentities', 'approvalpolicies', 'approvalrequests'];
const READ = ['get', 'list', 'watch'];

const rule = (apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): V1PolicyRule => ({
  apiGroups,
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

/**
 * airlock-reviewer aggregates every ClusterRole labelled airlock.dev/aggregate-to-reviewer, so a
 * site can add (for example) read access to the recordings API without editing ours. The base
 * rules: see requests, and write their status, where the admission policy lets a reviewer do no
 * more than append a review as themselves. `kubectl auth whoami` (SelfSubjectReview), which the
 * plugin uses to fill in the reviewer, is granted to every authenticated user by system:basic-user.
 */
export function reviewerRoles(): V1ClusterRole[] {
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: REVIEWER_ROLE, labels: LABELS },
      aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [AGGREGATE_TO_REVIEWER_LABEL]: 'true' } }] },
      // Filled in by the API server's clusterrole-aggregation controller.
      rules: [],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${REVIEWER_ROLE}-approvalrequests`, labels: { ...LABELS, [AGGREGATE_TO_REVIEWER_LABEL]: 'true' } },
      rules: [rule([GROUP], ['approvalrequests'], READ), rule([GROUP], ['approvalrequests/status'], ['get', 'patch', 'update'])],
    },
  ];
}

/** Writes the configuration (Targets, identities, policies) and reads what it produces; no status writes, no Secrets. */
export function policyAuthorRole(): V1ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: POLICY_AUTHOR_ROLE, labels: LABELS },
    rules: [
      rule(
        [GROUP],
        ['targets', 'agentidentities', 'approvalpolicies'],
        [...READ, 'create', 'update', 'patch', 'delete', 'deletecollection'],
      ),
      rule([GROUP], ['approvalrequests'], READ),
    ],
  };
}

/**
 * The operator's own permissions, and no more. Deliberately absent: list/watch of Secrets (it
 * reads the one a Target names, by name), updates and deletes of Secrets other than its webhook
 * TLS Secret (it creates token binding Secrets, which the garbage collector deletes), any write
 * to ConfigMaps (the admission parameters name the operator; it must not be able to rename
 * itself), and admission policies or bindings.
 */
export function operatorRbac(identity: OperatorIdentity): [V1ClusterRole, V1ClusterRoleBinding, V1Role, V1RoleBinding] {
  const subjects = [{ kind: 'ServiceAccount', name: identity.serviceAccount, namespace: identity.namespace }];
  const webhookConfigurations = [identity.webhookConfigurationName ?? 'airlock'];
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: OPERATOR_ROLE, labels: LABELS },
      rules: [
        rule([GROUP], AIRLOCK_KINDS, READ),
        rule(
          [GROUP],
          AIRLOCK_KINDS.map((k) => `${k}/status`),
          ['get', 'update', 'patch'],
        ),
        rule([GROUP], ['approvalrequests'], ['create', 'delete', 'patch']),
        rule([''], ['pods'], READ),
        // Target credentials, fetched by name just in time; never listed or watched.
        rule([''], ['secrets'], ['get']),
        // Token binding Secrets (airlock-token-binding-<pod uid>): a token minted for an agent pod
        // that runs as another ServiceAccount than the Target's is bound to one, so it dies with
        // the pod. They hold no data and are owned by the agent pod, whose deletion makes the
        // garbage collector delete them; so the operator creates them and never updates or
        // deletes any. `create` cannot be limited by name (the object has none yet when RBAC
        // decides) nor to the agents' namespaces (any namespace may hold agents).
        rule([''], ['secrets'], ['create']),
        rule(['authentication.k8s.io'], ['tokenreviews'], ['create']),
        // kubernetes Targets with serviceAccountName: the broker mints a short-lived token for that
        // ServiceAccount (TokenRequest) for each sidecar that asks, bound to the agent pod when the
        // pod runs as it, to the pod's token binding Secret otherwise. `create` cannot be limited by name or namespace here (ServiceAccounts are
        // named by policy authors); this lets the operator act as any ServiceAccount, so its own
        // service account must be guarded like cluster-admin. `get` is for telling a missing
        // ServiceAccount on the Target's status; until the Target controller checks, the broker
        // names a missing one when it mints.
        rule([''], ['serviceaccounts/token'], ['create']),
        rule([''], ['serviceaccounts'], ['get']),
        rule([''], ['events'], ['create', 'patch']),
        rule(['events.k8s.io'], ['events'], ['create', 'patch']),
        // Only its own webhook configurations, to keep their caBundle current.
        rule(
          ['admissionregistration.k8s.io'],
          ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
          ['get', 'patch', 'update'],
          webhookConfigurations,
        ),
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: OPERATOR_ROLE, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: OPERATOR_ROLE },
      subjects,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: OPERATOR_ROLE, namespace: identity.namespace, labels: LABELS },
      rules: [
        // create cannot be limited by name (the object has none yet when RBAC decides).
        rule(['coordination.k8s.io'], ['leases'], ['create']),
        rule(['coordination.k8s.io'], ['leases'], ['get', 'update'], [identity.leaseName ?? 'airlock-operator']),
        rule([''], ['secrets'], ['create']),
        rule([''], ['secrets'], ['get', 'update'], [identity.webhookTlsSecret ?? 'airlock-webhook-tls']),
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: OPERATOR_ROLE, namespace: identity.namespace, labels: LABELS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: OPERATOR_ROLE },
      subjects,
    },
  ];
}
