/**
 * The admission policy and the review rules agree: every case of the shared table
 * (crds/src/testing/review-cases.ts) runs on a real API server. The operator's service account
 * creates the request and sets its phase, earlier reviews are written by their own reviewers, then
 * the case's reviewer sends the patch kubectl approve sends. The API server must admit exactly the
 * reviews the rules (@airlock/crds review-rules.ts) say may be written, refuse the others with a
 * message that means what the rules' reason means, and the rules must count every admitted review.
 * The unit tests run the same table against the rules alone.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decideReviews, judgeReview, type ReviewRefusal, reviewRefusal } from '@airlock/contracts/approval';
import {
  AGENT_NAMESPACE,
  BOT_NAMESPACE,
  casePhase,
  caseRequest,
  REQUEST_NAMESPACE,
  REVIEW_CASES,
  REVIEWERS,
  type ReviewCase,
  type ReviewerName,
} from '@airlock/contracts/testing/review-cases';
import type { ApprovalRequest } from '@airlock/crds';
import { appendReviewPatch } from '@airlock/kubectl-approve/review-patch';
import {
  type AirlockInstallation,
  ControlPlane,
  installAirlock,
  installCrds,
  type KubectlResult,
  serviceAccountKubeconfig,
  TEST_USERS,
  type TestUserName,
} from '@airlock/testkit';
import { stringify } from 'yaml';

type Actor = { user: TestUserName } | { kubeconfigPath: string };

/** The table's service accounts, as namespace/name. */
const SERVICE_ACCOUNTS = {
  agent: [AGENT_NAMESPACE, 'agent-sa'],
  agentNeighbour: [AGENT_NAMESPACE, 'identity-sa'],
  requestNeighbour: [REQUEST_NAMESPACE, 'reviewer-bot'],
  bot: [BOT_NAMESPACE, 'reviewer-bot'],
} as const satisfies Partial<Record<ReviewerName, readonly [string, string]>>;

const PEOPLE = ['admin', 'alice', 'bob', 'carol', 'dave'] as const satisfies readonly (ReviewerName & TestUserName)[];

let plane: ControlPlane;
let install: AirlockInstallation;
const actors = new Map<ReviewerName, Actor>();

before(async () => {
  plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
  await installCrds(plane);
  install = await installAirlock(plane);
  for (const ns of [AGENT_NAMESPACE, REQUEST_NAMESPACE, BOT_NAMESPACE]) await ok(plane.kubectl(['create', 'namespace', ns]));
  for (const [ns, name] of Object.values(SERVICE_ACCOUNTS)) await ok(plane.kubectl(['create', 'serviceaccount', name, '-n', ns]));
  // Everyone may patch the status, so each refusal below is the admission policy's (or the CRD's), never RBAC's.
  await ok(
    plane.kubectl([
      'create',
      'clusterrolebinding',
      'review-rules-reviewers',
      '--clusterrole=airlock-reviewer',
      ...PEOPLE.map((p) => `--user=${TEST_USERS[p].name}`),
      ...Object.values(SERVICE_ACCOUNTS).map(([ns, name]) => `--serviceaccount=${ns}:${name}`),
    ]),
  );
  for (const person of PEOPLE) actors.set(person, { user: person });
  for (const [key, [ns, name]] of Object.entries(SERVICE_ACCOUNTS)) {
    actors.set(key as ReviewerName, { kubeconfigPath: (await serviceAccountKubeconfig(plane, ns, name)).kubeconfigPath });
  }
});
after(async () => plane?.stop());

test("the table's reviewers are who the API server authenticates, with the same groups", async () => {
  for (const person of PEOPLE) assert.equal(REVIEWERS[person].username, TEST_USERS[person].name);
  for (const [name, actor] of actors) {
    const whoami = JSON.parse((await ok(plane.kubectl(['auth', 'whoami', '-o', 'json'], actor))).stdout);
    const { username, groups } = whoami.status.userInfo as { username: string; groups: string[] };
    assert.equal(username, REVIEWERS[name].username, name);
    assert.deepEqual([...groups].sort(), [...REVIEWERS[name].groups].sort(), name);
  }
});

describe('the API server admits exactly the reviews the rules admit', () => {
  for (const c of REVIEW_CASES) {
    const verdict = c.expect.admitted ? `admitted, then ${c.expect.outcome}` : `refused: ${c.expect.refusal}`;
    test(`${c.name}: ${c.reviewer} ${c.decision === 'Approve' ? 'approves' : 'denies'} → ${verdict}`, async () => {
      await prepare(c);
      const current = await stored(c);
      const me = REVIEWERS[c.reviewer];
      const rules = reviewRefusal(current, me);
      // The rules say what the table says (the unit tests check the same); the server must agree with both.
      assert.equal(rules?.code, c.expect.admitted ? undefined : c.expect.refusal, 'the rules disagree with the table');
      const sent = await sendReview(c.reviewer, current, c.decision);
      if (!rules) {
        assert.equal(sent.code, 0, `the rules admit the review, the API server refused it: ${sent.stderr}`);
        const afterwards = await stored(c);
        const written = afterwards.status?.reviews?.find((r) => r.user === me.username);
        assert.ok(written, 'the admitted review is stored');
        assert.equal(judgeReview(afterwards, written).counts, true, 'an admitted review must count');
        assert.equal(decideReviews(afterwards, new Date()).phase, c.expect.admitted ? c.expect.outcome : undefined);
        return;
      }
      assert.notEqual(sent.code, 0, `the rules refuse the review (${rules.code}), the API server admitted it: ${sent.stdout}`);
      const meaning = refusalMeaning(rules, me.username);
      assert.ok(
        meaning.some((text) => sent.stderr.includes(text)),
        `the rules refuse with ${rules.code}; expected one of ${JSON.stringify(meaning)} in: ${sent.stderr}`,
      );
      const afterwards = await stored(c);
      assert.equal(afterwards.metadata.resourceVersion, current.metadata.resourceVersion, 'a refused review changed the stored object');
    });
  }
});

/**
 * What the API server says for each of the rules' reasons. Schema validation (the CRD rules and
 * the reviews list-map) answers before admission, so a requester's own names and a decided
 * request may be refused in the CRD's words (docs/adr/0008).
 */
function refusalMeaning(refusal: ReviewRefusal, username: string): string[] {
  switch (refusal.code) {
    case 'Decided':
      return ['reviews are closed'];
    case 'AlreadyReviewed':
      return ['Duplicate value'];
    case 'Requester':
      return [
        `${username} may not review this request: it is ${refusal.role.description}`,
        ...(refusal.role.kind === 'agent-service-account' || refusal.role.kind === 'on-behalf-of'
          ? ["a requester cannot review its own request: neither the agent's service account nor the person it acts for"]
          : []),
      ];
    case 'NotApprover':
      return [`${username} is not an approver of this request`];
  }
}

// --- helpers -------------------------------------------------------------------------------------

async function ok(result: Promise<KubectlResult>): Promise<KubectlResult> {
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  return r;
}

function actor(name: ReviewerName): Actor {
  const found = actors.get(name);
  if (!found) throw new Error(`no actor for ${name}`);
  return found;
}

const operator = (): Actor => ({ kubeconfigPath: install.operator.kubeconfigPath });

/** The request as the case needs it: created by the operator, earlier reviews by their reviewers, the phase set. */
async function prepare(c: ReviewCase): Promise<void> {
  const path = join(plane.dir, `review-case-${c.name}.yaml`);
  writeFileSync(path, stringify(caseRequest(c, new Date())));
  await ok(plane.kubectl(['create', '-f', path], operator()));
  const phase = casePhase(c);
  if (phase !== undefined) await operatorSetsStatus(c, { phase: 'Pending' });
  for (const earlier of c.before ?? []) {
    const sent = await sendReview(earlier.reviewer, await stored(c), earlier.decision);
    assert.equal(sent.code, 0, `setting up ${c.name}: the review of ${earlier.reviewer} was refused: ${sent.stderr}`);
  }
  if (phase !== undefined && phase !== 'Pending') {
    await operatorSetsStatus(c, { phase, decidedAt: new Date().toISOString(), message: `set by the test: ${phase}` });
  }
}

/** What kubectl approve sends: its own patch builder, as the reviewer, with the reviewer's authenticated groups. */
function sendReview(reviewer: ReviewerName, current: ApprovalRequest, decision: 'Approve' | 'Deny'): Promise<KubectlResult> {
  const patch = appendReviewPatch(current, {
    me: REVIEWERS[reviewer],
    decision,
    ...(decision === 'Deny' ? { reason: `${reviewer} says no` } : {}),
    now: new Date(),
  });
  const namespace = current.metadata.namespace ?? '';
  const name = current.metadata.name ?? '';
  return plane.kubectl(
    ['patch', 'ar', name, '-n', namespace, '--subresource=status', '--type=json', '-p', JSON.stringify(patch)],
    actor(reviewer),
  );
}

const namespaceOf = (c: ReviewCase): string => c.namespace ?? AGENT_NAMESPACE;

async function stored(c: ReviewCase): Promise<ApprovalRequest> {
  return JSON.parse((await ok(plane.kubectl(['get', 'ar', c.name, '-n', namespaceOf(c), '-o', 'json']))).stdout);
}

async function operatorSetsStatus(c: ReviewCase, status: Record<string, unknown>): Promise<void> {
  await ok(
    plane.kubectl(
      ['patch', 'ar', c.name, '-n', namespaceOf(c), '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })],
      operator(),
    ),
  );
}
