import { MAX_DELEGATION_DEPTH } from './agent-identity.ts';
import {
  AGE_COLUMN,
  APPROVAL_SCOPES,
  approvers,
  bool,
  conditions,
  duration,
  int,
  list,
  obj,
  objectName,
  observedGeneration,
  oneOf,
  PROTOCOLS,
  ruleName,
  str,
  stringSet,
} from './common.ts';
import type { CrdSource, Schema } from './json-schema.ts';

export const PHASES = ['Pending', 'Approved', 'Denied', 'Expired', 'Withdrawn', 'Executed', 'Failed'] as const;
export const FINAL_PHASES = ['Denied', 'Expired', 'Withdrawn', 'Executed', 'Failed'] as const;
/** Allowed phase changes; the CRD enforces them, the operator's tally follows them. */
export const PHASE_TRANSITIONS: Record<(typeof PHASES)[number], readonly (typeof PHASES)[number][]> = {
  Pending: ['Approved', 'Denied', 'Expired', 'Withdrawn'],
  Approved: ['Executed', 'Failed', 'Expired', 'Withdrawn'],
  Denied: [],
  Expired: [],
  Withdrawn: [],
  Executed: [],
  Failed: [],
};

const date = (description: string): Schema => ({ type: 'string', format: 'date-time', description });

const requester = obj(
  'Requester',
  "Who asks, as the operator authenticated them; never taken from the sidecar's word.",
  {
    identity: objectName('The AgentIdentity.'),
    serviceAccount: str("The pod's service account as an API server username: system:serviceaccount:<namespace>:<name>.", {
      minLength: 1,
      pattern: '^system:serviceaccount:[a-z0-9]([-a-z0-9]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
    }),
    pod: obj(
      'PodReference',
      'The agent pod.',
      { name: objectName('Pod name.'), uid: str('Pod UID.', { maxLength: 64, minLength: 1 }) },
      { required: ['name', 'uid'] },
    ),
    onBehalfOf: str('The human the agent acts for, from its OIDC token, when it has one. That person cannot approve.', { maxLength: 512 }),
    issuer: str('Issuer of the OIDC token that named onBehalfOf.', { maxLength: 1024 }),
    delegation: obj(
      'RequesterDelegation',
      'Present when a sub-agent asks with a token delegated to it: the chain from the identity down to the sub-agent. The identity is the one whose authority was delegated.',
      {
        depth: int('Hops from the identity: 1 for a sub-agent of the agent, 2 for its sub-agent, ...', {
          minimum: 1,
          maximum: MAX_DELEGATION_DEPTH,
        }),
        chain: {
          ...list(
            'The sub-agents in order, from the one the agent delegated to, to the one asking; names as each delegator gave them.',
            str('A sub-agent name.', { minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
            MAX_DELEGATION_DEPTH,
          ),
          minItems: 1,
        },
      },
      { required: ['depth', 'chain'] },
    ),
  },
  { required: ['identity', 'serviceAccount', 'pod'] },
);

const parameter = obj('BoundParameter', 'One bound parameter value, exactly as sent.', {
  value: str('Text value, or base64 for format binary.', { maxLength: 65536 }),
  isNull: bool('The parameter is SQL NULL.'),
  format: oneOf('text or binary.', ['text', 'binary'], { default: 'text' }),
});

const operation = obj(
  'Operation',
  'The exact command held.',
  {
    kind: oneOf(
      'SSH: the channel request the text belongs to (exec: a command line; shell: an interactive session; subsystem: sftp and the like; port-forward). Absent for SQL. Part of the digest: an approval of one kind never releases another.',
      ['exec', 'shell', 'subsystem', 'port-forward'],
    ),
    text: str('The exact statement, command line, or request line and body, as the agent sent it.', { minLength: 1, maxLength: 65536 }),
    parameters: list('Bound parameters of an extended-protocol statement, in order.', parameter, 256),
    summary: str('One line for lists: the command and the objects it touches.', { minLength: 1, maxLength: 256 }),
    digest: str(
      'sha256:<hex> over the exact bytes: kind, text, parameters, target and identity. The sidecar releases only a command with this digest.',
      {
        pattern: '^sha256:[0-9a-f]{64}$',
        maxLength: 71,
      },
    ),
    sessionID: str('The recorded session the command belongs to; its earlier commands give context.', { minLength: 1, maxLength: 64 }),
    sequence: int('Position of the command in its session.', { minimum: 0 }),
  },
  { required: ['text', 'summary', 'digest', 'sessionID'] },
);

/** Where evidence came from; one value per way of previewing a command. */
const EVIDENCE_SOURCES = ['DryRun'] as const;

// Informational only: nothing in the approval refers to it. The sidecar releases a command by its
// digest, so evidence that was wrong, stale or forged can mislead a reviewer but never changes what runs.
const evidence = obj(
  'Evidence',
  'What the command would do, previewed by the sidecar before the request was created, for the reviewer. Informational: ' +
    'the approval binds to operation.digest, never to the evidence; the evidence was true when collected and may have ' +
    'changed by the time the command runs (objects created, changed or deleted in between). Absent when the command ' +
    'has no preview.',
  {
    source: oneOf(
      'How the evidence was collected. DryRun: the sidecar ran the same request upstream with dryRun=All (the server ' +
        'validated and admitted it, then stored nothing) and listed what it would affect.',
      EVIDENCE_SOURCES,
    ),
    summary: str(
      'One line: what the command would do, e.g. "would delete deployment orders and, by propagation, 2 replicasets and 6 pods".',
      {
        minLength: 1,
        maxLength: 256,
      },
    ),
    text: str(
      'The detail, plain text in lines: the objects a delete removes, the field changes an update or patch makes, the key fields of the object a create makes.',
      { maxLength: 32768 },
    ),
    complete: bool('False when part of what the command would do could not be previewed; notes say which part and why.'),
    notes: list('What could not be previewed, and why.', str('One note.', { maxLength: 512 }), 8),
    error: str(
      'Set when the preview itself failed, e.g. the server refused the dry run: the command would most likely fail the same way.',
      { maxLength: 1024 },
    ),
    collectedAt: date('When the evidence was collected; what it says may have changed since.'),
  },
  { required: ['source', 'summary', 'collectedAt'] },
);

const spec = obj(
  'ApprovalRequestSpec',
  'One held command, as the operator created it for a sidecar. Immutable.',
  {
    requester,
    target: obj(
      'TargetReference',
      'Where the command goes.',
      { name: objectName('Target name.'), type: oneOf('Target type.', PROTOCOLS) },
      { required: ['name', 'type'] },
    ),
    operation,
    policy: obj(
      'PolicyReference',
      'The policy and rule that asked for approval.',
      {
        name: objectName('ApprovalPolicy name; empty when the default action of several applied.'),
        rule: ruleName('Rule name; absent for the default action.'),
      },
      { required: ['name'] },
    ),
    requiredApprovals: int('How many distinct approvers must approve.', { minimum: 1, maximum: 10 }),
    approvers: approvers('Who may approve.'),
    scope: oneOf('What the approval covers: once, session, or window.', APPROVAL_SCOPES),
    window: duration('For scope window: how long the approval lasts once granted.'),
    expiresAt: date('When the request expires if not decided.'),
    evidence,
  },
  {
    required: ['requester', 'target', 'operation', 'policy', 'requiredApprovals', 'approvers', 'scope', 'expiresAt'],
    rules: [
      { rule: 'self == oldSelf', message: 'spec is immutable: a request describes one exact command; create a new request instead' },
      {
        rule: '(has(self.approvers.groups) && size(self.approvers.groups) > 0) || (has(self.approvers.users) && self.requiredApprovals <= size(self.approvers.users))',
        message: 'requiredApprovals is more than the approver users can give',
      },
      { rule: "(self.scope == 'window') == has(self.window)", message: 'window is required for scope window, and only for it' },
    ],
  },
);

const review = obj(
  'Review',
  "One reviewer's decision. Written through the status subresource; the API server checks that user is the authenticated caller and an approver.",
  {
    user: str('The reviewer, as the API server authenticated them.', { minLength: 1, maxLength: 512 }),
    groups: stringSet("The reviewer's groups at review time, as the API server saw them.", str('A group.', { maxLength: 253 }), 64),
    decision: oneOf('The decision.', ['Approve', 'Deny']),
    reason: str('Why; required to deny.', { maxLength: 1024 }),
    time: date('When the review was written.'),
  },
  {
    required: ['user', 'decision', 'time'],
    rules: [{ rule: "self.decision != 'Deny' || (has(self.reason) && size(self.reason) > 0)", message: 'a Deny review needs a reason' }],
  },
);

const reviews: Schema = {
  ...list('Reviews, append-only, one per reviewer.', review, 32),
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['user'],
};

const transitions = Object.entries(PHASE_TRANSITIONS)
  .filter(([, to]) => to.length > 0)
  .map(([from, to]) => `(oldSelf.phase == '${from}' && self.phase in [${to.map((p) => `'${p}'`).join(', ')}])`)
  .join(' || ');

const status = obj(
  'ApprovalRequestStatus',
  'Reviews, tally and outcome. Reviewers append reviews; only the operator sets everything else.',
  {
    phase: oneOf('Pending, then Approved, Denied, Expired or Withdrawn, then Executed or Failed after an approval.', PHASES),
    reviews,
    approvals: str('Approvals so far over approvals required, for display: 1/2.', { maxLength: 16, pattern: '^[0-9]+/[0-9]+$' }),
    decidedAt: date('When the request was approved, denied, expired or withdrawn.'),
    executedAt: date('When the sidecar ran the approved command.'),
    result: str('What the target answered: a command tag, an exit status, an HTTP status.', { maxLength: 1024 }),
    message: str('Why the request is in its phase, in a sentence.', { maxLength: 4096 }),
    observedGeneration: observedGeneration(),
    conditions: conditions('Decided: a decision is final; Executed: the command ran.'),
  },
  {
    rules: [
      {
        rule: '!has(oldSelf.reviews) || (has(self.reviews) && oldSelf.reviews.all(o, self.reviews.exists(n, n == o)))',
        message: 'reviews are append-only: a review once written cannot be changed or removed',
      },
      {
        rule: `!has(oldSelf.phase) || (has(self.phase) && (oldSelf.phase == self.phase || ${transitions}))`,
        message: `phase can only move forward: ${Object.entries(PHASE_TRANSITIONS)
          .filter(([, to]) => to.length > 0)
          .map(([from, to]) => `${from} -> ${to.join('|')}`)
          .join('; ')}`,
      },
      {
        rule: "!has(oldSelf.phase) || oldSelf.phase == 'Pending' || (has(self.reviews) ? size(self.reviews) : 0) == (has(oldSelf.reviews) ? size(oldSelf.reviews) : 0)",
        message: 'the request is already decided: reviews are closed',
      },
    ],
  },
);

export const approvalRequest: CrdSource = {
  kind: 'ApprovalRequest',
  plural: 'approvalrequests',
  singular: 'approvalrequest',
  listKind: 'ApprovalRequestList',
  shortNames: ['ar'],
  scope: 'Namespaced',
  description: 'One command an agent sent that a policy holds for human approval. Reviewers approve or deny it with `kubectl approve`.',
  spec,
  status,
  rootRules: [
    {
      rule: '!has(self.status) || !has(self.status.reviews) || self.status.reviews.all(r, r.user != self.spec.requester.serviceAccount && (!has(self.spec.requester.onBehalfOf) || r.user != self.spec.requester.onBehalfOf))',
      message:
        "a requester cannot review its own request: neither the agent's service account nor the person it acts for may approve or deny",
      fieldPath: '.status.reviews',
    },
  ],
  printerColumns: [
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Where the request is.' },
    { name: 'Requester', type: 'string', jsonPath: '.spec.requester.identity', description: 'The AgentIdentity asking.' },
    { name: 'Target', type: 'string', jsonPath: '.spec.target.name', description: 'Where the command goes.' },
    { name: 'Summary', type: 'string', jsonPath: '.spec.operation.summary', description: 'The command in one line.' },
    { name: 'Approvals', type: 'string', jsonPath: '.status.approvals', description: 'Approvals so far / required.' },
    {
      name: 'On-Behalf-Of',
      type: 'string',
      jsonPath: '.spec.requester.onBehalfOf',
      description: 'The human the agent acts for.',
      priority: 1,
    },
    { name: 'Rule', type: 'string', jsonPath: '.spec.policy.rule', description: 'Rule that asked for approval.', priority: 1 },
    AGE_COLUMN,
  ],
};
