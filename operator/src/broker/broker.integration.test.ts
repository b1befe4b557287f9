/**
 * The broker end to end on a real control plane and a real PostgreSQL: the broker runs in-process
 * as the operator's service account (installed RBAC and admission policy), sidecars run in broker
 * mode with TokenRequest tokens bound to pods created in the API server — one in-process, one as a
 * real `node sidecar/src/main.ts --broker` process — and psql goes through them. Reviewers are real
 * users writing reviews with kubectl; the tally the operator's reconciler does is stood in for by
 * the test writing the phase as the operator.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { operationDigest } from '@airlock/contracts/approval';
import { type ApprovalDraft, BROKER_PATHS, type CreateApprovalResponse, type SidecarConfig } from '@airlock/contracts/broker';
import { verifyJsonl } from '@airlock/contracts/recording';
import {
  certificateBlob,
  loginCertificateProblem,
  parseUserCertificate,
  readSshPrivateKey,
  sshFingerprint,
} from '@airlock/contracts/ssh-certificates';
import type { ApprovalRequest, ApprovalRequestStatus } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import { BrokerClient, BrokerCredentialSource, BrokerError, type BrokerSidecar, SqlClassifier, startBrokerSidecar } from '@airlock/sidecar';
import { generateSshKeyPair, runPsql } from '@airlock/testkit';
import pg from 'pg';
import { collectionPath, objectPath } from '../kube/client.ts';
import { KINDS } from '../kube/kinds.ts';
import type { PodObject } from './pod-authenticator.ts';
import {
  type BrokerCluster,
  eventually,
  IDENTITY,
  MASKING_KEY,
  NS,
  SA,
  SSH_SA,
  SSH_TARGET,
  SSH_USER,
  startBrokerCluster,
  type TestPod,
  waitForRequest,
} from './testing/broker-cluster.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');
const SETUP = `
CREATE TABLE customers (id int PRIMARY KEY, name text, email text);
INSERT INTO customers VALUES (1, 'Ada', 'ada@example.com'), (2, 'Bob', 'bob@example.com');
CREATE TABLE scratch (id int);
CREATE TABLE keep_me (id int);
`;
const logger = createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' });

let cluster: BrokerCluster;
let sidecar: BrokerSidecar | undefined;
let podA: TestPod;
let podB: TestPod;
let port: number;
const clients: BrokerClient[] = [];

before(async () => {
  cluster = await startBrokerCluster();
  await cluster.query(SETUP);
  [podA, podB] = await Promise.all([cluster.createPod('agent-a'), cluster.createPod('agent-b')]);
  sidecar = await startBrokerSidecar({
    broker: { url: cluster.brokerUrl, caPem: cluster.ca.certPem, tokenFile: podA.tokenFile },
    classifier: await SqlClassifier.create(),
    logger,
    listenHost: '127.0.0.1',
    ports: { 'orders-db': 0 },
    limits: { connectTimeoutMs: 10_000, startupTimeoutMs: 10_000 },
    recorderOptions: { maxBatchDelayMs: 5 },
  });
  port = sidecar.sidecar.ports['orders-db'] ?? 0;
});

after(async () => {
  for (const client of clients) client.close();
  await sidecar?.close();
  await cluster?.close();
});

const psql = (sql: string, at = port, extra: string[] = []) =>
  runPsql(
    'psql',
    { host: '127.0.0.1', port: at, database: 'any', user: 'agent', password: undefined },
    ['-X', '-v', 'ON_ERROR_STOP=1', ...extra, '-c', sql],
    {
      timeoutMs: 180_000,
    },
  );

const clientFor = (tokenFile: string): BrokerClient => {
  const client = new BrokerClient({
    url: cluster.brokerUrl,
    caPem: cluster.ca.certPem,
    tokenFile,
    retry: { attempts: 1, initialMs: 100, maxMs: 100 },
  });
  clients.push(client);
  return client;
};

async function refusal(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof BrokerError, `expected a BrokerError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the broker to refuse');
}

function draft(text: string, extra: Record<string, unknown> = {}): ApprovalDraft {
  return {
    target: { name: 'orders-db', type: 'postgres' },
    operation: {
      text,
      summary: text,
      digest: operationDigest({ text, target: { namespace: NS, name: 'orders-db' }, identity: { namespace: NS, name: IDENTITY } }),
      sessionID: 'broker-test-session',
    },
    policy: { name: 'orders', rule: 'drop-table' },
    requiredApprovals: 1,
    approvers: { groups: ['db-owners'] },
    scope: 'once',
    ttlSeconds: 600,
    ...extra,
  } as ApprovalDraft;
}

/** alice appends her review the way kubectl approve does: a JSON patch on status, with her groups as the API server sees them. */
async function review(name: string, decision: 'Approve' | 'Deny', reason?: string): Promise<void> {
  const whoami = await cluster.plane.kubectl(['auth', 'whoami', '-o', 'json'], { user: 'alice' });
  assert.equal(whoami.code, 0, whoami.stderr);
  const groups = (JSON.parse(whoami.stdout) as { status: { userInfo: { groups: string[] } } }).status.userInfo.groups;
  const value = [{ user: 'alice@example.com', groups, decision, ...(reason ? { reason } : {}), time: new Date().toISOString() }];
  const patched = await cluster.plane.kubectl(
    [
      'patch',
      'approvalrequest',
      name,
      '-n',
      NS,
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'add', path: '/status/reviews', value }]),
    ],
    { user: 'alice' },
  );
  assert.equal(patched.code, 0, patched.stderr);
}

/** What the operator's tally writes (the lead's reconciler does it in the operator). */
const tally = (name: string, status: ApprovalRequestStatus) =>
  cluster.operator.patch(objectPath(KINDS.approvalRequest, NS, name, 'status'), {
    status: { ...status, decidedAt: new Date().toISOString() },
  });

const ofPod = (pod: TestPod, text: string) => (request: ApprovalRequest) =>
  request.spec.requester.pod.uid === pod.uid && request.spec.operation.text === text;

describe('the sidecar in broker mode', () => {
  test('its config: the principal is the pod as authenticated, its one target, the policy with its masking key', () => {
    const config = sidecar?.config.current();
    assert.deepEqual(config?.principal, {
      identity: IDENTITY,
      namespace: NS,
      serviceAccount: `system:serviceaccount:${NS}:${SA}`,
      pod: { name: podA.name, uid: podA.uid },
      groups: ['ci'],
      labels: {},
      targets: ['orders-db'],
    });
    assert.equal(config?.tokenTargets, undefined, 'no identity of this pod accepts tokens');
    assert.deepEqual(
      config?.targets.map((t) => t.name),
      ['orders-db'],
    );
    assert.deepEqual(
      config?.policies.map((p) => p.name),
      ['orders'],
    );
    assert.deepEqual(config?.maskingKeys, { 'masking-key/key': MASKING_KEY });
  });

  test('psql reads through it with e-mails masked, using credentials fetched from the broker', async () => {
    const result = await psql('SELECT id, name, email FROM customers ORDER BY id', port, ['-A', '-t']);
    assert.equal(result.code, 0, result.stderr);
    const rows = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    assert.deepEqual(
      rows.map((row) => row[1]),
      ['Ada', 'Bob'],
    );
    for (const row of rows) assert.match(row[2] ?? '', /^h:[0-9a-f]{16}$/);
    assert.doesNotMatch(result.stdout, /example\.com/);
  });

  test('DROP TABLE is held; the request is exactly that statement, from this pod; once approved it runs once', async () => {
    const text = 'DROP TABLE scratch';
    const held = psql(text);
    const request = await waitForRequest(cluster.catalog, ofPod(podA, text), `for ${text}`);
    const name = request.metadata.name ?? '';
    assert.equal(request.metadata.namespace, NS);
    assert.equal(
      request.spec.operation.digest,
      operationDigest({ text, target: { namespace: NS, name: 'orders-db' }, identity: { namespace: NS, name: IDENTITY } }),
    );
    assert.deepEqual(request.spec.requester, {
      identity: IDENTITY,
      serviceAccount: `system:serviceaccount:${NS}:${SA}`,
      pod: { name: podA.name, uid: podA.uid },
    });
    assert.deepEqual(request.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Pod', name: podA.name, uid: podA.uid }]);
    assert.deepEqual(request.spec.policy, { name: 'orders', rule: 'drop-table' });
    assert.deepEqual(request.spec.approvers, { groups: ['db-owners'] });
    await waitForRequest(cluster.catalog, (r) => r.metadata.name === name && r.status?.phase === 'Pending', 'Pending');

    await review(name, 'Approve');
    await tally(name, { phase: 'Approved', approvals: '1/1' });
    const result = await held;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, new RegExp(`Waiting for approval: ApprovalRequest ${name}`));
    const gone = await cluster.query("SELECT to_regclass('public.scratch') AS t");
    assert.equal(gone.rows[0]?.t, null);
    const executed = await waitForRequest(cluster.catalog, (r) => r.metadata.name === name && r.status?.phase === 'Executed', 'Executed');
    assert.equal(executed.status?.result, 'DROP TABLE');
  });

  test('a denied statement fails with the reviewer and the reason, and does not run', async () => {
    const text = 'DROP TABLE keep_me';
    const held = psql(text);
    const request = await waitForRequest(cluster.catalog, ofPod(podA, text), `for ${text}`);
    const name = request.metadata.name ?? '';
    await waitForRequest(cluster.catalog, (r) => r.metadata.name === name && r.status?.phase === 'Pending', 'Pending');
    await review(name, 'Deny', 'we still need it');
    await tally(name, { phase: 'Denied', approvals: '0/1', message: 'Denied by alice@example.com: we still need it' });
    const result = await held;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, new RegExp(`ApprovalRequest ${name} was denied by alice@example.com: we still need it`));
    const kept = await cluster.query("SELECT to_regclass('public.keep_me') AS t");
    assert.equal(kept.rows[0]?.t, 'keep_me');
  });

  test('an agent that disconnects while its statement is held withdraws the request', async () => {
    const text = 'DROP TABLE customers';
    const agent = new pg.Client({ host: '127.0.0.1', port, user: 'agent', database: 'any' });
    await agent.connect();
    agent.on('error', () => undefined);
    const held = agent.query(text).catch((error: Error) => error);
    const request = await waitForRequest(cluster.catalog, ofPod(podA, text), `for ${text}`);
    const name = request.metadata.name ?? '';
    await waitForRequest(cluster.catalog, (r) => r.metadata.name === name && r.status?.phase === 'Pending', 'Pending');
    (agent as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
    await held;
    const withdrawn = await waitForRequest(
      cluster.catalog,
      (r) => r.metadata.name === name && r.status?.phase === 'Withdrawn',
      'Withdrawn',
    );
    assert.match(withdrawn.status?.message ?? '', /disconnected/);
    const kept = await cluster.query("SELECT to_regclass('public.customers') AS t");
    assert.equal(kept.rows[0]?.t, 'customers');
  });

  test('a policy change is pushed down the open config stream', async () => {
    const pushed = new Promise<SidecarConfig>((resolve) => {
      const unsubscribe = sidecar?.config.subscribe((config) => {
        if (config.policies[0]?.spec.description === 'pushed') {
          unsubscribe?.();
          resolve(config);
        }
      });
    });
    await cluster.admin.patch(objectPath(KINDS.approvalPolicy, NS, 'orders'), { spec: { description: 'pushed' } });
    const config = await pushed;
    assert.deepEqual(
      config.policies.map((p) => p.name),
      ['orders'],
    );
  });
});

describe('an operator restart', () => {
  test('the sidecar keeps its config while the broker is down, re-opens the stream, and hears changes again', {
    timeout: 120_000,
  }, async () => {
    const before = sidecar?.config.current();
    await cluster.restartBroker();
    assert.equal(sidecar?.config.current(), before, 'the last config stays in force');
    const pushed = new Promise<SidecarConfig>((resolve) => {
      const unsubscribe = sidecar?.config.subscribe((config) => {
        if (config.policies[0]?.spec.description === 'after the restart') {
          unsubscribe?.();
          resolve(config);
        }
      });
    });
    await cluster.admin.patch(objectPath(KINDS.approvalPolicy, NS, 'orders'), { spec: { description: 'after the restart' } });
    await pushed;
    const result = await psql('SELECT count(*) FROM customers', port, ['-A', '-t']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), '2');
  });
});

describe('what the broker refuses', () => {
  test('no token, or a token for another audience: 401', async () => {
    const unauthenticated = await fetchStatus(cluster, '/v1/credentials', undefined);
    assert.equal(unauthenticated, 401);
    const other = await cluster.token(podA, ['some-other-audience']);
    assert.equal(await fetchStatus(cluster, '/v1/credentials', other), 401);
  });

  test('credentials of a target the identity does not have: 403, and the metric counts it', async () => {
    const a = clientFor(podA.tokenFile);
    const error = await refusal(a.call('POST', BROKER_PATHS.credentials, { target: 'billing-db' }));
    assert.equal(error.code, 'Forbidden');
    assert.equal(error.status, 403);
    assert.match(error.message, /billing-db is not one of this pod's targets/);
    const allowed = await a.call<{ username: string }>('POST', BROKER_PATHS.credentials, { target: 'orders-db' });
    assert.equal(allowed.username, cluster.postgres.users.scram_user.user);
    const metrics = await cluster.registry.getSingleMetricAsString('airlock_operator_broker_requests_total');
    assert.match(metrics, /route="credentials",code="403"/);
  });

  test('the outcome of another pod’s request: 403', async () => {
    const b = clientFor(podB.tokenFile);
    const created = await b.call<CreateApprovalResponse>('POST', BROKER_PATHS.approvals, {
      idempotencyKey: 'b-1',
      draft: draft('DROP TABLE customers'),
    });
    const again = await b.call<CreateApprovalResponse>('POST', BROKER_PATHS.approvals, {
      idempotencyKey: 'b-1',
      draft: draft('DROP TABLE customers'),
    });
    assert.equal(again.name, created.name, 'a retried create returns the same request');
    const a = clientFor(podA.tokenFile);
    const error = await refusal(a.stream(BROKER_PATHS.outcome(created.name), () => undefined));
    assert.equal(error.code, 'Forbidden');
    const withdraw = await refusal(a.call('POST', BROKER_PATHS.withdraw(created.name), { reason: 'not mine' }));
    assert.equal(withdraw.code, 'Forbidden');
    const lines: unknown[] = [];
    const controller = new AbortController();
    await b.stream(
      BROKER_PATHS.outcome(created.name),
      (line) => {
        lines.push(line);
        controller.abort();
      },
      controller.signal,
    );
    assert.deepEqual(lines[0], { type: 'pending', approvals: '0/1' });

    // Deleted before a decision: the waiting stream hears Expired, and why.
    const heard: unknown[] = [];
    const waiting = b.stream(BROKER_PATHS.outcome(created.name), (line) => heard.push(line));
    await eventually(() => (heard.length > 0 ? true : undefined), 'the first outcome line');
    await cluster.admin.delete(objectPath(KINDS.approvalRequest, NS, created.name));
    await waiting;
    assert.deepEqual(heard.at(-1), {
      type: 'outcome',
      outcome: { phase: 'Expired' },
      message: `ApprovalRequest ${created.name} was deleted before it was decided`,
    });
  });

  test('a draft whose digest does not match its text: 400', async () => {
    const a = clientFor(podA.tokenFile);
    const forged = draft('DROP TABLE customers');
    const body = { idempotencyKey: 'forged-1', draft: { ...forged, operation: { ...forged.operation, text: 'SELECT 1' } } };
    const error = await refusal(a.call('POST', BROKER_PATHS.approvals, body));
    assert.equal(error.code, 'Invalid');
    assert.equal(error.status, 400);
    assert.match(error.message, /digest does not match/);
  });

  test('a draft for a target the pod does not reach: 403', async () => {
    const a = clientFor(podA.tokenFile);
    const error = await refusal(
      a.call('POST', BROKER_PATHS.approvals, {
        idempotencyKey: 'billing-1',
        draft: draft('DROP TABLE x', { target: { name: 'billing-db', type: 'postgres' } }),
      }),
    );
    assert.equal(error.code, 'Forbidden');
  });

  test('a requester in the draft is ignored: the request names the authenticated pod', async () => {
    const a = clientFor(podA.tokenFile);
    const forged = { identity: 'admin', serviceAccount: 'system:serviceaccount:kube-system:root', pod: { name: podB.name, uid: podB.uid } };
    const created = await a.call<CreateApprovalResponse>('POST', BROKER_PATHS.approvals, {
      idempotencyKey: 'requester-1',
      requester: forged,
      draft: { ...draft('DROP TABLE customers'), requester: forged, expiresAt: '2099-01-01T00:00:00Z' },
    });
    const stored = await cluster.admin.get<ApprovalRequest>(objectPath(KINDS.approvalRequest, NS, created.name));
    assert.deepEqual(stored.spec.requester, {
      identity: IDENTITY,
      serviceAccount: `system:serviceaccount:${NS}:${SA}`,
      pod: { name: podA.name, uid: podA.uid },
    });
    assert.notEqual(stored.spec.expiresAt, '2099-01-01T00:00:00Z');
  });

  test('a pod of the agent’s service account that is not a gated agent pod (no inject label, so no sidecar) gets nothing, though its token is valid', async () => {
    // Anyone who may create pods can mount a projected token for this audience in a pod of their own;
    // only a pod the validating webhook admitted with its sidecar is an agent pod.
    const pod = await cluster.admin.create<PodObject>(collectionPath(KINDS.pod, NS), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'not-gated', namespace: NS },
      spec: {
        serviceAccountName: SA,
        automountServiceAccountToken: false,
        containers: [{ name: 'agent', image: 'registry.invalid/agent:1' }],
      },
    } as PodObject);
    const token = await cluster.token({ name: 'not-gated', uid: pod.metadata?.uid ?? '' });
    const file = join(cluster.dir, 'not-gated.token');
    writeFileSync(file, token, { mode: 0o600 });
    const error = await refusal(clientFor(file).call('POST', BROKER_PATHS.credentials, { target: 'orders-db' }));
    assert.equal(error.code, 'Forbidden');
    assert.match(error.message, /not an airlock agent pod \(label airlock\.dev\/inject=true/);
  });

  test('the token of a deleted pod stops working at once, though it worked a moment before', async () => {
    const podC = await cluster.createPod('agent-c');
    const c = clientFor(podC.tokenFile);
    await c.call('POST', BROKER_PATHS.credentials, { target: 'orders-db' });
    // The broker's pod informer forgets the pod before this handler (registered later) hears the deletion.
    const deleted = new Promise<void>((resolve) => {
      const unsubscribe = cluster.pods.onChange((event, pod) => {
        if (event === 'delete' && pod.metadata?.uid === podC.uid) {
          queueMicrotask(() => unsubscribe());
          resolve();
        }
      });
    });
    await cluster.admin.delete(objectPath(KINDS.pod, NS, podC.name));
    await deleted;
    const error = await refusal(c.call('POST', BROKER_PATHS.credentials, { target: 'orders-db' }));
    assert.equal(error.code, 'Unauthenticated');
    assert.equal(error.status, 401);
  });
});

describe('ssh credentials', () => {
  test('an ssh Target: its Secret’s username and private key, through the route and the sidecar’s credential source', async () => {
    const pod = await cluster.createPod('build-a', SSH_SA);
    const client = clientFor(pod.tokenFile);
    const answer = await client.call('POST', BROKER_PATHS.credentials, { target: SSH_TARGET });
    assert.deepEqual(answer, { type: 'ssh', username: SSH_USER, privateKey: cluster.sshKey });
    assert.match(cluster.sshKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/, 'the key ssh-keygen wrote');
    // The config the pod is served names the Target with what the sidecar connects with.
    const config = await firstConfig(client);
    assert.deepEqual(
      config.targets.map((t) => [t.name, t.spec.type]),
      [[SSH_TARGET, 'ssh']],
    );
    const target = config.targets[0];
    assert.ok(target?.spec.ssh);
    assert.equal(target.spec.ssh.host, '127.0.0.1');
    assert.equal(target.spec.ssh.port, 22);
    assert.match(target.spec.ssh.hostKeys[0] ?? '', /^ssh-ed25519 AAAA/);
    // As a session of the sidecar asks for them: checked, typed, nothing else.
    assert.deepEqual(await new BrokerCredentialSource(client).forTarget(target), {
      type: 'ssh',
      username: SSH_USER,
      privateKey: cluster.sshKey,
    });
    // This agent does not reach the database.
    const database = await refusal(client.call('POST', BROKER_PATHS.credentials, { target: 'orders-db' }));
    assert.equal(database.code, 'Forbidden');
  });

  test('a Secret with both a key and a password is refused until one goes (read on every request), naming keys, never values', async () => {
    const pod = await cluster.createPod('build-b', SSH_SA);
    const client = clientFor(pod.tokenFile);
    const secret = objectPath(KINDS.secret, NS, `${SSH_TARGET}-creds`);
    const password = 'hunter2-build-host';
    await cluster.admin.patch(secret, { stringData: { password } });
    try {
      const error = await refusal(client.call('POST', BROKER_PATHS.credentials, { target: SSH_TARGET }));
      assert.equal(error.code, 'CredentialsUnavailable');
      assert.equal(error.status, 503);
      assert.match(
        error.message,
        /Secret build-host-creds \(credentials of Target build-host\) has both privateKey and password: remove password/,
      );
      assert.ok(!error.message.includes(password));
      for (const line of cluster.sshKey.split('\n').filter((l) => l.length > 8 && !l.startsWith('-----'))) {
        assert.ok(!error.message.includes(line), 'the refusal quotes the key');
      }
    } finally {
      await cluster.admin.patch(secret, { data: { password: null } });
    }
    const answer = await client.call<{ privateKey?: string; password?: string }>('POST', BROKER_PATHS.credentials, { target: SSH_TARGET });
    assert.equal(answer.privateKey, cluster.sshKey);
    assert.equal(answer.password, undefined);
  });
});

describe('ssh login certificates', () => {
  test('a Secret with a certificateAuthorityKey: the route signs the key the sidecar sent, for this pod and session, and never sends the authority key', async () => {
    const pod = await cluster.createPod('build-cert', SSH_SA);
    const client = clientFor(pod.tokenFile);
    const authority = await generateSshKeyPair({ comment: 'build-host-user-ca' });
    const sidecarKey = await generateSshKeyPair();
    const secret = objectPath(KINDS.secret, NS, `${SSH_TARGET}-creds`);
    await cluster.admin.patch(secret, { data: { privateKey: null }, stringData: { certificateAuthorityKey: authority.privateKey } });
    // The authority's secret value, to look for in every answer in any encoding.
    const secretValue = Buffer.from(readSshPrivateKey(authority.privateKey).export({ format: 'jwk' }).d ?? '', 'base64url');
    const leaks = (text: string) =>
      /PRIVATE KEY/.test(text) ||
      [secretValue.toString('base64'), secretValue.toString('base64url'), secretValue.toString('hex')].some((encoded) =>
        text.includes(encoded.slice(0, 20)),
      );
    try {
      const request = { target: SSH_TARGET, publicKey: sidecarKey.publicKey, sessionId: 'broker-test-session-1' };
      const answer = await client.call<{ type: string; username: string; certificate: string }>('POST', BROKER_PATHS.credentials, request);
      assert.deepEqual(Object.keys(answer).sort(), ['certificate', 'type', 'username']);
      assert.equal(answer.username, SSH_USER);
      assert.ok(!leaks(JSON.stringify(answer)), 'the answer holds the authority key');
      const certificate = parseUserCertificate(certificateBlob(answer.certificate));
      assert.deepEqual(
        {
          keyId: certificate.keyId,
          principals: certificate.principals,
          extensions: certificate.extensions.map((e) => e.name),
          authority: sshFingerprint(certificate.signatureKey),
          window: Number(certificate.validBefore - certificate.validAfter),
        },
        {
          // The pod and identity as the broker authenticated them, the session as the sidecar sent it.
          keyId: `airlock:${NS}/build-bot/build-cert/broker-test-session-1`,
          principals: [SSH_USER],
          extensions: ['permit-port-forwarding', 'permit-pty'],
          authority: sshFingerprint(Buffer.from(authority.publicKey.split(' ')[1] ?? '', 'base64')),
          window: 30 + 300,
        },
      );
      assert.equal(loginCertificateProblem(answer.certificate, { publicKey: sidecarKey.publicKey, username: SSH_USER }), undefined);
      // As the sidecar's credential source asks and checks it.
      const target = (await firstConfig(client)).targets[0];
      assert.ok(target);
      const viaSource = await new BrokerCredentialSource(client).forTarget(target, {
        publicKey: sidecarKey.publicKey,
        sessionId: 'broker-test-session-2',
      });
      assert.equal(
        viaSource.type === 'ssh' && parseUserCertificate(certificateBlob(viaSource.certificate ?? '')).keyId,
        `airlock:${NS}/build-bot/build-cert/broker-test-session-2`,
      );

      // Without a key to certify: 400, saying what to send.
      const bare = await refusal(client.call('POST', BROKER_PATHS.credentials, { target: SSH_TARGET }));
      assert.equal(bare.code, 'Invalid');
      assert.match(bare.message, /Target build-host logs in with certificates: send publicKey/);
      // A pod whose identity does not reach the Target: 403, whatever it sends.
      const other = await refusal(clientFor(podA.tokenFile).call('POST', BROKER_PATHS.credentials, request));
      assert.equal(other.code, 'Forbidden');
      assert.match(other.message, /Target build-host is not one of this pod's targets/);
      for (const error of [bare, other]) assert.ok(!leaks(error.message), error.message);
      // A second login key in the Secret: refused, naming the keys only.
      await cluster.admin.patch(secret, { stringData: { password: 'hunter2-build-host' } });
      const both = await refusal(client.call('POST', BROKER_PATHS.credentials, request));
      assert.equal(both.code, 'CredentialsUnavailable');
      assert.match(both.message, /has both password and certificateAuthorityKey/);
      assert.ok(!leaks(both.message) && !both.message.includes('hunter2'), both.message);
    } finally {
      await cluster.admin.patch(secret, {
        data: { certificateAuthorityKey: null, password: null },
        stringData: { privateKey: cluster.sshKey },
      });
    }
  });
});

/** The first config line of the pod's config stream. */
async function firstConfig(client: BrokerClient): Promise<SidecarConfig> {
  const controller = new AbortController();
  let config: SidecarConfig | undefined;
  await client.stream(
    BROKER_PATHS.config,
    (line) => {
      const parsed = line as { type?: string; config?: SidecarConfig };
      if (parsed.type === 'config' && parsed.config) {
        config = parsed.config;
        controller.abort();
      }
    },
    controller.signal,
  );
  assert.ok(config, 'the config stream sent no config');
  return config;
}

describe('recordings', () => {
  test('every session of the in-process sidecar arrived at the ingest store, closed and verifiable', async () => {
    const dir = join(cluster.recordingsDir, NS, podA.name);
    const files = await eventually(() => {
      if (!existsSync(dir)) return undefined;
      const found = readdirSync(dir).map((file) => join(dir, file));
      const closed = found.every((file) => verifyJsonl(readFileSync(file, 'utf8'), { requireClose: true }).ok);
      return found.length >= 3 && closed ? found : undefined;
    }, `three closed sessions in ${dir}`);
    const verified = spawnSync(process.execPath, [join(REPO, 'sidecar/src/core/recording/verify-main.ts'), '--require-close', ...files], {
      encoding: 'utf8',
    });
    assert.equal(verified.status, 0, verified.stdout + verified.stderr);
    const drops = files
      .flatMap((file) => readFileSync(file, 'utf8').trim().split('\n'))
      .map((line) => JSON.parse(line) as { event: { type: string; commandTag?: string } })
      .filter((record) => record.event.type === 'result' && record.event.commandTag === 'DROP TABLE');
    assert.equal(drops.length, 1, 'the approved DROP TABLE ran exactly once');
  });
});

describe('the sidecar as a process: node sidecar/src/main.ts --broker', () => {
  let child: ChildProcess | undefined;
  after(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  test('without its settings it exits 2 and names them', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AIRLOCK_')));
    const run = spawnSync(process.execPath, [join(REPO, 'sidecar/src/main.ts'), '--broker'], { env, encoding: 'utf8' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /AIRLOCK_BROKER_URL is not set/);
    assert.match(run.stderr, /AIRLOCK_TOKEN_FILE is not set/);
  });

  test('with the env the webhook injects it gets its config, serves psql on the Target’s port, and stops on SIGTERM', async () => {
    child = spawn(process.execPath, [join(REPO, 'sidecar/src/main.ts'), '--broker'], {
      env: {
        ...process.env,
        AIRLOCK_BROKER_URL: cluster.brokerUrl,
        AIRLOCK_BROKER_CA: cluster.ca.certPem,
        AIRLOCK_TOKEN_FILE: podB.tokenFile,
        AIRLOCK_HEALTH_HOST: '127.0.0.1',
        AIRLOCK_HEALTH_PORT: '0',
        AIRLOCK_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ready = await readyLine(child);
    assert.deepEqual(ready.ports, { 'orders-db': cluster.localPort });
    const result = await psql('SELECT email FROM customers ORDER BY id', cluster.localPort, ['-A', '-t']);
    assert.equal(result.code, 0, result.stderr);
    for (const line of result.stdout.trim().split('\n')) assert.match(line, /^h:[0-9a-f]{16}$/);
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

/** Waits for the sidecar's "ready" log line; fails with its output if it exits first. */
function readyLine(process_: ChildProcess): Promise<{ ports: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    let output = '';
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`the sidecar was not ready within 60 s:\n${output}`)), 60_000);
    process_.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    process_.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const parsed = JSON.parse(line) as { msg?: string; ports?: Record<string, number> };
        if (parsed.msg === 'airlock sidecar ready' && parsed.ports) {
          clearTimeout(timer);
          resolve({ ports: parsed.ports });
        }
      }
    });
    process_.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sidecar exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** A raw request, to send what the client library never would (no token, a foreign token). */
async function fetchStatus(target: BrokerCluster, path: string, token: string | undefined): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      `${target.brokerUrl}${path}`,
      {
        method: 'POST',
        ca: target.ca.certPem,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ target: 'orders-db' }));
  });
}
