/**
 * Held Kubernetes requests and the agent that asked for them, through the whole sidecar in front
 * of a real kube-apiserver with an audit log. The approval gate is the in-process one, so the test
 * acts as the reviewer. The delete the agent sends carries a User-Agent of its own; the evidence's
 * dry run does not (the sidecar sends it itself), so the audit log tells the two apart.
 *
 * - The agent goes away while its delete is held: the ApprovalRequest is withdrawn, a late
 *   approval is refused, and the delete never reaches the API server.
 * - Approved: the delete runs exactly once, the agent's answer says which request held it, and
 *   the reviewer saw the dry run's evidence.
 * - Denied: a 403 Status that names the request; nothing runs.
 * - The agent gone before the hold began (it sent the delete and closed at once): the request
 *   must not be held for nobody, and an approval must not run it unseen.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { ControlPlane, eventually } from '@airlock/testkit';
import type { HeldRequest } from '../../in-process/in-process-gate.ts';
import { type AgentAnswer, agentRequest, json } from './testing/agent-request.ts';
import { DirectApi, requestsBy } from './testing/api-server.ts';
import { type KubernetesSidecarFixture, startKubernetesSidecar } from './testing/kubernetes-sidecar-fixture.ts';

const NS = 'held';
const REVIEWER = { user: 'carol@example.com', groups: ['sre'] };

const POLICY: ApprovalPolicySpec = {
  rules: [
    {
      name: 'held-deletes',
      match: { kubernetes: { verbs: ['delete'], resources: ['configmaps'], namespaces: [NS] } },
      action: 'requireApproval',
      approval: { approvers: { groups: ['sre'] }, requiredApprovals: 1, ttl: '5m' },
    },
    { name: 'reads', match: { kubernetes: { verbs: ['get', 'list', 'watch'] } }, action: 'allow' },
  ],
  defaultAction: 'deny',
};

let plane: ControlPlane;
let direct: DirectApi;
let fixture: KubernetesSidecarFixture;

before(async () => {
  plane = await ControlPlane.start({ controllers: false, auditLog: true, log: (line) => process.stderr.write(`# ${line}\n`) });
  direct = new DirectApi(plane);
  await direct.createAll('/api/v1/namespaces', [{ metadata: { name: NS } }]);
  await direct.createAll(
    `/api/v1/namespaces/${NS}/configmaps`,
    ['left-behind', 'approved', 'denied', 'gone-early'].map((name) => ({ metadata: { name }, data: { owner: 'team-a' } })),
  );
  fixture = await startKubernetesSidecar({
    credentials: { server: plane.server, caBundle: plane.caPem, token: plane.token('admin') },
    policy: POLICY,
  });
});

after(async () => {
  await fixture?.close();
  direct?.close();
  await plane?.stop();
});

/** The next request the gate holds. */
function nextHeld(): Promise<HeldRequest> {
  return new Promise((resolve) => {
    const stop = fixture.gate.onRequest((request) => {
      stop();
      resolve(request);
    });
  });
}

/** kubectl delete's request: a DELETE with DeleteOptions in the body. */
function deleteConfigMap(name: string, userAgent: string, signal?: AbortSignal): Promise<AgentAnswer> {
  return agentRequest(fixture.port, {
    method: 'DELETE',
    path: `/api/v1/namespaces/${NS}/configmaps/${name}`,
    headers: { 'user-agent': userAgent, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }),
    ...(signal ? { signal } : {}),
  });
}

const exists = async (name: string) => (await direct.send('GET', `/api/v1/namespaces/${NS}/configmaps/${name}`)).statusCode === 200;

/** Deletes of `name` in the audit log that the agent did not send: the evidence's dry runs. */
const dryRunDeletes = (events: Awaited<ReturnType<DirectApi['syncAudit']>>, name: string, agentUserAgent: string) =>
  events.filter(
    (event) =>
      event.verb === 'delete' &&
      event.stage === 'ResponseComplete' &&
      event.objectRef?.name === name &&
      event.userAgent !== agentUserAgent &&
      !event.userAgent?.startsWith('airlock-test-direct'),
  );

describe('a held delete', () => {
  test('the agent leaves while it is held: withdrawn, and the delete never reaches the API server', async () => {
    const userAgent = 'airlock-test/held-then-gone';
    const held = nextHeld();
    const abort = new AbortController();
    const answer = deleteConfigMap('left-behind', userAgent, abort.signal).catch((error: Error) => error);
    const request = await held;
    assert.equal(request.phase, 'Pending');
    assert.ok(request.spec.evidence, 'the dry run evidence is in the draft');
    abort.abort();
    assert.ok((await answer) instanceof Error, 'the agent gave up before any answer');
    await eventually('the request withdrawn', () => (request.phase === 'Withdrawn' ? true : undefined));
    assert.throws(() => fixture.gate.approve(request.name, REVIEWER), { code: 'AlreadyDecided' });
    const events = await direct.syncAudit();
    assert.deepEqual(requestsBy(events, userAgent), [], 'the agent’s delete never went upstream');
    assert.ok(await exists('left-behind'));
  });

  test('approved: runs exactly once, with the evidence of its dry run shown first', async () => {
    const userAgent = 'airlock-test/held-then-approved';
    const held = nextHeld();
    const answer = deleteConfigMap('approved', userAgent);
    const request = await held;
    const evidence = request.spec.evidence;
    assert.ok(evidence, 'evidence in the draft');
    assert.equal(evidence.source, 'DryRun');
    assert.match(evidence.text ?? '', /approved/);
    assert.ok(await exists('approved'), 'the dry run deleted nothing');
    // Nothing of the agent's request went upstream while it was held.
    assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), []);
    fixture.gate.approve(request.name, REVIEWER);
    const done = await answer;
    assert.equal(done.statusCode, 200, done.body.toString());
    assert.match(String(done.headers.warning), new RegExp(`airlock: held for approval as ApprovalRequest ${request.name}`));
    await eventually('the execution reported', () => (request.phase === 'Executed' ? true : undefined));
    const events = await direct.syncAudit();
    const deletes = requestsBy(events, userAgent);
    assert.equal(deletes.length, 1, JSON.stringify(deletes));
    assert.equal(deletes[0]?.verb, 'delete');
    assert.equal(deletes[0]?.responseStatus?.code, 200);
    assert.ok(dryRunDeletes(events, 'approved', userAgent).length >= 1, 'the evidence came from a dry run at the API server');
    assert.equal(await exists('approved'), false);
  });

  test('denied: a 403 Status naming the request, and nothing runs', async () => {
    const userAgent = 'airlock-test/held-then-denied';
    const held = nextHeld();
    const answer = deleteConfigMap('denied', userAgent);
    const request = await held;
    fixture.gate.deny(request.name, REVIEWER, 'not during the freeze');
    const done = await answer;
    assert.equal(done.statusCode, 403);
    const status = json(done);
    assert.equal(status.kind, 'Status');
    assert.match(status.message, /^airlock: /);
    assert.match(status.message, /not during the freeze/);
    assert.match(String(done.headers.warning), new RegExp(request.name));
    assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), []);
    assert.ok(await exists('denied'));
  });
});

describe('an agent that leaves before the hold begins', () => {
  test('a delete sent and the connection closed at once: not held for nobody, and an approval does not run it', async () => {
    const userAgent = 'airlock-test/gone-before-hold';
    const held = nextHeld();
    const body = JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
    const socket = connect(fixture.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      [
        `DELETE /api/v1/namespaces/${NS}/configmaps/gone-early HTTP/1.1`,
        'Host: 127.0.0.1',
        `User-Agent: ${userAgent}`,
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'),
      () => socket.destroy(),
    );
    const request = await Promise.race([held, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5_000))]);
    if (request === undefined) {
      // Not held at all is a right answer too — nobody is waiting — as long as nothing ran.
      assert.ok(await exists('gone-early'), 'the ConfigMap is still there');
      assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), []);
      return;
    }
    const withdrawn = await eventually('the request withdrawn', () => (request.phase === 'Withdrawn' ? true : undefined), {
      timeoutMs: 10_000,
    }).catch(() => false);
    let ran = false;
    if (!withdrawn) {
      fixture.gate.approve(request.name, REVIEWER);
      ran = await eventually('the approved delete to run', async () => ((await exists('gone-early')) ? undefined : true), {
        timeoutMs: 10_000,
      }).catch(() => false);
    }
    assert.equal(withdrawn, true, `ApprovalRequest ${request.name} is ${request.phase} though its agent is gone`);
    assert.equal(ran, false, 'the approved delete ran with nobody waiting for it');
    assert.deepEqual(requestsBy(await direct.syncAudit(), userAgent), []);
  });
});
