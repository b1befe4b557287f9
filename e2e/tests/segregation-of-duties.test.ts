/**
 * Security invariant 3 on a real API server: no requester can approve its own request, the
 * recorded reviewer is the user the API server authenticated, only approvers review, reviews only
 * append while Pending, and only the operator's service account creates requests and decides
 * them — enforced by the admission policy airlock-approval-reviews (with the CRD rules as a second
 * line), whoever asks, system:masters included. Every attack goes through real kubectl as the
 * attacker, must be refused with a message that says why, and must leave the stored object as it
 * was. RBAC is checked as each role sees it (SelfSubjectAccessReview).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { APPROVAL_REVIEWS_POLICY, GROUP, VERSION } from '@airlock/crds';
import {
  type AirlockInstallation,
  ControlPlane,
  eventually,
  installAirlock,
  installCrds,
  type KubectlResult,
  kubeconfigYaml,
  type ServiceAccountKubeconfig,
  serviceAccountKubeconfig,
  TEST_USERS,
  type TestUserName,
} from '@airlock/testkit';
import { stringify } from 'yaml';

const NS = 'agents';
const REQUESTER_SA = 'agent-sa';
/** Another service account of the agent's namespace: the AgentIdentity's own, when the pod ran as another. */
const IDENTITY_SA = 'identity-sa';

type Actor = { user: TestUserName } | { kubeconfigPath: string };
interface Review {
  user: string;
  decision: 'Approve' | 'Deny';
  time: string;
  groups?: string[];
  reason?: string;
}
// biome-ignore lint/suspicious/noExplicitAny: a stored ApprovalRequest, read by path
type Stored = Record<string, any>;

let plane: ControlPlane;
let install: AirlockInstallation;
let operator: Actor;
let requester: ServiceAccountKubeconfig;
let identity: ServiceAccountKubeconfig;

before(async () => {
  plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
  await installCrds(plane);
  install = await installAirlock(plane);
  operator = { kubeconfigPath: install.operator.kubeconfigPath };
  await ok(plane.kubectl(['create', 'namespace', NS]));
  await ok(plane.kubectl(['create', 'serviceaccount', REQUESTER_SA, '-n', NS]));
  await ok(plane.kubectl(['create', 'serviceaccount', IDENTITY_SA, '-n', NS]));
  // Every would-be reviewer holds airlock-reviewer, so each refusal below is the policy's, not RBAC's.
  await ok(
    plane.kubectl([
      'create',
      'clusterrolebinding',
      'reviewers',
      '--clusterrole=airlock-reviewer',
      '--group=airlock-reviewers',
      `--user=${TEST_USERS.dave.name}`,
      `--serviceaccount=${NS}:${REQUESTER_SA}`,
      `--serviceaccount=${NS}:${IDENTITY_SA}`,
    ]),
  );
  await ok(plane.kubectl(['create', 'clusterrolebinding', 'policy-authors', '--clusterrole=airlock-policy-author', '--group=developers']));
  requester = await serviceAccountKubeconfig(plane, NS, REQUESTER_SA);
  identity = await serviceAccountKubeconfig(plane, NS, IDENTITY_SA);
  await createRequest('drop-archive', { approvers: { groups: ['db-owners'] }, requiredApprovals: 2 });
  await operatorSetsStatus('drop-archive', { phase: 'Pending', approvals: '0/2' });
});
after(async () => plane?.stop());

test('the policy type-checks against the ApprovalRequest schema without warnings', async () => {
  const policy = await eventually('the policy status controller to check the policy', async () => {
    const vap = JSON.parse((await ok(plane.kubectl(['get', 'validatingadmissionpolicy', APPROVAL_REVIEWS_POLICY, '-o', 'json']))).stdout);
    return vap.status?.observedGeneration === vap.metadata.generation ? vap : undefined;
  });
  assert.deepEqual(policy.status.typeChecking?.expressionWarnings ?? [], []);
});

describe('refused while Pending', () => {
  const name = 'drop-archive';

  test("the requester's service account approves its own request", async () => {
    // The CRD rule answers first (the API server validates the schema before admission); the
    // policy holds the same line, as the next test shows where no CRD rule reaches.
    await refused(
      { kubeconfigPath: requester.kubeconfigPath },
      name,
      appendReview(review(requester.username)),
      'a requester cannot review its own request',
    );
  });

  test("another service account of the agent's namespace (the AgentIdentity's) approves", async () => {
    await refused(
      { kubeconfigPath: identity.kubeconfigPath },
      name,
      appendReview(review(identity.username)),
      `${identity.username} may not review this request: it is a service account of the agent's namespace ${NS}`,
    );
  });

  test("alice writes a review with bob's name", async () => {
    await refused(
      { user: 'alice' },
      name,
      appendReview(review(TEST_USERS.bob.name)),
      `you are ${TEST_USERS.alice.name} but the review names ${TEST_USERS.bob.name}`,
    );
  });

  test('alice claims a group she is not in', async () => {
    await refused(
      { user: 'alice' },
      name,
      appendReview(review(TEST_USERS.alice.name, { groups: ['db-owners', 'sre'] })),
      'a review records the groups the API server authenticated',
    );
  });

  test('dave, outside the approver groups, approves', async () => {
    await refused(
      { user: 'dave' },
      name,
      appendReview(review(TEST_USERS.dave.name)),
      `${TEST_USERS.dave.name} is not an approver of this request`,
    );
  });

  test('carol, an airlock reviewer but not a db-owner, approves', async () => {
    await refused(
      { user: 'carol' },
      name,
      appendReview(review(TEST_USERS.carol.name)),
      `${TEST_USERS.carol.name} is not an approver of this request: its approvers are the users [] and the members of the groups [db-owners]`,
    );
  });

  test('alice sets phase Approved', async () => {
    await refused(
      { user: 'alice' },
      name,
      setPhase('Approved'),
      `${TEST_USERS.alice.name} changed status.phase: only the airlock operator`,
    );
  });

  test('admin (system:masters) sets phase Approved', async () => {
    await refused(
      { user: 'admin' },
      name,
      setPhase('Approved'),
      `${TEST_USERS.admin.name} changed status.phase: only the airlock operator`,
    );
  });

  test('the operator adds a review, as itself or as an approver', async () => {
    const message = 'tallies reviews but may not write one';
    await refused(operator, name, appendReview(review(install.operator.username)), message);
    await refused(operator, name, appendReview(review(TEST_USERS.alice.name)), message);
  });

  test('admin (system:masters) creates an ApprovalRequest', async () => {
    const created = await plane.kubectl([
      'create',
      '-f',
      requestFile('forged', { approvers: { groups: ['db-owners'] }, requiredApprovals: 1 }),
    ]);
    assert.notEqual(created.code, 0, 'an admin created an ApprovalRequest');
    assert.match(created.stderr, new RegExp(`${TEST_USERS.admin.name} cannot create ApprovalRequests: only the airlock operator`));
    const got = await plane.kubectl(['get', 'ar', 'forged', '-n', NS]);
    assert.match(got.stderr, /NotFound/);
  });
});

test('the person the agent acts for approves', async () => {
  await createRequest('on-behalf-of-carol', {
    approvers: { groups: ['db-owners', 'sre'] },
    requiredApprovals: 1,
    onBehalfOf: TEST_USERS.carol.name,
  });
  await operatorSetsStatus('on-behalf-of-carol', { phase: 'Pending', approvals: '0/1' });
  // As for the service account, the CRD rule answers before the policy.
  await refused(
    { user: 'carol' },
    'on-behalf-of-carol',
    appendReview(review(TEST_USERS.carol.name)),
    'a requester cannot review its own request',
  );
});

describe('two approvers approve, the operator decides', () => {
  const name = 'drop-archive';

  test('alice approves, naming the groups kubectl auth whoami reports', async () => {
    const whoami = JSON.parse((await ok(plane.kubectl(['auth', 'whoami', '-o', 'json'], { user: 'alice' }))).stdout);
    const groups: string[] = whoami.status.userInfo.groups;
    await ok(patchStatus({ user: 'alice' }, name, appendReview(review(TEST_USERS.alice.name, { groups }))(await stored(name))));
    const reviews = (await stored(name)).status.reviews;
    assert.deepEqual(
      reviews.map((r: Review) => [r.user, r.decision, r.groups]),
      [[TEST_USERS.alice.name, 'Approve', groups]],
    );
  });

  test('alice cannot approve twice, change or remove her review', async () => {
    await refused({ user: 'alice' }, name, appendReview(review(TEST_USERS.alice.name)), 'Duplicate value');
    await refused(
      { user: 'alice' },
      name,
      () => [
        { op: 'replace', path: '/status/reviews/0/decision', value: 'Deny' },
        { op: 'add', path: '/status/reviews/0/reason', value: 'changed my mind' },
      ],
      'reviews are append-only',
    );
    await refused({ user: 'alice' }, name, () => [{ op: 'remove', path: '/status/reviews/0' }], 'reviews are append-only');
  });

  test("bob cannot replace alice's review with his own", async () => {
    await refused(
      { user: 'bob' },
      name,
      () => [{ op: 'replace', path: '/status/reviews/0', value: review(TEST_USERS.bob.name) }],
      'reviews are append-only',
    );
  });

  test('bob approves', async () => {
    await ok(patchStatus({ user: 'bob' }, name, appendReview(review(TEST_USERS.bob.name))(await stored(name))));
    assert.deepEqual(
      (await stored(name)).status.reviews.map((r: Review) => r.user),
      [TEST_USERS.alice.name, TEST_USERS.bob.name],
    );
  });

  test('the operator sets phase Approved', async () => {
    await operatorSetsStatus(name, { phase: 'Approved', approvals: '2/2', decidedAt: new Date().toISOString() });
    const status = (await stored(name)).status;
    assert.equal(status.phase, 'Approved');
    assert.equal(status.reviews.length, 2);
  });
});

test('no review after the request was denied', async () => {
  await createRequest('denied', { approvers: { groups: ['db-owners'] }, requiredApprovals: 1 });
  await operatorSetsStatus('denied', { phase: 'Pending', approvals: '0/1' });
  await operatorSetsStatus('denied', { phase: 'Denied', message: 'denied by policy', decidedAt: new Date().toISOString() });
  await refused(
    { user: 'alice' },
    'denied',
    appendReview(review(TEST_USERS.alice.name)),
    'the request is already decided: reviews are closed',
  );
});

test('a reviewer named in approvers.users, in no approver group, approves', async () => {
  await createRequest('named-reviewer', { approvers: { users: [TEST_USERS.dave.name], groups: ['db-owners'] }, requiredApprovals: 1 });
  await operatorSetsStatus('named-reviewer', { phase: 'Pending', approvals: '0/1' });
  await ok(patchStatus({ user: 'dave' }, 'named-reviewer', appendReview(review(TEST_USERS.dave.name))(await stored('named-reviewer'))));
  assert.equal((await stored('named-reviewer')).status.reviews[0].user, TEST_USERS.dave.name);
});

describe('RBAC, as each role sees it', () => {
  const can = async (actor: Actor, ...args: string[]) => {
    const answer = await plane.kubectl(['auth', 'can-i', ...args], actor);
    return answer.stdout.trim();
  };
  const expectRights = async (actor: Actor, table: [string[], 'yes' | 'no'][]) => {
    for (const [args, expected] of table) assert.equal(await can(actor, ...args), expected, `can-i ${args.join(' ')}`);
  };

  test('the operator: its own objects, by name where RBAC allows it; no Secret listing, no policy or parameter edits', async () => {
    const ns = install.namespace;
    await expectRights(operator, [
      [['watch', `approvalrequests.${GROUP}`, '-A'], 'yes'],
      [['create', `approvalrequests.${GROUP}`, '-n', NS], 'yes'],
      [['patch', `approvalrequests.${GROUP}`, '--subresource=status', '-n', NS], 'yes'],
      [['update', `targets.${GROUP}`, '--subresource=status', '-n', NS], 'yes'],
      [['update', `targets.${GROUP}`, '-n', NS], 'no'],
      [['list', 'pods', '-A'], 'yes'],
      [['create', 'pods', '-n', NS], 'no'],
      [['get', 'secrets', '-A'], 'yes'],
      [['list', 'secrets', '-A'], 'no'],
      [['watch', 'secrets', '-n', ns], 'no'],
      [['create', 'tokenreviews.authentication.k8s.io'], 'yes'],
      [['create', 'events', '-n', NS], 'yes'],
      [['create', 'leases.coordination.k8s.io', '-n', ns], 'yes'],
      [['update', 'leases.coordination.k8s.io/airlock-operator', '-n', ns], 'yes'],
      [['create', 'leases.coordination.k8s.io', '-n', NS], 'no'],
      [['update', 'secrets/airlock-webhook-tls', '-n', ns], 'yes'],
      [['update', 'secrets/other', '-n', ns], 'no'],
      [['patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io/airlock'], 'yes'],
      [['patch', 'mutatingwebhookconfigurations.admissionregistration.k8s.io/airlock'], 'yes'],
      [['patch', 'validatingwebhookconfigurations.admissionregistration.k8s.io/other'], 'no'],
      [['update', `validatingadmissionpolicies.admissionregistration.k8s.io/${APPROVAL_REVIEWS_POLICY}`], 'no'],
      [['update', 'configmaps/airlock-admission', '-n', ns], 'no'],
    ]);
  });

  test('a reviewer: read requests and write their status, nothing else', async () => {
    await expectRights({ user: 'alice' }, [
      [['watch', `approvalrequests.${GROUP}`, '-A'], 'yes'],
      [['patch', `approvalrequests.${GROUP}`, '--subresource=status', '-n', NS], 'yes'],
      [['patch', `approvalrequests.${GROUP}`, '-n', NS], 'no'],
      [['create', `approvalrequests.${GROUP}`, '-n', NS], 'no'],
      [['get', `targets.${GROUP}`, '-n', NS], 'no'],
      [['get', 'secrets', '-n', NS], 'no'],
      // kubectl approve fills in the reviewer from SelfSubjectReview; system:basic-user grants it to everyone.
      [['create', 'selfsubjectreviews.authentication.k8s.io'], 'yes'],
    ]);
  });

  test('a policy author: configuration yes, status and Secrets no', async () => {
    await expectRights({ user: 'dave' }, [
      [['create', `targets.${GROUP}`, '-n', NS], 'yes'],
      [['delete', `agentidentities.${GROUP}`, '-n', NS], 'yes'],
      [['patch', `approvalpolicies.${GROUP}`, '-n', NS], 'yes'],
      [['patch', `approvalpolicies.${GROUP}`, '--subresource=status', '-n', NS], 'no'],
      [['list', `approvalrequests.${GROUP}`, '-n', NS], 'yes'],
      [['create', `approvalrequests.${GROUP}`, '-n', NS], 'no'],
      [['get', 'secrets', '-n', NS], 'no'],
    ]);
  });

  test("a sidecar's token (audience airlock) is not accepted by the API server", async () => {
    const token = (await ok(plane.kubectl(['create', 'token', REQUESTER_SA, '-n', NS, '--audience=airlock']))).stdout.trim();
    const path = join(plane.dir, 'kubeconfig-sidecar.yaml');
    writeFileSync(path, kubeconfigYaml({ server: plane.server, caPem: plane.caPem, user: 'sidecar', token }), { mode: 0o600 });
    const tried = await plane.kubectl(['get', `approvalrequests.${GROUP}`, '-n', NS], { kubeconfigPath: path });
    assert.notEqual(tried.code, 0);
    assert.match(tried.stderr, /Unauthorized|must be logged in/);
  });
});

// --- helpers -------------------------------------------------------------------------------------

async function ok(result: Promise<KubectlResult>): Promise<KubectlResult> {
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  return r;
}

/** A review with the groups the API server authenticates for `user` (kubectl approve copies them from whoami). */
function review(user: string, extra: Partial<Review> = {}): Review {
  return { user, groups: authenticatedGroups(user), decision: 'Approve', time: new Date().toISOString(), ...extra };
}

function authenticatedGroups(user: string): string[] {
  const sa = /^system:serviceaccount:([^:]+):/.exec(user);
  if (sa) return ['system:serviceaccounts', `system:serviceaccounts:${sa[1]}`, 'system:authenticated'];
  const known = Object.values(TEST_USERS).find((u) => u.name === user);
  return [...(known?.groups ?? []), 'system:authenticated'];
}

type Patch = (current: Stored) => object[];

/** What kubectl approve sends: one JSON-patch add, creating the list for the first review. */
function appendReview(r: Review): Patch {
  return (current) =>
    current.status?.reviews ? [{ op: 'add', path: '/status/reviews/-', value: r }] : [{ op: 'add', path: '/status/reviews', value: [r] }];
}

function setPhase(phase: string): Patch {
  return () => [{ op: 'replace', path: '/status/phase', value: phase }];
}

function patchStatus(actor: Actor, name: string, patch: object[]): Promise<KubectlResult> {
  return plane.kubectl(['patch', 'ar', name, '-n', NS, '--subresource=status', '--type=json', '-p', JSON.stringify(patch)], actor);
}

/** The attempt is refused with `expected` in the message, and the stored object is exactly as before. */
async function refused(actor: Actor, name: string, patch: Patch, expected: string): Promise<void> {
  const before = await stored(name);
  const result = await patchStatus(actor, name, patch(before));
  assert.notEqual(result.code, 0, `the API server accepted it: ${result.stdout}`);
  assert.ok(result.stderr.includes(expected), `expected "${expected}" in: ${result.stderr}`);
  const afterwards = await stored(name);
  assert.equal(afterwards.metadata.resourceVersion, before.metadata.resourceVersion, 'the stored object changed');
  assert.deepEqual(afterwards.status, before.status);
}

async function stored(name: string): Promise<Stored> {
  return JSON.parse((await ok(plane.kubectl(['get', 'ar', name, '-n', NS, '-o', 'json']))).stdout);
}

interface RequestShape {
  approvers: { users?: string[]; groups?: string[] };
  requiredApprovals: number;
  onBehalfOf?: string;
}

function requestFile(name: string, shape: RequestShape): string {
  const path = join(plane.dir, `approval-request-${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ApprovalRequest',
      metadata: { name, namespace: NS },
      spec: {
        requester: {
          identity: 'orders-agent',
          serviceAccount: `system:serviceaccount:${NS}:${REQUESTER_SA}`,
          pod: { name: 'orders-agent-7d9f', uid: '3f0c1e52-5b7a-4f0e-9a57-0d1f4d1c2b6e' },
          ...(shape.onBehalfOf ? { onBehalfOf: shape.onBehalfOf } : {}),
        },
        target: { name: 'orders-db', type: 'postgres' },
        operation: {
          text: 'DROP TABLE public.order_archive_2019',
          summary: 'DROP TABLE public.order_archive_2019',
          digest: `sha256:${'d4'.repeat(32)}`,
          sessionID: '01JDZ8Q4R6N3K2M7V5T9W1X0YA',
        },
        policy: { name: 'prod-databases', rule: 'ddl-needs-two-owners' },
        requiredApprovals: shape.requiredApprovals,
        approvers: shape.approvers,
        scope: 'once',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      },
    }),
  );
  return path;
}

async function createRequest(name: string, shape: RequestShape): Promise<void> {
  await ok(plane.kubectl(['create', '-f', requestFile(name, shape)], operator));
}

async function operatorSetsStatus(name: string, status: Record<string, unknown>): Promise<void> {
  await ok(
    plane.kubectl(['patch', 'ar', name, '-n', NS, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })], operator),
  );
}
