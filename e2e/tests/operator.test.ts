/**
 * The operator end to end: a real control plane with the CRDs, admission policy and RBAC; the
 * operator as a process authenticated as its service account; a real PostgreSQL with personal
 * data; an agent pod created in the API server and mutated by the webhook; and its sidecar
 * started from the injected container spec with a token bound to that pod. Reviewers act with
 * the real kubectl, as themselves.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { operationDigest } from '@airlock/contracts/approval';
import type { ApprovalRequest } from '@airlock/crds';
import { appendReviewPatch } from '@airlock/kubectl-approve/review-patch';
import {
  type AirlockInstallation,
  AirlockProcesses,
  agentPod,
  ControlPlane,
  eventually,
  freePort,
  installAirlock,
  installCrds,
  installWebhooks,
  PostgresServer,
  podBoundToken,
  psqlAsAgent,
  psqlAsOwner,
  SAMPLE,
  sampleManifests,
  seedSample,
  type TestUserName,
} from '@airlock/testkit';
import { reviewAs } from './support/review-as.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const NS = 'agents';
const OPERATOR_NS = 'airlock-system';

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

let plane: ControlPlane;
let install: AirlockInstallation;
let pg: PostgresServer;
let procs: AirlockProcesses;
let operator: Awaited<ReturnType<AirlockProcesses['startOperator']>>;
let localPort: number;
let agent: Obj; // the mutated pod the sidecar runs for
let firstRequest: string; // the first request that ran; garbage-collected after the retention

before(async () => {
  plane = await ControlPlane.start({ log });
  pg = await PostgresServer.start();
  procs = new AirlockProcesses();
  await installCrds(plane);
  install = await installAirlock(plane, { namespace: OPERATOR_NS });
  await seedSample(pg);
  const ports = { webhook: await freePort(), broker: await freePort(), health: await freePort() };
  await installWebhooks(plane, { url: `https://127.0.0.1:${ports.webhook}`, operatorNamespace: OPERATOR_NS });
  operator = await procs.startOperator({
    kubeconfigPath: install.operator.kubeconfigPath,
    namespace: OPERATOR_NS,
    recordingsDirectory: mkdtempSync(join(procs.dir, 'recordings-')),
    // Short enough that the last test sees the first finished request deleted.
    retention: '90s',
    ports,
  });
  localPort = await freePort();
  const manifest = join(procs.dir, 'sample.yaml');
  writeFileSync(
    manifest,
    sampleManifests({
      namespace: NS,
      postgres: { host: pg.host, port: pg.port, database: pg.database, user: 'scram_user', password: pg.users.scram_user.password },
      localPort,
      writeTtl: '1m',
    }),
  );
  const applied = await plane.kubectl(['apply', '-f', manifest]);
  assert.equal(applied.code, 0, applied.stderr);
});

after(async () => {
  await procs?.stop();
  await pg?.stop();
  await plane?.stop();
});

async function kubectlJson(args: string[], user: TestUserName = 'admin'): Promise<Obj> {
  const result = await plane.kubectl([...args, '-o', 'json'], { user });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** Waits for the operator's work; on timeout the message ends with the operator's log. */
function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return eventually(what, probe, { timeoutMs, intervalMs: 200, detail: () => `operator log:\n${operator.logTail()}` });
}

async function createPod(body: Obj): Promise<Obj> {
  const file = join(procs.dir, `pod-${body.metadata.name}.json`);
  writeFileSync(file, JSON.stringify(body));
  const created = await plane.kubectl(['create', '-f', file, '-o', 'json']);
  assert.equal(created.code, 0, created.stderr);
  return JSON.parse(created.stdout);
}

/** The request the sidecar created for `text`, once it exists and is Pending. */
function requestFor(text: string): Promise<Obj> {
  return until(`an ApprovalRequest for ${text}`, async () => {
    const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
    return list.items.find((r: Obj) => r.spec.operation.text === text && r.status?.phase === 'Pending');
  });
}

function review(user: TestUserName, request: Obj, decision: 'Approve' | 'Deny', reason?: string) {
  return reviewAs(plane, user, request as { metadata: { name: string; namespace: string } }, decision, reason);
}

function phaseOf(name: string, phases: string[]): Promise<Obj> {
  return until(`${name} in ${phases.join('|')}`, async () => {
    const r = await kubectlJson(['get', 'approvalrequests.airlock.dev', name, '-n', NS]);
    return phases.includes(r.status?.phase) ? r : undefined;
  });
}

describe('reconcilers', () => {
  test('the sample Target, AgentIdentity and ApprovalPolicy become Ready with observedGeneration', async () => {
    for (const [kind, name] of [
      ['targets.airlock.dev', SAMPLE.target],
      ['agentidentities.airlock.dev', SAMPLE.identity],
      ['approvalpolicies.airlock.dev', SAMPLE.policy],
    ] as const) {
      const ready = await plane.kubectl(['wait', '-n', NS, '--for=condition=Ready', '--timeout=60s', `${kind}/${name}`]);
      assert.equal(ready.code, 0, `${kind}/${name}: ${ready.stderr}\n${operator.logTail()}`);
      const object = await kubectlJson(['get', kind, name, '-n', NS]);
      assert.equal(object.status.observedGeneration, object.metadata.generation);
    }
    const identity = await kubectlJson(['get', 'agentidentities.airlock.dev', SAMPLE.identity, '-n', NS]);
    assert.deepEqual(identity.status.targets, [{ name: SAMPLE.target, type: 'postgres', localPort, ready: true }]);
  });

  test('a Target whose Secret lacks a key says so, and an Event tells a human', async () => {
    const file = join(procs.dir, 'broken-target.yaml');
    writeFileSync(
      file,
      `apiVersion: v1
kind: Secret
metadata: { name: half-creds, namespace: ${NS} }
stringData: { username: someone }
---
apiVersion: airlock.dev/v1alpha1
kind: Target
metadata: { name: broken-db, namespace: ${NS} }
spec:
  type: postgres
  localPort: 6543
  postgres: { host: 127.0.0.1, database: x, tls: { mode: disable } }
  credentialsSecretRef: { name: half-creds }
`,
    );
    assert.equal((await plane.kubectl(['apply', '-f', file])).code, 0);
    const target = await until('broken-db status', async () => {
      const t = await kubectlJson(['get', 'targets.airlock.dev', 'broken-db', '-n', NS]);
      return t.status?.conditions?.find((c: Obj) => c.type === 'Ready') ? t : undefined;
    });
    const ready = target.status.conditions.find((c: Obj) => c.type === 'Ready');
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'KeysMissing');
    assert.match(ready.message, /lacks key password/);
    await until('a CredentialsMissing event', async () => {
      const events = await kubectlJson(['get', 'events', '-n', NS, '--field-selector', 'involvedObject.name=broken-db']);
      return events.items.find((e: Obj) => e.reason === 'CredentialsMissing');
    });
  });
});

describe('injection', () => {
  test('a labeled pod gets the native sidecar, env for its tools, and no token of its own', async () => {
    agent = await createPod(agentPod(NS, 'orders-agent-1'));
    const sidecar = agent.spec.initContainers.find((c: Obj) => c.name === 'airlock-sidecar');
    assert.ok(sidecar, 'the sidecar is injected');
    assert.equal(agent.spec.initContainers[0].name, 'airlock-sidecar', 'it starts first');
    assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar, so Jobs complete');
    assert.equal(agent.spec.automountServiceAccountToken, false);
    const env = Object.fromEntries(agent.spec.containers[0].env.map((e: Obj) => [e.name, e.value]));
    assert.equal(env.PGHOST, '127.0.0.1');
    assert.equal(env.PGPORT, String(localPort));
    assert.match(env.AIRLOCK_ORDERS_DB_URL, new RegExp(`^postgresql://127\\.0\\.0\\.1:${localPort}/`));
    assert.ok(agent.metadata.annotations['airlock.dev/injected'], 'what was injected is recorded');
    assert.ok(sidecar.resources.requests.cpu && sidecar.resources.requests.memory, 'resource requests');
  });

  test('the agent container can reach no credential and no token (invariant 1)', () => {
    const volumes = new Map<string, Obj>(agent.spec.volumes.map((v: Obj) => [v.name, v]));
    const tokenVolumes = [...volumes.values()].filter((v) => v.projected?.sources?.some((s: Obj) => s.serviceAccountToken) || v.secret);
    assert.deepEqual(
      tokenVolumes.map((v) => v.name),
      ['airlock-token'],
      'the only token volume is the sidecar one',
    );
    const sidecar = agent.spec.initContainers.find((c: Obj) => c.name === 'airlock-sidecar');
    assert.ok(sidecar.volumeMounts.some((m: Obj) => m.name === 'airlock-token'));
    for (const container of [...agent.spec.containers, ...agent.spec.initContainers.filter((c: Obj) => c !== sidecar)]) {
      for (const mount of container.volumeMounts ?? []) {
        assert.notEqual(mount.name, 'airlock-token', `${container.name} mounts the token`);
        assert.ok(!tokenVolumes.some((v) => v.name === mount.name), `${container.name} mounts ${mount.name}`);
      }
      for (const variable of container.env ?? []) {
        assert.equal(variable.valueFrom?.secretKeyRef, undefined, `${container.name} env ${variable.name} reads a Secret`);
        assert.doesNotMatch(String(variable.value ?? ''), new RegExp(pg.users.scram_user.password), 'the password is in the env');
      }
      assert.equal(container.envFrom, undefined, `${container.name} has envFrom`);
    }
  });

  test('a second pass changes nothing: a pod created from the mutated spec is stored as sent', async () => {
    const again = structuredClone(agent);
    again.metadata = { name: 'orders-agent-again', namespace: NS, labels: agent.metadata.labels, annotations: agent.metadata.annotations };
    delete again.status;
    delete again.spec.nodeName;
    const stored = await createPod(again);
    assert.deepEqual(stored.spec.initContainers, agent.spec.initContainers);
    assert.deepEqual(stored.spec.containers, agent.spec.containers);
    assert.deepEqual(stored.spec.volumes, agent.spec.volumes);
  });

  test('an unlabeled pod is untouched', async () => {
    const body = agentPod(NS, 'not-an-agent') as Obj;
    delete body.metadata.labels['airlock.dev/inject'];
    const stored = await createPod(body);
    assert.equal(stored.spec.initContainers, undefined);
    assert.equal(stored.metadata.annotations?.['airlock.dev/injected'], undefined);
  });

  test("a Job's pod is mutated by the webhook", async () => {
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'nightly-report', namespace: NS },
      spec: { template: agentPod(NS, 'ignored') },
    };
    const template = job.spec.template as Obj;
    delete template.metadata.name;
    delete template.apiVersion;
    delete template.kind;
    const file = join(procs.dir, 'job.json');
    writeFileSync(file, JSON.stringify(job));
    const created = await plane.kubectl(['create', '-f', file]);
    assert.equal(created.code, 0, created.stderr);
    const pod = await until("the Job's pod", async () => {
      const pods = await kubectlJson(['get', 'pods', '-n', NS, '-l', 'job-name=nightly-report']);
      return pods.items[0];
    });
    const sidecar = pod.spec.initContainers?.find((c: Obj) => c.name === 'airlock-sidecar');
    assert.equal(sidecar?.restartPolicy, 'Always');
    assert.equal(pod.spec.automountServiceAccountToken, false);
  });

  test('removing or altering the sidecar, or adding an ephemeral container, is refused', async () => {
    const image = await plane.kubectl(['set', 'image', '-n', NS, 'pod/orders-agent-again', 'airlock-sidecar=evil:latest']);
    assert.notEqual(image.code, 0);
    assert.match(image.stderr, /denied the request/);
    const debug = await plane.kubectl([
      'patch',
      'pod',
      'orders-agent-again',
      '-n',
      NS,
      '--subresource=ephemeralcontainers',
      '--type=strategic',
      '-p',
      JSON.stringify({ spec: { ephemeralContainers: [{ name: 'debug', image: 'busybox', command: ['sh'] }] } }),
    ]);
    assert.notEqual(debug.code, 0);
    assert.match(debug.stderr, /denied the request/);
  });
});

describe('CI mode: a namespace labeled airlock.dev/injection=all', () => {
  const CI_NS = 'ci';
  const PLAIN_NS = 'plain';
  /** A pod as a CI runner creates it: none of airlock's labels. */
  const runnerPod = (
    namespace: string,
    name: string,
    labels: Record<string, string> = {},
    serviceAccount: string = SAMPLE.serviceAccount,
  ) => {
    const body = agentPod(namespace, name) as Obj;
    body.metadata.labels = { job: name, ...labels };
    body.spec.serviceAccountName = serviceAccount;
    return body;
  };
  const createFails = async (body: Obj) => {
    const file = join(procs.dir, `pod-${body.metadata.namespace}-${body.metadata.name}.json`);
    writeFileSync(file, JSON.stringify(body));
    const created = await plane.kubectl(['create', '-f', file]);
    assert.notEqual(created.code, 0, created.stdout);
    return created.stderr;
  };

  before(async () => {
    const manifest = join(procs.dir, 'sample-ci.yaml');
    writeFileSync(
      manifest,
      sampleManifests({
        namespace: CI_NS,
        postgres: { host: pg.host, port: pg.port, database: pg.database, user: 'scram_user', password: pg.users.scram_user.password },
        localPort,
      }),
    );
    const applied = await plane.kubectl(['apply', '-f', manifest]);
    assert.equal(applied.code, 0, applied.stderr);
    // What a platform admin does to put a namespace in CI mode.
    const labeled = await plane.kubectl(['label', '--overwrite', 'namespace', CI_NS, 'airlock.dev/injection=all']);
    assert.equal(labeled.code, 0, labeled.stderr);
    for (const command of [
      ['create', 'serviceaccount', 'gitlab-runner', '-n', CI_NS],
      ['create', 'namespace', PLAIN_NS],
      ['create', 'serviceaccount', SAMPLE.serviceAccount, '-n', PLAIN_NS],
    ]) {
      const done = await plane.kubectl(command);
      assert.equal(done.code, 0, done.stderr);
    }
    // The operator's catalog learns the new AgentIdentity through its informer.
    const probe = join(procs.dir, 'ci-probe.json');
    writeFileSync(probe, JSON.stringify(runnerPod(CI_NS, 'probe')));
    await until('the operator to inject in the CI namespace', async () =>
      (await plane.kubectl(['create', '--dry-run=server', '-f', probe])).code === 0 ? true : undefined,
    );
  });

  test('a pod with no airlock label gets the sidecar and the label, and its sidecar is served by the broker', async () => {
    const pod = await createPod(runnerPod(CI_NS, 'ci-job-1'));
    assert.equal(pod.metadata.labels['airlock.dev/inject'], 'true', 'the webhook labeled it an agent pod');
    assert.equal(pod.metadata.labels.job, 'ci-job-1');
    assert.equal(pod.spec.initContainers[0].name, 'airlock-sidecar');
    assert.equal(pod.spec.initContainers.filter((c: Obj) => c.name === 'airlock-sidecar').length, 1);
    assert.equal(pod.spec.automountServiceAccountToken, false);
    assert.equal(JSON.parse(pod.metadata.annotations['airlock.dev/injected']).identity, SAMPLE.identity);
    // The broker knows agent pods by the label: the one the webhook added is enough.
    const token = await podBoundToken(plane, {
      namespace: CI_NS,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      serviceAccount: SAMPLE.serviceAccount,
    });
    const ca = Buffer.from(
      (await kubectlJson(['get', 'secret', 'airlock-webhook-tls', '-n', OPERATOR_NS])).data['ca.crt'],
      'base64',
    ).toString();
    await until('the broker to serve the CI pod its credentials', async () =>
      (await brokerStatus(token, ca, '/v1/credentials', { target: SAMPLE.target })) === 200 ? true : undefined,
    );
  });

  test('a pod labeled inject=false (a runner manager) is created untouched', async () => {
    const pod = await createPod(runnerPod(CI_NS, 'runner-manager', { 'airlock.dev/inject': 'false' }, 'gitlab-runner'));
    assert.equal(pod.spec.initContainers, undefined);
    assert.equal(pod.metadata.annotations?.['airlock.dev/injected'], undefined);
    assert.equal(pod.metadata.labels['airlock.dev/inject'], 'false');
  });

  test('a pod whose service account has no AgentIdentity is refused, saying what to create', async () => {
    const stderr = await createFails(runnerPod(CI_NS, 'ci-job-unknown', {}, 'gitlab-runner'));
    assert.match(
      stderr,
      /denied the request: NoIdentity: no AgentIdentity in namespace ci selects service account gitlab-runner: create one with spec\.serviceAccountName: gitlab-runner/,
    );
    assert.match(stderr, /every pod created in it is an agent unless labeled airlock\.dev\/inject=false/);
  });

  test('removing the label from the running agent pod is refused', async () => {
    const removed = await plane.kubectl(['label', '-n', CI_NS, 'pod/ci-job-1', 'airlock.dev/inject-']);
    assert.notEqual(removed.code, 0);
    assert.match(removed.stderr, /InjectLabelRemoved/);
  });

  test('a pod in a namespace without the label is untouched', async () => {
    const pod = await createPod(runnerPod(PLAIN_NS, 'plain-job'));
    assert.equal(pod.spec.initContainers, undefined);
    assert.equal(pod.metadata.labels['airlock.dev/inject'], undefined);
  });
});

describe('a held statement, end to end', () => {
  let sidecarLog: () => string;
  let token: string;

  before(async () => {
    token = await podBoundToken(plane, {
      namespace: NS,
      name: agent.metadata.name,
      uid: agent.metadata.uid,
      serviceAccount: SAMPLE.serviceAccount,
    });
    const sidecar = await procs.startSidecarFromPod(agent, token);
    sidecarLog = () => sidecar.logTail();
  });

  test('psql through the sidecar reads with masked columns', async () => {
    const result = await psqlAsAgent(pg, agent, 'SELECT id, name, email, card_number FROM customers ORDER BY id');
    assert.equal(result.code, 0, `${result.stderr}\n${sidecarLog()}`);
    const rows = result.stdout.trim().split('\n');
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /^1\|Ada Lovelace\|ad\*+\|/);
    assert.doesNotMatch(result.stdout, /ada@example\.com|4111 1111 1111 1111/);
  });

  test('DROP TABLE is held, approved by a reviewer with a status patch, and runs exactly once', async () => {
    const text = 'DROP TABLE order_archive_2019';
    const running = psqlAsAgent(pg, agent, text);
    const request = await requestFor(text);
    assert.equal(request.spec.operation.text, text);
    assert.equal(
      request.spec.operation.digest,
      operationDigest({ target: { namespace: NS, name: SAMPLE.target }, identity: { namespace: NS, name: SAMPLE.identity }, text }),
    );
    assert.deepEqual(request.spec.requester, {
      identity: SAMPLE.identity,
      serviceAccount: `system:serviceaccount:${NS}:${SAMPLE.serviceAccount}`,
      pod: { name: agent.metadata.name, uid: agent.metadata.uid },
    });
    assert.equal(request.metadata.ownerReferences?.[0]?.uid, agent.metadata.uid, 'owned by the pod');
    assert.equal(request.spec.policy.rule, 'ddl-needs-an-owner');
    const approved = await review('alice', request, 'Approve');
    assert.equal(approved.code, 0, approved.stderr);
    const result = await running;
    assert.equal(result.code, 0, `${result.stderr}\n${sidecarLog()}`);
    assert.match(result.stderr, new RegExp(`kubectl approve ${request.metadata.name}`), 'the agent was told what to run');
    assert.equal(await psqlAsOwner(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'order_archive_2019'"), '0');
    const done = await phaseOf(request.metadata.name, ['Executed']);
    firstRequest = request.metadata.name;
    assert.equal(done.status.result, 'DROP TABLE');
    assert.equal(done.status.approvals, '1/1');
    for (const reason of ['Created', 'Approved', 'Executed']) {
      await until(`a ${reason} event`, async () => {
        const events = await kubectlJson(['get', 'events', '-n', NS, '--field-selector', `involvedObject.name=${request.metadata.name}`]);
        return events.items.find((e: Obj) => e.reason === reason);
      });
    }
  });

  test('a write needs two distinct approvers: alice twice counts once, then bob, and it runs once', async () => {
    const text = 'INSERT INTO refunds (customer_id, amount) VALUES (1, 10)';
    const running = psqlAsAgent(pg, agent, text);
    const request = await requestFor(text);
    assert.equal((await review('alice', request, 'Approve')).code, 0);
    const twice = await review('alice', request, 'Approve');
    assert.notEqual(twice.code, 0, 'the second review by alice is refused');
    await sleep(500);
    const still = await kubectlJson(['get', 'approvalrequests.airlock.dev', request.metadata.name, '-n', NS]);
    assert.equal(still.status.phase, 'Pending');
    assert.equal(still.status.approvals, '1/2');
    assert.equal((await review('bob', request, 'Approve')).code, 0);
    const result = await running;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await psqlAsOwner(pg, 'SELECT count(*) FROM refunds'), '1');
  });

  test("the requester's own service account cannot approve, even with the reviewer role", async () => {
    const text = 'DROP TABLE refunds';
    const running = psqlAsAgent(pg, agent, text);
    const request = await requestFor(text);
    assert.equal(
      (
        await plane.kubectl([
          'create',
          'clusterrolebinding',
          'agent-can-review',
          '--clusterrole=airlock-reviewer',
          `--serviceaccount=${NS}:${SAMPLE.serviceAccount}`,
        ])
      ).code,
      0,
    );
    const saToken = await plane.kubectl(['create', 'token', SAMPLE.serviceAccount, '-n', NS]);
    const kubeconfig = join(procs.dir, 'agent-sa.kubeconfig');
    writeFileSync(kubeconfig, plane.kubeconfig('admin').replace(/token: .*/, `token: ${saToken.stdout.trim()}`));
    const self = `system:serviceaccount:${NS}:${SAMPLE.serviceAccount}`;
    const current = await kubectlJson(['get', 'approvalrequests.airlock.dev', request.metadata.name, '-n', NS]);
    const patch = JSON.stringify(
      appendReviewPatch(current as ApprovalRequest, {
        me: { username: self, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] },
        decision: 'Approve',
        now: new Date(),
      }),
    );
    const refused = await plane.kubectl(
      ['patch', 'approvalrequests.airlock.dev', request.metadata.name, '-n', NS, '--subresource=status', '--type=json', '-p', patch],
      { kubeconfigPath: kubeconfig },
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /cannot review its own request|requester/);
    // Deny reaches the agent as an error naming the reviewer.
    assert.equal((await review('carol', request, 'Deny', 'refunds stay')).code, 1, 'carol is no db-owner');
    assert.equal((await review('bob', request, 'Deny', 'refunds stay')).code, 0);
    const result = await running;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /bob@example.com/);
    assert.match(result.stderr, /refunds stay/);
    assert.equal(await psqlAsOwner(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'refunds'"), '1');
  });

  test('an approval for one statement is never used for another', async () => {
    const first = 'ALTER TABLE customers ADD COLUMN note text';
    const running = psqlAsAgent(pg, agent, first);
    const request = await requestFor(first);
    assert.equal((await review('alice', request, 'Approve')).code, 0);
    assert.equal((await running).code, 0);
    // Same policy rule, another statement: held again under its own digest.
    const second = 'ALTER TABLE customers DROP COLUMN country';
    const held = psqlAsAgent(pg, agent, second);
    const other = await requestFor(second);
    assert.notEqual(other.spec.operation.digest, request.spec.operation.digest);
    assert.equal(
      await psqlAsOwner(pg, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'country'"),
      '1',
    );
    assert.equal((await review('bob', other, 'Deny', 'keep the country')).code, 0);
    assert.notEqual((await held).code, 0);
  });

  test('the operator restarted while a request is pending still delivers the approval', async () => {
    const text = 'CREATE INDEX customers_email ON customers (email)';
    const running = psqlAsAgent(pg, agent, text);
    const request = await requestFor(text);
    await operator.restart();
    assert.equal((await review('alice', request, 'Approve')).code, 0);
    const result = await running;
    assert.equal(result.code, 0, `${result.stderr}\n${sidecarLog()}`);
    await phaseOf(request.metadata.name, ['Executed']);
  });

  test('the API server restarted mid-watch loses no decision', async () => {
    const text = 'CREATE INDEX customers_name ON customers (name)';
    const running = psqlAsAgent(pg, agent, text);
    const request = await requestFor(text);
    await plane.restartApiServer();
    assert.equal((await review('bob', request, 'Approve')).code, 0);
    const result = await running;
    assert.equal(result.code, 0, `${result.stderr}\n${sidecarLog()}`);
    await phaseOf(request.metadata.name, ['Executed']);
  });

  test('a request nobody decides expires, and the agent gets an error', { timeout: 180_000 }, async () => {
    const text = 'UPDATE refunds SET amount = 0';
    const running = psqlAsAgent(pg, agent, text, 150_000);
    const request = await requestFor(text);
    const result = await running;
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /expired/i);
    const expired = await phaseOf(request.metadata.name, ['Expired']);
    assert.ok(expired.status.decidedAt);
    assert.equal(await psqlAsOwner(pg, 'SELECT sum(amount) FROM refunds'), '10');
  });

  test('a stolen sidecar token stops working once its pod is deleted', async () => {
    const pod = await createPod(agentPod(NS, 'short-lived'));
    const stolen = await podBoundToken(plane, {
      namespace: NS,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      serviceAccount: SAMPLE.serviceAccount,
    });
    const ca = Buffer.from(
      (await kubectlJson(['get', 'secret', 'airlock-webhook-tls', '-n', OPERATOR_NS])).data['ca.crt'],
      'base64',
    ).toString();
    assert.equal(await brokerStatus(stolen, ca, '/v1/credentials', { target: SAMPLE.target }), 200);
    assert.equal(await brokerStatus(token, ca, '/v1/credentials', { target: 'broken-db' }), 403, 'not one of its targets');
    assert.equal((await plane.kubectl(['delete', 'pod', 'short-lived', '-n', NS, '--wait=true'])).code, 0);
    await until(
      'the stolen token refused',
      async () => ((await brokerStatus(stolen, ca, '/v1/credentials', { target: SAMPLE.target })) === 401 ? true : undefined),
      30_000,
    );
  });
});

describe('garbage collection', () => {
  test('a finished request is deleted after the retention', { timeout: 180_000 }, async () => {
    assert.ok(firstRequest, 'the first held statement ran');
    await until(
      `${firstRequest} deleted`,
      async () => {
        const got = await plane.kubectl(['get', 'approvalrequests.airlock.dev', firstRequest, '-n', NS]);
        return got.code !== 0 && /NotFound/.test(got.stderr) ? true : undefined;
      },
      150_000,
    );
  });
});

function brokerStatus(token: string, ca: string, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: operator.ports.broker,
        path,
        method: 'POST',
        ca,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
