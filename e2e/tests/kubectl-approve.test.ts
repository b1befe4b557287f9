/**
 * `kubectl approve` end to end: the single-file bundle (built by the same function as
 * `make approve-plugin`) put on PATH as `kubectl-approve`, found and run by the real kubectl's
 * plugin discovery, against a real API server with the airlock CRDs, RBAC and the admission
 * policy that enforces segregation of duties. The operator's tally is not running here: the
 * tests create requests and set their phase as the operator's service account, as
 * segregation-of-duties.test.ts does, and check what the reviewers' reviews did.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordedEvent } from '@airlock/contracts/recording';
import { CHAIN_START, chainRecord, type StoredRecord } from '@airlock/contracts/recording';
import { GROUP, VERSION } from '@airlock/crds';
import { bundlePlugin } from '@airlock/kubectl-approve/bundle';
import { ApiClient, ApprovalApi } from '@airlock/kubectl-approve/kube';
import { FileIngestStore } from '@airlock/operator/recordings';
import {
  ControlPlane,
  installAirlock,
  installCrds,
  type KubectlResult,
  type ServiceAccountKubeconfig,
  serviceAccountKubeconfig,
  TEST_USERS,
  type TestUserName,
} from '@airlock/testkit';
import { stringify } from 'yaml';

const NS = 'agents';
const REQUESTER_SA = 'agent-sa';
const POD = 'orders-agent-7d9f';
const SESSION = '01JDZ8Q4R6N3K2M7V5T9W1X0YA';

type Actor = { user: TestUserName } | { kubeconfigPath: string };
// biome-ignore lint/suspicious/noExplicitAny: a stored ApprovalRequest, read by path
type Stored = Record<string, any>;
interface PluginResult extends KubectlResult {
  ms: number;
}

let plane: ControlPlane;
let operator: Actor;
let requester: ServiceAccountKubeconfig;
let binDir: string;
let recordings: string;

before(async () => {
  plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
  await installCrds(plane);
  const install = await installAirlock(plane);
  operator = { kubeconfigPath: install.operator.kubeconfigPath };
  await ok(plane.kubectl(['create', 'namespace', NS]));
  await ok(plane.kubectl(['create', 'serviceaccount', REQUESTER_SA, '-n', NS]));
  // Reviewers by group; the agent's own service account too, so its refusal is the policy's, not RBAC's.
  // dave gets nothing: his refusals are RBAC's.
  await ok(
    plane.kubectl([
      'create',
      'clusterrolebinding',
      'reviewers',
      '--clusterrole=airlock-reviewer',
      '--group=airlock-reviewers',
      `--serviceaccount=${NS}:${REQUESTER_SA}`,
    ]),
  );
  requester = await serviceAccountKubeconfig(plane, NS, REQUESTER_SA);
  binDir = join(plane.dir, 'plugin-bin');
  mkdirSync(binDir);
  const { bytes } = await bundlePlugin(join(binDir, 'kubectl-approve'));
  process.stderr.write(`# kubectl-approve bundle: ${Math.round(bytes / 1024)} KiB\n`);
  recordings = join(plane.dir, 'recordings');
  await recordSession();
});
after(async () => plane?.stop());

test("kubectl's plugin discovery finds and runs kubectl-approve from PATH", async () => {
  const listed = await kubectl(['plugin', 'list']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(listed.stdout.includes(join(binDir, 'kubectl-approve')), listed.stdout);
  const help = await approve(['--help'], { user: 'alice' });
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /kubectl approve list/);
  assert.match(help.stdout, /Exit status:/);
});

describe('list and show', () => {
  before(async () => {
    await createRequest('list-later', { expiresInMs: 3_600_000, text: 'DELETE FROM orders WHERE id = 42' });
    await createRequest('list-sooner', { expiresInMs: 600_000, text: 'UPDATE orders SET status = $1 WHERE id = 7' });
    await createRequest('list-denied', {});
    await operatorSetsStatus('list-denied', { phase: 'Pending', approvals: '0/2' });
    await operatorSetsStatus('list-denied', { phase: 'Denied', message: 'Denied by bob: no', decidedAt: new Date().toISOString() });
  });

  test('list shows pending requests, most urgent first, with requester, target, summary, approvals and expiry', async () => {
    const listed = await approve(['list', '-n', NS], { user: 'alice' });
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME +AGE +REQUESTER +TARGET +SUMMARY +APPROVALS +EXPIRES$/);
    const names = lines.slice(1).map((l) => l.split(/ +/)[0]);
    assert.ok(names.indexOf('list-sooner') < names.indexOf('list-later'), listed.stdout);
    assert.ok(!names.includes('list-denied'), 'a decided request is not pending');
    assert.match(
      listed.stdout,
      /list-sooner +\d+s +orders-agent +orders-db +UPDATE orders SET status = \$1 WHERE id = 7 +0\/2 +in (9m\d+s|10m)/,
    );
    const all = await approve(['list', '--all', '-A'], { user: 'alice' });
    assert.match(all.stdout, /^NAMESPACE +NAME +PHASE/);
    assert.match(all.stdout, /agents +list-denied +Denied .* - *\n/);
  });

  test('-o json is stable and is what the API server stores (without managedFields)', async () => {
    const first = await approve(['list', '-o', 'json', '-n', NS], { user: 'alice' });
    const second = await approve(['list', '-o', 'json', '-n', NS], { user: 'bob' });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, second.stdout, 'two listings of the same requests differ');
    const items = JSON.parse(first.stdout).items as Stored[];
    for (const item of items) {
      const { managedFields: _, ...metadata } = (await stored(item.metadata.name)).metadata;
      assert.deepEqual(item, { ...(await stored(item.metadata.name)), metadata });
    }
    const names = await approve(['list', '-o', 'name', '-n', NS], { user: 'alice' });
    assert.ok(names.stdout.split('\n').includes('approvalrequest.airlock.dev/list-sooner'));
  });

  test('show has the exact statement, digest, requester, pod, policy and rule, who you are, and the session before it', async () => {
    const shown = await approve(['show', 'list-later', '-n', NS, '--recordings', recordings], { user: 'alice' });
    assert.equal(shown.code, 0, shown.stderr);
    for (const expected of [
      'ApprovalRequest list-later in namespace agents',
      '  │ DELETE FROM orders WHERE id = 42',
      `sha256:${'d4'.repeat(32)}`,
      `system:serviceaccount:${NS}:${REQUESTER_SA}`,
      `${POD} (uid `,
      'ApprovalPolicy prod-databases, rule writes-need-approval',
      'alice@example.com — you may review it as a member of group db-owners',
      'hash chain verified, 11 records',
      'SELECT count(*) FROM orders',
      'TRUNCATE orders',
      'error 42501: denied by rule no-truncate',
    ]) {
      assert.ok(shown.stdout.includes(expected), `missing ${JSON.stringify(expected)} in:\n${shown.stdout}`);
    }
    const json = await approve(['show', 'list-later', '-n', NS, '-o', 'json'], { user: 'alice' });
    assert.equal(JSON.parse(json.stdout).spec.operation.text, 'DELETE FROM orders WHERE id = 42');
  });
});

describe('evidence: what the command would do, previewed before approval', () => {
  const evidence = {
    source: 'DryRun',
    summary: 'would delete deployment orders and, by propagation, 1 replicaset and 2 pods',
    text: 'deployment.apps/orders -n prod-eu\n  replicaset.apps/orders-6d4cf56db6\n    pod/orders-6d4cf56db6-2xk9q\n    pod/orders-\u001b[2K6d4cf56db6-8mzlp',
    complete: false,
    notes: ['events of the pods: not listed'],
    collectedAt: '2026-11-21T13:23:00Z',
  };
  const kubernetesTarget = { name: 'prod-eu-cluster', type: 'kubernetes' } as const;
  const deleteRequest = 'DELETE /apis/apps/v1/namespaces/prod-eu/deployments/orders';

  test('show prints the evidence after the request, escaped, and says the approval binds to the digest', async () => {
    await createRequest('with-evidence', { target: kubernetesTarget, text: deleteRequest, evidence });
    const shown = await approve(['show', 'with-evidence', '-n', NS], { user: 'alice' });
    assert.equal(shown.code, 0, shown.stderr);
    for (const expected of [
      `  │ ${deleteRequest}`,
      'Evidence (dry run: the same request sent upstream with dryRun=All, nothing stored), collected ',
      ' ago at 2026-11-21T13:23:00Z:',
      'collected before approval; the approval binds to the digest, not to this',
      '  would delete deployment orders and, by propagation, 1 replicaset and 2 pods',
      '  ┆   replicaset.apps/orders-6d4cf56db6',
      '  ┆     pod/orders-\\u{001B}[2K6d4cf56db6-8mzlp',
      '  incomplete: events of the pods: not listed',
    ]) {
      assert.ok(shown.stdout.includes(expected), `missing ${JSON.stringify(expected)} in:\n${shown.stdout}`);
    }
    assert.ok(!shown.stdout.includes('\u001b'), 'an escape sequence from the evidence reached the terminal');
    const json = JSON.parse((await approve(['show', 'with-evidence', '-n', NS, '-o', 'json'], { user: 'alice' })).stdout);
    assert.deepEqual(json.spec.evidence, evidence);
  });

  test('the API server refuses evidence from an unknown source or with a summary over 256 characters', async () => {
    const unknownSource = await plane.kubectl(
      [
        'create',
        '-f',
        requestManifest('evidence-unknown-source', { target: kubernetesTarget, evidence: { ...evidence, source: 'Guess' } }),
      ],
      operator,
    );
    assert.notEqual(unknownSource.code, 0, unknownSource.stdout);
    assert.match(unknownSource.stderr, /spec\.evidence\.source: Unsupported value: "Guess"/);
    const longSummary = await plane.kubectl(
      [
        'create',
        '-f',
        requestManifest('evidence-long-summary', { target: kubernetesTarget, evidence: { ...evidence, summary: 'x'.repeat(257) } }),
      ],
      operator,
    );
    assert.notEqual(longSummary.code, 0, longSummary.stdout);
    assert.match(longSummary.stderr, /spec\.evidence\.summary: Too long: may not be (longer|more) than 256/);
  });
});

describe('approve and deny', () => {
  test('alice approves: her review names her and the groups the API server authenticated', async () => {
    await pendingRequest('approve-one', { requiredApprovals: 1 });
    const done = await approve(['approve-one', '-n', NS, '--reason', 'archive is backed up'], { user: 'alice' });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      done.stdout,
      'approvalrequest.airlock.dev/approve-one approved by alice@example.com (1 of 1 approval; the operator approves it)\n',
    );
    const [review] = (await stored('approve-one')).status.reviews;
    assert.equal(review.user, TEST_USERS.alice.name);
    assert.deepEqual(review.groups, await whoamiGroups('alice'));
    assert.equal(review.decision, 'Approve');
    assert.equal(review.reason, 'archive is backed up');
  });

  test('bob denies; without a reason (no terminal to ask on) nothing is written', async () => {
    await pendingRequest('deny-one', { requiredApprovals: 1 });
    const noReason = await approve(['deny-one', '-n', NS, '--deny'], { user: 'bob' });
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /^error \(Usage\): --deny needs --reason TEXT/);
    assert.equal((await stored('deny-one')).status.reviews, undefined);
    const denied = await approve(['deny-one', '-n', NS, '--deny', '--reason', 'not during the sale'], { user: 'bob' });
    assert.equal(denied.code, 0, denied.stderr);
    assert.match(denied.stdout, /deny-one denied by bob@example.com/);
    const [review] = (await stored('deny-one')).status.reviews;
    assert.deepEqual([review.user, review.decision, review.reason], [TEST_USERS.bob.name, 'Deny', 'not during the sale']);
  });

  test('two of N: alice and bob approve, the operator decides', async () => {
    await pendingRequest('two-of-n', { requiredApprovals: 2 });
    const first = await approve(['two-of-n', '-n', NS], { user: 'alice' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /\(1 of 2 approvals; the operator waits for more\)/);
    // bob picks his context from a merged KUBECONFIG, as a reviewer with several clusters would.
    const second = await approve(['two-of-n', '-n', NS, '--context', TEST_USERS.bob.name], {
      kubeconfigPath: `${plane.kubeconfigPath('alice')}:${plane.kubeconfigPath('bob')}`,
    });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /approved by bob@example.com \(2 of 2 approvals; the operator approves it\)/);
    assert.deepEqual(
      (await stored('two-of-n')).status.reviews.map((r: Stored) => [r.user, r.decision]),
      [
        [TEST_USERS.alice.name, 'Approve'],
        [TEST_USERS.bob.name, 'Approve'],
      ],
    );
    await operatorSetsStatus('two-of-n', { phase: 'Approved', approvals: '2/2', decidedAt: new Date().toISOString() });
    const listed = JSON.parse((await approve(['list', '--all', '-o', 'json', '-n', NS], { user: 'carol' })).stdout);
    assert.equal(listed.items.find((i: Stored) => i.metadata.name === 'two-of-n').status.phase, 'Approved');
  });

  test('--kubeconfig is honoured over KUBECONFIG', async () => {
    await pendingRequest('explicit-kubeconfig', { requiredApprovals: 1 });
    const done = await approve(['explicit-kubeconfig', '-n', NS, '--kubeconfig', plane.kubeconfigPath('bob')], {
      kubeconfigPath: join(plane.dir, 'no-such-kubeconfig'),
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal((await stored('explicit-kubeconfig')).status.reviews[0].user, TEST_USERS.bob.name);
  });
});

test('a review written between reading and patching: the plugin reads again and appends, never overwrites', async () => {
  await pendingRequest('race', { requiredApprovals: 2 });
  const api = new ApprovalApi(new ApiClient(plane.kubeConfig('alice')));
  const stale = await api.get(NS, 'race');
  assert.equal(stale.status?.reviews, undefined);
  assert.equal((await approve(['race', '-n', NS], { user: 'bob' })).code, 0);
  // alice's first-review patch would create the list bob already created; its resourceVersion test fails, and it retries.
  const updated = await api.appendReview(stale, { me: await api.whoami(), decision: 'Approve', now: new Date() }, () => undefined);
  assert.deepEqual(
    updated.status?.reviews?.map((r) => r.user),
    [TEST_USERS.bob.name, TEST_USERS.alice.name],
  );
});

describe('refusals: clear messages and exit codes scripts can rely on', () => {
  test("the requester's service account, holding airlock-reviewer, approves its own request: exit 7, the API server's message", async () => {
    await pendingRequest('self-approval', { requiredApprovals: 1 });
    const before = await stored('self-approval');
    const tried = await approve(['self-approval', '-n', NS], { kubeconfigPath: requester.kubeconfigPath });
    assert.equal(tried.code, 7, tried.stderr);
    assert.match(tried.stderr, /^error \(SelfReview\): system:serviceaccount:agents:agent-sa cannot review agents\/self-approval/);
    assert.match(tried.stderr, /The API server said: .*a requester cannot review its own request/);
    assert.equal((await stored('self-approval')).metadata.resourceVersion, before.metadata.resourceVersion);
  });

  test('the person the agent acts for approves: exit 7', async () => {
    await pendingRequest('on-behalf-of-carol', { requiredApprovals: 1, groups: ['db-owners', 'sre'], onBehalfOf: TEST_USERS.carol.name });
    const tried = await approve(['on-behalf-of-carol', '-n', NS], { user: 'carol' });
    assert.equal(tried.code, 7, tried.stderr);
    assert.match(tried.stderr, /a requester cannot review its own request/);
  });

  test('carol, a reviewer outside the approver group: exit 6, the message names the missing group', async () => {
    await pendingRequest('db-owners-only', { requiredApprovals: 1 });
    const tried = await approve(['db-owners-only', '-n', NS], { user: 'carol' });
    assert.equal(tried.code, 6, tried.stderr);
    assert.match(
      tried.stderr,
      /^error \(NotApprover\): carol@example.com is not an approver of agents\/db-owners-only: reviewing it needs membership in group db-owners; your groups are sre, airlock-reviewers, system:authenticated/,
    );
    assert.match(tried.stderr, /The API server said: .*carol@example.com is not an approver of this request/);
  });

  test('dave, without the reviewer role: exit 6, the message names the permission and the role', async () => {
    const tried = await approve(['db-owners-only', '-n', NS], { user: 'dave' });
    assert.equal(tried.code, 6, tried.stderr);
    assert.match(
      tried.stderr,
      /^error \(Forbidden\): dave@example.com may not get approvalrequests.airlock.dev in namespace agents \(RBAC\)/,
    );
    assert.match(tried.stderr, /ClusterRole airlock-reviewer/);
    const listed = await approve(['list', '-A'], { user: 'dave' });
    assert.equal(listed.code, 6);
    assert.match(listed.stderr, /may not list approvalrequests.airlock.dev in all namespaces/);
  });

  test('not found: exit 3', async () => {
    const tried = await approve(['no-such-request', '-n', NS], { user: 'alice' });
    assert.equal(tried.code, 3);
    assert.equal(
      tried.stderr,
      'error (NotFound): ApprovalRequest no-such-request not found in namespace agents: kubectl approve list -n agents shows the pending ones, kubectl approve list -A all namespaces\n',
    );
    assert.equal((await approve(['show', 'no-such-request', '-n', NS], { user: 'alice' })).code, 3);
  });

  test('already decided: exit 4; already reviewed: exit 8; expired: exit 5; another digest: exit 9', async () => {
    const decided = await approve(['list-denied', '-n', NS], { user: 'alice' });
    assert.equal(decided.code, 4, decided.stderr);
    assert.match(
      decided.stderr,
      /^error \(AlreadyDecided\): agents\/list-denied is already Denied \(decided \d+s ago\): Denied by bob: no\. Reviews are closed/,
    );
    const again = await approve(['approve-one', '-n', NS], { user: 'alice' });
    // approve-one is still Pending here (the tally does not run), and alice reviewed it.
    assert.equal(again.code, 8, again.stderr);
    assert.match(again.stderr, /^error \(AlreadyReviewed\): you \(alice@example.com\) already reviewed agents\/approve-one: Approve/);
    await pendingRequest('expired', { requiredApprovals: 1, expiresInMs: -60_000 });
    const expired = await approve(['expired', '-n', NS], { user: 'alice' });
    assert.equal(expired.code, 5, expired.stderr);
    assert.match(expired.stderr, /^error \(Expired\): agents\/expired expired \d+s ago/);
    const pinned = await approve(['db-owners-only', '-n', NS, '--digest', `sha256:${'00'.repeat(32)}`], { user: 'alice' });
    assert.equal(pinned.code, 9, pinned.stderr);
    assert.match(pinned.stderr, /^error \(DigestMismatch\)/);
    assert.equal((await stored('db-owners-only')).status.reviews, undefined);
  });
});

test('watch streams a new pending request through the open watch, without listing again', async () => {
  const watchNs = 'watched';
  await ok(plane.kubectl(['create', 'namespace', watchNs]));
  const watcher = startPlugin(['watch', '-n', watchNs, '-v=6'], { user: 'alice' });
  try {
    await watcher.waitFor(() => /\(watch\)/.test(watcher.stderr), 'the watch to open');
    const requestsBefore = requestLog(watcher.stderr);
    assert.equal(requestsBefore.filter((r) => r.list).length, 1, watcher.stderr);

    const created = Date.now();
    await createRequest('watched-one', { namespace: watchNs });
    const createdDone = Date.now();
    await watcher.waitFor(() => watcher.stdout.includes('name=watched-one'), 'the new request to be printed');
    const seen = watcher.seenAt('name=watched-one') ?? Date.now();
    process.stderr.write(
      `# watch latency: ${seen - createdDone} ms after kubectl create returned (${seen - created} ms after it started)\n`,
    );
    assert.match(
      watcher.stdout,
      /^event=pending namespace=watched name=watched-one phase=Pending requester=orders-agent target=orders-db approvals=0\/2 /m,
    );

    await operatorSetsStatus('watched-one', { phase: 'Pending', approvals: '0/2' }, watchNs);
    await operatorSetsStatus('watched-one', { phase: 'Withdrawn', message: 'the agent cancelled it' }, watchNs);
    await watcher.waitFor(() => watcher.stdout.includes('event=withdrawn'), 'the phase change to be printed');
    const requestsAfter = requestLog(watcher.stderr);
    assert.equal(requestsAfter.filter((r) => r.list).length, 1, `the plugin listed again:\n${watcher.stderr}`);
    assert.equal(requestsAfter.filter((r) => r.watch).length, 1, watcher.stderr);
    assert.equal(watcher.stdout.trimEnd().split('\n').length, 2, watcher.stdout);
  } finally {
    watcher.stop();
  }
  assert.equal(await watcher.exited, 130);
});

test('watch on a terminal shows each pending request and asks approve / deny / skip', async (t) => {
  if (spawnSync('tmux', ['-V']).status !== 0) {
    t.skip('tmux is not installed: it gives the plugin a real terminal');
    return;
  }
  const termNs = 'interactive';
  await ok(plane.kubectl(['create', 'namespace', termNs]));
  const socket = join(plane.dir, 'tmux.sock');
  const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  const env = pluginEnv({ user: 'alice' });
  const command = `env PATH=${env.PATH} KUBECONFIG=${env.KUBECONFIG} HOME=${env.HOME} TERM=xterm-256color kubectl approve watch -n ${termNs}; echo "exit status $?"; sleep 60`;
  assert.equal(tmux('new-session', '-d', '-s', 'reviewer', '-x', '200', '-y', '100', command).status, 0);
  const screen = () => tmux('capture-pane', '-p', '-J', '-S', '-1000', '-t', 'reviewer').stdout;
  const waitForScreen = async (text: string) => {
    const deadline = Date.now() + 30_000;
    while (!screen().includes(text)) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${JSON.stringify(text)} on the screen:\n${screen()}`);
      await sleep(50);
    }
  };
  const type = (...keys: string[]) => assert.equal(tmux('send-keys', '-t', 'reviewer', ...keys).status, 0);
  try {
    await waitForScreen(`Watching for pending ApprovalRequests in namespace ${termNs} as alice@example.com`);
    await pendingRequest('terminal-one', { namespace: termNs, requiredApprovals: 1 });
    await waitForScreen(`Approve, deny or skip ${termNs}/terminal-one? [a/d/s/q]`);
    const shown = screen();
    assert.ok(shown.includes('  │ DELETE FROM orders\n  │ WHERE id = 42'), shown);
    assert.ok(shown.includes('laid out for reading (whitespace only)'), shown);
    type('a', 'Enter');
    await waitForScreen('Reason (optional):');
    type('checked on a terminal', 'Enter');
    await waitForScreen('terminal-one approved by alice@example.com');
    const [approved] = (await stored('terminal-one', termNs)).status.reviews;
    assert.deepEqual([approved.user, approved.decision, approved.reason], [TEST_USERS.alice.name, 'Approve', 'checked on a terminal']);

    await pendingRequest('terminal-two', { namespace: termNs, requiredApprovals: 1 });
    await waitForScreen(`Approve, deny or skip ${termNs}/terminal-two?`);
    type('d', 'Enter');
    await waitForScreen('Reason (required):');
    type('Enter');
    type('too risky today', 'Enter');
    await waitForScreen('terminal-two denied by alice@example.com');
    const [denied] = (await stored('terminal-two', termNs)).status.reviews;
    assert.deepEqual([denied.decision, denied.reason], ['Deny', 'too risky today']);

    type('C-c');
    // The shell around the plugin prints its exit status (tmux's pane_dead_status is not reliable).
    await waitForScreen('exit status ');
    assert.match(screen(), /^exit status 130$/m);
  } finally {
    tmux('kill-server');
  }
});

// --- helpers -------------------------------------------------------------------------------------

function pluginEnv(actor: Actor): NodeJS.ProcessEnv {
  const kubeconfig = 'user' in actor ? plane.kubeconfigPath(actor.user) : actor.kubeconfigPath;
  return {
    // The plugin first, then this Node (24) for its #!/usr/bin/env node, then kubectl.
    PATH: [binDir, dirname(process.execPath), dirname(plane.binaries.kubectl), '/usr/bin', '/bin'].join(':'),
    KUBECONFIG: kubeconfig,
    HOME: plane.dir,
  };
}

function kubectl(args: string[], actor: Actor = { user: 'admin' }): Promise<PluginResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(plane.binaries.kubectl, args, { stdio: ['ignore', 'pipe', 'pipe'], env: pluginEnv(actor) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - started }));
  });
}

/** `kubectl approve ARGS` as the actor, through kubectl's plugin discovery. */
function approve(args: string[], actor: Actor): Promise<PluginResult> {
  return kubectl(['approve', ...args], actor);
}

interface RunningPlugin {
  readonly stdout: string;
  readonly stderr: string;
  readonly exited: Promise<number | null>;
  waitFor(condition: () => boolean, what: string): Promise<void>;
  /** When a line containing `text` arrived on stdout. */
  seenAt(text: string): number | undefined;
  stop(): void;
}

function startPlugin(args: string[], actor: Actor): RunningPlugin {
  const child: ChildProcess = spawn(plane.binaries.kubectl, ['approve', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: pluginEnv(actor),
  });
  let stdout = '';
  let stderr = '';
  const arrivals: { at: number; text: string }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    arrivals.push({ at: Date.now(), text: d });
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + 15 : null))));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    async waitFor(condition, what) {
      const deadline = Date.now() + 30_000;
      while (!condition()) {
        if (Date.now() > deadline || child.exitCode !== null) assert.fail(`timed out waiting for ${what}:\n${stdout}\n${stderr}`);
        await sleep(20);
      }
    },
    seenAt: (text) => arrivals.find((a) => a.text.includes(text))?.at,
    stop: () => child.kill('SIGINT'),
  };
}

/** The API requests the plugin logged at -v 6: which were lists and which watches. */
function requestLog(stderr: string): { list: boolean; watch: boolean }[] {
  return stderr
    .split('\n')
    .filter((l) => /^kubectl-approve: GET \S+\/approvalrequests\S* /.test(l))
    .map((l) => ({ watch: l.includes('watch=true'), list: !l.includes('watch=true') }));
}

async function ok(result: Promise<KubectlResult>): Promise<KubectlResult> {
  const r = await result;
  assert.equal(r.code, 0, r.stderr);
  return r;
}

async function whoamiGroups(user: TestUserName): Promise<string[]> {
  return JSON.parse((await ok(plane.kubectl(['auth', 'whoami', '-o', 'json'], { user }))).stdout).status.userInfo.groups;
}

async function stored(name: string, namespace = NS): Promise<Stored> {
  return JSON.parse((await ok(plane.kubectl(['get', 'ar', name, '-n', namespace, '-o', 'json']))).stdout);
}

interface RequestShape {
  namespace?: string;
  requiredApprovals?: number;
  groups?: string[];
  onBehalfOf?: string;
  expiresInMs?: number;
  text?: string;
  target?: { name: string; type: 'postgres' | 'ssh' | 'http' | 'kubernetes' };
  /** spec.evidence as the operator copies it from the sidecar's draft; any shape, to test what the API server refuses. */
  evidence?: Record<string, unknown>;
}

async function createRequest(name: string, shape: RequestShape): Promise<void> {
  await ok(plane.kubectl(['create', '-f', requestManifest(name, shape)], operator));
}

/** The ApprovalRequest as the operator would create it, written to a file for `kubectl create -f`. */
function requestManifest(name: string, shape: RequestShape): string {
  const namespace = shape.namespace ?? NS;
  const text = shape.text ?? 'DELETE FROM orders WHERE id = 42';
  const path = join(plane.dir, `approval-request-${namespace}-${name}.yaml`);
  writeFileSync(
    path,
    stringify({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ApprovalRequest',
      metadata: { name, namespace },
      spec: {
        requester: {
          identity: 'orders-agent',
          serviceAccount: `system:serviceaccount:${NS}:${REQUESTER_SA}`,
          pod: { name: POD, uid: '3f0c1e52-5b7a-4f0e-9a57-0d1f4d1c2b6e' },
          ...(shape.onBehalfOf ? { onBehalfOf: shape.onBehalfOf } : {}),
        },
        target: shape.target ?? { name: 'orders-db', type: 'postgres' },
        operation: { text, summary: text, digest: `sha256:${'d4'.repeat(32)}`, sessionID: SESSION, sequence: 3 },
        policy: { name: 'prod-databases', rule: 'writes-need-approval' },
        requiredApprovals: shape.requiredApprovals ?? 2,
        approvers: { groups: shape.groups ?? ['db-owners'] },
        scope: 'once',
        expiresAt: new Date(Date.now() + (shape.expiresInMs ?? 3_600_000)).toISOString(),
        ...(shape.evidence ? { evidence: shape.evidence } : {}),
      },
    }),
  );
  return path;
}

async function pendingRequest(name: string, shape: RequestShape): Promise<void> {
  await createRequest(name, shape);
  await operatorSetsStatus(name, { phase: 'Pending', approvals: `0/${shape.requiredApprovals ?? 2}` }, shape.namespace);
}

async function operatorSetsStatus(name: string, status: Record<string, unknown>, namespace = NS): Promise<void> {
  await ok(
    plane.kubectl(
      ['patch', 'ar', name, '-n', namespace, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })],
      operator,
    ),
  );
}

/** The agent's session before its held statement, stored the way the operator's broker stores it. */
async function recordSession(): Promise<void> {
  const events: RecordedEvent[] = [
    {
      type: 'session.open',
      sessionId: SESSION,
      protocol: 'postgres',
      target: { name: 'orders-db', namespace: NS },
      principal: {
        identity: 'orders-agent',
        namespace: NS,
        serviceAccount: `system:serviceaccount:${NS}:${REQUESTER_SA}`,
        pod: { name: POD, uid: '3f0c1e52-5b7a-4f0e-9a57-0d1f4d1c2b6e' },
        groups: [],
      },
      clientAddress: '127.0.0.1:40000',
    },
    { type: 'statement', statementIndex: 0, text: 'SELECT count(*) FROM orders', flavour: 'simple' },
    { type: 'decision', statementIndex: 0, action: 'allow', effective: 'allow', mode: 'enforce', rule: 'reads', reason: 'reads' },
    { type: 'result', statementIndex: 0, commandTag: 'SELECT 1', rows: 1 },
    { type: 'statement', statementIndex: 1, text: 'TRUNCATE orders', flavour: 'simple' },
    { type: 'decision', statementIndex: 1, action: 'deny', effective: 'deny', mode: 'enforce', rule: 'no-truncate', reason: 'no' },
    { type: 'error', statementIndex: 1, code: 'Denied', message: 'denied by rule no-truncate', sqlstate: '42501' },
    { type: 'statement', statementIndex: 2, text: 'BEGIN', flavour: 'simple' },
    { type: 'result', statementIndex: 2, commandTag: 'BEGIN' },
    { type: 'statement', statementIndex: 3, text: 'DELETE FROM orders WHERE id = 42', flavour: 'simple' },
    { type: 'decision', statementIndex: 3, action: 'requireApproval', effective: 'requireApproval', mode: 'enforce', reason: 'writes' },
  ];
  const records: StoredRecord[] = [];
  let head = CHAIN_START;
  for (const [i, event] of events.entries()) {
    const record = chainRecord(head, SESSION, new Date(Date.UTC(2026, 10, 21, 13, 0, i)), event);
    records.push(record);
    head = { seq: record.seq + 1, hash: record.hash };
  }
  await new FileIngestStore(recordings, { fsync: 'never' }).append({ namespace: NS, pod: POD, sessionId: SESSION }, records);
}
