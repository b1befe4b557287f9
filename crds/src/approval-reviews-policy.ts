/**
 * The ValidatingAdmissionPolicy that makes the API server itself enforce segregation of duties on
 * ApprovalRequests (security invariant 3): a review names the user the API server authenticated,
 * that user is an approver and not the requester, reviews only append while the request is
 * Pending, and only the operator's service account creates requests and sets their outcome.
 * CRD rules cannot see who is asking (`request.userInfo`); this policy can. The CRD rules stay as a
 * second line. Why a policy and not a webhook, and why a ConfigMap names the operator:
 * docs/adr/0008-segregation-of-duties-in-the-api-server.md.
 *
 * Pure: builds the objects; crds/src/generated-files.ts writes them into crds/manifests for the
 * default operator namespace, contracts/src/install renders them for any other.
 */
import { approvalRequest } from '../schema/approval-request.ts';
import { GROUP } from '../schema/common.ts';

export const APPROVAL_REVIEWS_POLICY = 'airlock-approval-reviews';
/** The ConfigMap, in the operator's namespace, that tells the policy who the operator is. */
export const ADMISSION_PARAMS_CONFIGMAP = 'airlock-admission';
export const OPERATOR_SERVICE_ACCOUNT_KEY = 'operatorServiceAccount';
export const DEFAULT_OPERATOR_NAMESPACE = 'airlock-system';
export const DEFAULT_OPERATOR_SERVICE_ACCOUNT = 'airlock-operator';

const LABELS = { 'app.kubernetes.io/part-of': 'airlock' };

/** The API server username of a service account. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * Status fields only the operator may write: everything but reviews. Taken from the schema, so a
 * status field added later is operator-only without anyone remembering to say so here.
 */
export const OPERATOR_STATUS_FIELDS: readonly string[] = Object.keys(approvalRequest.status.properties ?? {}).filter(
  (f) => f !== 'reviews',
);

interface Variable {
  name: string;
  expression: string;
}

interface Validation {
  expression: string;
  message: string;
  messageExpression?: string;
  reason: 'Forbidden' | 'Invalid';
}

/** Named once, read as `variables.NAME`; the API server evaluates each at most once per request. */
const VARIABLES: Variable[] = [
  { name: 'operator', expression: `params.?data.?${OPERATOR_SERVICE_ACCOUNT_KEY}.orValue('')` },
  { name: 'isOperator', expression: "variables.operator != '' && request.userInfo.username == variables.operator" },
  { name: 'isStatusUpdate', expression: "request.operation == 'UPDATE'" },
  { name: 'reviews', expression: 'object.?status.?reviews.orValue([])' },
  { name: 'oldReviews', expression: 'variables.isStatusUpdate ? oldObject.?status.?reviews.orValue([]) : []' },
  // Reviews are keyed by user (a list-map), so "new" means a user who had no review before.
  { name: 'newReviews', expression: 'variables.reviews.filter(r, !variables.oldReviews.exists(o, o.user == r.user))' },
  { name: 'alteredReviews', expression: 'variables.oldReviews.filter(o, !variables.reviews.exists(n, n == o)).map(o, o.user)' },
  { name: 'oldPhase', expression: "variables.isStatusUpdate ? oldObject.?status.?phase.orValue('') : ''" },
  {
    name: 'operatorFieldsChanged',
    expression: `variables.isStatusUpdate ? [${OPERATOR_STATUS_FIELDS.map(
      (f) => `object.?status.?${f} != oldObject.?status.?${f} ? '${f}' : ''`,
    ).join(', ')}].filter(f, f != '') : []`,
  },
  { name: 'reviewer', expression: 'request.userInfo.username' },
  { name: 'reviewerGroups', expression: 'request.userInfo.?groups.orValue([])' },
  // system:serviceaccount:<namespace>:<name>; the CRD pattern guarantees the four parts.
  { name: 'agentNamespace', expression: "object.spec.requester.serviceAccount.split(':')[2]" },
  { name: 'onBehalfOf', expression: "object.spec.requester.?onBehalfOf.orValue('')" },
  { name: 'approverUsers', expression: 'object.spec.approvers.?users.orValue([])' },
  { name: 'approverGroups', expression: 'object.spec.approvers.?groups.orValue([])' },
  {
    name: 'requesterRole',
    expression: [
      'variables.reviewer == object.spec.requester.serviceAccount ? "the agent\'s service account"',
      "variables.onBehalfOf != '' && variables.reviewer == variables.onBehalfOf ? 'the person the agent acts for'",
      "variables.reviewer.startsWith('system:serviceaccount:' + variables.agentNamespace + ':') ? \"a service account of the agent's namespace \" + variables.agentNamespace",
      "variables.reviewer.startsWith('system:serviceaccount:' + object.metadata.namespace + ':') ? \"a service account of the request's namespace \" + object.metadata.namespace",
      "''",
    ].join(' : '),
  },
];

const list = (expr: string) => `'[' + ${expr}.join(', ') + ']'`;

/** In evaluation order: the API server reports the first one that fails. */
const VALIDATIONS: Validation[] = [
  {
    expression: `variables.operator.startsWith('system:serviceaccount:')`,
    reason: 'Forbidden',
    message: `airlock admission is not configured: ConfigMap ${ADMISSION_PARAMS_CONFIGMAP} in the operator's namespace needs data.${OPERATOR_SERVICE_ACCOUNT_KEY}: system:serviceaccount:<namespace>:<name> of the airlock operator; reinstall airlock to restore it`,
  },
  {
    expression: "request.operation != 'CREATE' || variables.isOperator",
    reason: 'Forbidden',
    message:
      'only the airlock operator creates ApprovalRequests, for a command a sidecar holds; reviewers append reviews to status with kubectl approve',
    messageExpression:
      "variables.reviewer + ' cannot create ApprovalRequests: only the airlock operator (' + variables.operator + ') creates them, for a command a sidecar holds; reviewers append reviews to status with kubectl approve'",
  },
  {
    expression: 'size(variables.alteredReviews) == 0',
    reason: 'Forbidden',
    message: 'reviews are append-only: a review once written cannot be changed or removed; append your own review instead',
    messageExpression: `'reviews are append-only: the review of ' + variables.alteredReviews.join(', ') + ' was changed or removed; a review once written stands, so send only an appended review of your own (kubectl approve does that)'`,
  },
  {
    expression: '!variables.isOperator || size(variables.newReviews) == 0',
    reason: 'Forbidden',
    message: 'the airlock operator tallies reviews but may not write one: reviews come from the reviewers themselves',
    messageExpression: `'the airlock operator (' + variables.reviewer + ') tallies reviews but may not write one, yet it added the review of ' + variables.newReviews.map(r, r.user).join(', ') + ': reviews come from the reviewers themselves'`,
  },
  {
    expression: 'variables.isOperator || size(variables.operatorFieldsChanged) == 0',
    reason: 'Forbidden',
    message: `only the airlock operator sets status fields other than reviews (${OPERATOR_STATUS_FIELDS.join(', ')}); reviewers only append a review to status.reviews (kubectl approve NAME)`,
    messageExpression: `variables.reviewer + ' changed status.' + variables.operatorFieldsChanged.join(', status.') + ': only the airlock operator (' + variables.operator + ') sets those; reviewers only append their review to status.reviews (kubectl approve NAME)'`,
  },
  {
    expression: "size(variables.newReviews) == 0 || variables.oldPhase == '' || variables.oldPhase == 'Pending'",
    reason: 'Forbidden',
    message:
      'the request is already decided: reviews are closed; if the command is still needed, the agent must run it again to get a new request',
    messageExpression: `'the request is already ' + variables.oldPhase + ': reviews are closed; if the command is still needed, the agent must run it again to get a new request'`,
  },
  {
    expression: 'variables.newReviews.all(r, r.user == variables.reviewer)',
    reason: 'Forbidden',
    message: 'a review records the user the API server authenticated: set user to your own username (kubectl approve does that)',
    messageExpression: `'a review records the user the API server authenticated: you are ' + variables.reviewer + ' but the review names ' + variables.newReviews.filter(r, r.user != variables.reviewer).map(r, r.user).join(', ') + '; set user to your own username (kubectl approve does that)'`,
  },
  {
    expression:
      'variables.newReviews.all(r, has(r.groups) && size(r.groups) == size(variables.reviewerGroups) && r.groups.all(g, g in variables.reviewerGroups))',
    reason: 'Forbidden',
    message:
      'a review records the groups the API server authenticated (the operator counts group approvals from them): copy them from `kubectl auth whoami` (kubectl approve does that)',
    messageExpression: `'a review records the groups the API server authenticated: yours are ' + ${list('variables.reviewerGroups')} + ' but the review claims ' + (variables.newReviews.exists(r, has(r.groups)) ? ${list('variables.newReviews.filter(r, has(r.groups))[0].groups')} : 'none') + '; copy them from kubectl auth whoami (kubectl approve does that)'`,
  },
  {
    expression: "size(variables.newReviews) == 0 || variables.requesterRole == ''",
    reason: 'Forbidden',
    message:
      "a requester cannot review its own request: neither the agent's service account, a service account of its namespace, nor the person it acts for may approve or deny; ask another approver",
    messageExpression: `variables.reviewer + ' may not review this request: it is ' + variables.requesterRole + ', and a requester cannot review its own request; ask another approver'`,
  },
  {
    expression:
      'size(variables.newReviews) == 0 || variables.reviewer in variables.approverUsers || variables.reviewerGroups.exists(g, g in variables.approverGroups)',
    reason: 'Forbidden',
    message: 'you are not an approver of this request: only its approver users and members of its approver groups may review it',
    messageExpression: `variables.reviewer + ' is not an approver of this request: its approvers are the users ' + ${list('variables.approverUsers')} + ' and the members of the groups ' + ${list('variables.approverGroups')} + ', and your groups are ' + ${list('variables.reviewerGroups')} + '; ask one of them to review'`,
  },
];

export function approvalReviewsPolicy(): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: APPROVAL_REVIEWS_POLICY, labels: LABELS },
    spec: {
      // No answer is a refusal: an unevaluable rule must not let a review through.
      failurePolicy: 'Fail',
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      matchConstraints: {
        resourceRules: [
          { apiGroups: [GROUP], apiVersions: ['*'], operations: ['CREATE'], resources: ['approvalrequests'] },
          { apiGroups: [GROUP], apiVersions: ['*'], operations: ['UPDATE'], resources: ['approvalrequests/status'] },
        ],
      },
      variables: VARIABLES,
      validations: VALIDATIONS,
    },
  };
}

/**
 * Binds the policy to the parameters in the operator's namespace. A missing ConfigMap denies
 * every ApprovalRequest create and status write: without knowing the operator, nothing is safe.
 */
export function approvalReviewsPolicyBinding(operatorNamespace: string = DEFAULT_OPERATOR_NAMESPACE): Record<string, unknown> {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: APPROVAL_REVIEWS_POLICY, labels: LABELS },
    spec: {
      policyName: APPROVAL_REVIEWS_POLICY,
      validationActions: ['Deny'],
      paramRef: { name: ADMISSION_PARAMS_CONFIGMAP, namespace: operatorNamespace, parameterNotFoundAction: 'Deny' },
    },
  };
}

/** The policy's parameters: who the operator is. Whoever may edit it may name the operator; only admins should. */
export function admissionParams(operatorNamespace: string, operatorServiceAccount: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ADMISSION_PARAMS_CONFIGMAP, namespace: operatorNamespace, labels: LABELS },
    data: { [OPERATOR_SERVICE_ACCOUNT_KEY]: serviceAccountUsername(operatorNamespace, operatorServiceAccount) },
  };
}
