/**
 * The Kubernetes API through airlock, end to end: a real control plane (with an audit log, so the
 * API server itself says what ran), the operator as a process, an agent pod mutated by the webhook
 * and its sidecar started from the injected spec. The agent is the real kubectl (and client-node)
 * reading the kubeconfig the sidecar wrote; the sidecar reaches the API server with a TokenRequest
 * token of the Target's service account, bound to the agent pod. Reviewers use real kubectl.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundlePlugin } from '@airlock/kubectl-approve/bundle';
import {
  AirlockProcesses,
  ControlPlane,
  eventually,
  freePort,
  installAirlock,
  installCrds,
  installWebhooks,
  podBoundToken,
  type TestUserName,
} from '@airlock/testkit';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { reviewAs } from './support/review-as.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const NS = 'agents';
const OPERATOR_NS = 'airlock-system';
const AGENT_SA = 'ops-agent';
const UPSTREAM_SA = 'cluster-agent';
const TARGET = 'cluster-api';
const SECRET_VALUE = 's3cr3t-hunter2-value';

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

let plane: ControlPlane;
let procs: AirlockProcesses;
let operator: Awaited<ReturnType<AirlockProcesses['startOperator']>>;
let sidecar: Awaited<ReturnType<AirlockProcesses['startSidecarFromPod']>>;
let agent: Obj;
let kubeconfig: string;
let localPort: number;
let recordings: string;
/** Where the kubectl-approve bundle is, for kubectl's plugin discovery. */
let pluginDir: string;

function manifests(port: number): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: airlock-reviewers }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: airlock-reviewer }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: Group, name: airlock-reviewers }]
---
apiVersion: v1
kind: Namespace
metadata: { name: ${NS}, labels: { airlock.dev/injection: enabled } }
---
apiVersion: v1
kind: Namespace
metadata: { name: prod-eu }
---
apiVersion: v1
kind: Namespace
metadata: { name: dev }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${AGENT_SA}, namespace: ${NS} }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: ${UPSTREAM_SA}, namespace: ${NS} }
---
# What the sidecar's upstream identity may do at all; airlock's policy narrows it.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: cluster-agent }
rules:
  - apiGroups: ["", apps, batch, discovery.k8s.io]
    resources: [pods, pods/log, pods/exec, services, configmaps, secrets, replicasets, deployments, jobs, cronjobs, statefulsets, daemonsets, controllerrevisions, endpointslices, persistentvolumeclaims, namespaces, events]
    verbs: [get, list, watch, create, update, patch, delete, deletecollection]
  - apiGroups: [rbac.authorization.k8s.io]
    resources: [roles, rolebindings]
    verbs: [get, list, watch, create, update, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: cluster-agent }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-agent }
subjects: [{ kind: ServiceAccount, name: ${UPSTREAM_SA}, namespace: ${NS} }]
---
apiVersion: airlock.dev/v1alpha1
kind: Target
metadata: { name: ${TARGET}, namespace: ${NS} }
spec:
  type: kubernetes
  description: This cluster's API, as the cluster-agent service account.
  localPort: ${port}
  kubernetes:
    inCluster: true
    serviceAccountName: ${UPSTREAM_SA}
---
apiVersion: airlock.dev/v1alpha1
kind: AgentIdentity
metadata: { name: ops-agent, namespace: ${NS} }
spec:
  serviceAccountName: ${AGENT_SA}
  targets: [${TARGET}]
---
apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata: { name: cluster-api-access, namespace: ${NS} }
spec:
  targets: { names: [${TARGET}] }
  rules:
    - name: no-prod-secrets
      match: { kubernetes: { apiGroups: [""], resources: [secrets], namespaces: [prod-*] } }
      action: deny
    - name: no-rbac-changes
      match: { kubernetes: { apiGroups: [rbac.authorization.k8s.io], verbs: [create, update, patch, delete, deletecollection] } }
      action: deny
    - name: prod-deletes
      match: { kubernetes: { verbs: [delete, deletecollection], namespaces: [prod-*] } }
      action: requireApproval
    - name: prod-exec
      match: { kubernetes: { resources: [pods/exec], namespaces: [prod-*] } }
      action: requireApproval
    - name: dev-changes
      match: { kubernetes: { verbs: [create, update, patch, delete], resources: [deployments, configmaps], namespaces: [dev], names: ["*"] } }
      action: allow
    - name: self-checks
      description: kubectl auth can-i and whoami ask the API server about the caller itself.
      match: { kubernetes: { verbs: [create], apiGroups: [authorization.k8s.io, authentication.k8s.io], resources: [selfsubjectaccessreviews, selfsubjectrulesreviews, selfsubjectreviews], namespaces: [""], names: ["*"] } }
      action: allow
    - name: reads
      match: { kubernetes: { verbs: [get, list, watch] } }
      action: allow
  defaultAction: deny
  approval:
    approvers: { groups: [sre] }
    requiredApprovals: 1
    ttl: 10m
`;
}

/** A Deployment; the control plane's controllers give it a ReplicaSet and a (Pending: no node) Pod, owned the usual way. */
async function deploymentWithDependents(namespace: string, name: string): Promise<void> {
  await apply({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'app:1' }] } },
    },
  });
  await until(`a pod of deployment ${name}`, async () => {
    const pods = await kubectlJson(['get', 'pods', '-n', namespace, '-l', `app=${name}`]);
    return pods.items.length > 0 ? pods : undefined;
  });
}

async function apply(object: Obj): Promise<Obj> {
  const file = join(procs.dir, `object-${object.kind}-${object.metadata.name}.json`);
  writeFileSync(file, JSON.stringify(object));
  const created = await plane.kubectl(['create', '-f', file, '-o', 'json']);
  assert.equal(created.code, 0, created.stderr);
  return JSON.parse(created.stdout);
}

before(async () => {
  plane = await ControlPlane.start({ auditLog: true, log });
  procs = new AirlockProcesses();
  await installCrds(plane);
  const install = await installAirlock(plane, { namespace: OPERATOR_NS });
  const ports = { webhook: await freePort(), broker: await freePort(), health: await freePort() };
  await installWebhooks(plane, { url: `https://127.0.0.1:${ports.webhook}`, operatorNamespace: OPERATOR_NS });
  recordings = mkdtempSync(join(procs.dir, 'recordings-'));
  pluginDir = mkdtempSync(join(procs.dir, 'bin-'));
  await bundlePlugin(join(pluginDir, 'kubectl-approve'));
  operator = await procs.startOperator({
    kubeconfigPath: install.operator.kubeconfigPath,
    namespace: OPERATOR_NS,
    recordingsDirectory: recordings,
    ports,
  });
  localPort = await freePort();
  const file = join(procs.dir, 'kubernetes-target.yaml');
  writeFileSync(file, manifests(localPort));
  const applied = await plane.kubectl(['apply', '-f', file]);
  assert.equal(applied.code, 0, applied.stderr);
  await deploymentWithDependents('prod-eu', 'orders');
  await deploymentWithDependents('prod-eu', 'billing');
  await apply({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'dev' }, stringData: { password: SECRET_VALUE } });
  await apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web-0', namespace: 'prod-eu' },
    spec: { containers: [{ name: 'web', image: 'web:1' }] },
  });
  await until('the Target is Ready', async () => {
    const target = await kubectlJson(['get', 'targets.airlock.dev', TARGET, '-n', NS]);
    return target.status?.conditions?.find((c: Obj) => c.type === 'Ready' && c.status === 'True');
  });
  agent = await apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'ops-agent', namespace: NS, labels: { 'airlock.dev/inject': 'true' } },
    spec: {
      serviceAccountName: AGENT_SA,
      restartPolicy: 'Never',
      containers: [{ name: 'agent', image: 'agent:latest', command: ['sleep', 'infinity'] }],
    },
  });
  const token = await podBoundToken(plane, { namespace: NS, name: agent.metadata.name, uid: agent.metadata.uid, serviceAccount: AGENT_SA });
  sidecar = await procs.startSidecarFromPod(agent, token);
  const agentContainer = agent.spec.containers.find((c: Obj) => c.name === 'agent');
  const kubeconfigEnv = agentContainer.env.find((e: Obj) => e.name === 'KUBECONFIG');
  kubeconfig = sidecar.hostPath(kubeconfigEnv.value);
});

after(async () => {
  await procs?.stop();
  await plane?.stop();
});

/** One GET to the sidecar with the request-target exactly as given. */
function rawGet(target: string): Promise<{ status: number; body: Obj }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: localPort, path: target, method: 'GET' }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function kubectlJson(args: string[], user: TestUserName = 'admin'): Promise<Obj> {
  const result = await plane.kubectl([...args, '-o', 'json'], { user });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** The real kubectl as the agent: the kubeconfig the sidecar wrote, nothing else. */
function agentKubectl(args: string[]) {
  return plane.kubectl(args, { kubeconfigPath: kubeconfig });
}

function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return eventually(what, probe, {
    timeoutMs,
    intervalMs: 200,
    detail: () => `operator log:\n${operator.logTail()}\nsidecar log:\n${sidecar?.logTail() ?? ''}`,
  });
}

function pendingRequestFor(summary: string): Promise<Obj> {
  return until(`an ApprovalRequest for ${summary}`, async () => {
    const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
    return list.items.find((r: Obj) => r.spec.operation.summary === summary && r.status?.phase === 'Pending');
  });
}

async function review(user: TestUserName, request: Obj, decision: 'Approve' | 'Deny', reason?: string) {
  const result = await reviewAs(plane, user, request as { metadata: { name: string; namespace: string } }, decision, reason);
  assert.equal(result.code, 0, result.stderr);
}

/** DELETE requests the API server saw for the object, dry runs apart. */
function deletesOf(namespace: string, resource: string, name: string) {
  return plane
    .auditEvents()
    .filter(
      (e) =>
        e.stage === 'ResponseComplete' &&
        e.verb === 'delete' &&
        e.objectRef?.namespace === namespace &&
        e.objectRef?.resource === resource &&
        e.objectRef?.name === name,
    )
    .map((e) => ({ dryRun: /[?&]dryRun=All/.test(e.requestURI), user: e.user?.username, code: e.responseStatus?.code }));
}

describe('the agent side', () => {
  test('the agent container gets KUBECONFIG and no token; the kubeconfig holds no credential', () => {
    const container = agent.spec.containers.find((c: Obj) => c.name === 'agent');
    assert.equal(container.env.find((e: Obj) => e.name === 'KUBECONFIG')?.value, '/var/run/airlock/kubeconfig');
    assert.equal(agent.spec.automountServiceAccountToken, false);
    for (const mount of container.volumeMounts ?? []) assert.doesNotMatch(mount.mountPath, /serviceaccount|airlock-token/);
    const text = readFileSync(kubeconfig, 'utf8');
    const config = JSON.parse(text);
    assert.equal(config.clusters[0].cluster.server, `http://127.0.0.1:${localPort}`);
    assert.deepEqual(config.users[0].user, {});
    assert.doesNotMatch(text, /token|client-key|password/i);
  });

  test('discovery, reads and kubectl auth can-i work through the sidecar', async () => {
    const version = await agentKubectl(['version', '-o', 'json']);
    assert.equal(version.code, 0, version.stderr);
    assert.ok(JSON.parse(version.stdout).serverVersion.gitVersion);
    const resources = await agentKubectl(['api-resources', '--api-group=apps', '-o', 'name']);
    assert.equal(resources.code, 0, resources.stderr);
    assert.match(resources.stdout, /deployments\.apps/);
    const pods = await agentKubectl(['get', 'pods', '-n', 'prod-eu', '-o', 'name']);
    assert.equal(pods.code, 0, `${pods.stderr}\n${sidecar.logTail()}`);
    assert.match(pods.stdout, /pod\/orders-/);
    const all = await agentKubectl(['get', 'deployments', '-A', '-o', 'name']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /deployment.apps\/orders/);
    const canI = await agentKubectl(['auth', 'can-i', 'delete', 'deployments', '-n', 'prod-eu']);
    assert.equal(canI.code, 0, canI.stderr);
    assert.equal(canI.stdout.trim(), 'yes', 'the upstream identity may; airlock still decides');
    const whoami = await agentKubectl(['auth', 'whoami', '-o', 'json']);
    assert.equal(whoami.code, 0, whoami.stderr);
    assert.equal(JSON.parse(whoami.stdout).status.userInfo.username, `system:serviceaccount:${NS}:${UPSTREAM_SA}`);
  });

  test('client-node reads through the same kubeconfig', async () => {
    const config = new KubeConfig();
    config.loadFromFile(kubeconfig);
    const pods = await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'prod-eu' });
    assert.ok(pods.items.some((pod) => pod.metadata?.name === 'web-0'));
  });

  test('a watch streams events through the sidecar', async () => {
    const watching = agentKubectl(['get', 'configmaps', '-n', 'dev', '--watch-only', '-o', 'name', '--request-timeout=8s']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const created = await agentKubectl(['create', 'configmap', 'watched', '-n', 'dev', '--from-literal=a=b']);
    assert.equal(created.code, 0, created.stderr);
    const result = await watching;
    assert.match(result.stdout, /configmap\/watched/);
  });
});

describe('decisions', () => {
  test('kubectl get secret -o yaml through the sidecar shows masked values', async () => {
    const result = await agentKubectl(['get', 'secret', 'db', '-n', 'dev', '-o', 'yaml']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /password: /);
    assert.doesNotMatch(result.stdout, new RegExp(SECRET_VALUE));
    assert.doesNotMatch(result.stdout, new RegExp(Buffer.from(SECRET_VALUE).toString('base64')));
    const value = await agentKubectl(['get', 'secret', 'db', '-n', 'dev', '-o', 'jsonpath={.data.password}']);
    assert.equal(Buffer.from(value.stdout, 'base64').toString('utf8'), '****');
    // Written back as read, it would store **** over the real value: refused.
    const file = join(procs.dir, 'secret-as-read.yaml');
    writeFileSync(file, result.stdout);
    const replaced = await agentKubectl(['replace', '-f', file]);
    assert.notEqual(replaced.code, 0);
    assert.match(replaced.stderr, /airlock: the request would store the masked value \*\*\*\* in Secret db/);
    const stored = await kubectlJson(['get', 'secret', 'db', '-n', 'dev']);
    assert.equal(Buffer.from(stored.data.password, 'base64').toString('utf8'), SECRET_VALUE);
  });

  test('a Secret in a prod namespace is denied with a 403 that kubectl prints', async () => {
    const result = await agentKubectl(['get', 'secrets', '-n', 'prod-eu']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Error from server \(Forbidden\): airlock: .*no-prod-secrets/);
  });

  test('RBAC changes are denied by the policy before the API server sees them', async () => {
    const before = plane.auditEvents().filter((e) => e.objectRef?.resource === 'roles' && e.verb === 'create').length;
    const result = await agentKubectl(['create', 'role', 'sneaky', '--verb=get', '--resource=secrets', '-n', 'dev']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Forbidden.*airlock: .*no-rbac-changes/);
    const afterCount = plane.auditEvents().filter((e) => e.objectRef?.resource === 'roles' && e.verb === 'create').length;
    assert.equal(afterCount, before, 'nothing reached the API server');
  });

  test('apply --server-side and patch are decided by resource: deployments in dev yes, in prod no', async () => {
    const file = join(procs.dir, 'dev-deployment.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'api', namespace: 'dev' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'api' } },
          template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'a', image: 'a:1' }] } },
        },
      }),
    );
    const applied = await agentKubectl(['apply', '--server-side', '-f', file]);
    assert.equal(applied.code, 0, applied.stderr);
    const patched = await agentKubectl(['patch', 'deployment', 'api', '-n', 'dev', '-p', '{"spec":{"replicas":3}}']);
    assert.equal(patched.code, 0, patched.stderr);
    assert.equal((await kubectlJson(['get', 'deployment', 'api', '-n', 'dev'])).spec.replicas, 3);
    const prod = await agentKubectl(['patch', 'deployment', 'orders', '-n', 'prod-eu', '-p', '{"spec":{"replicas":3}}']);
    assert.notEqual(prod.code, 0);
    assert.match(prod.stderr, /Forbidden.*airlock: /);
    assert.equal((await kubectlJson(['get', 'deployment', 'orders', '-n', 'prod-eu'])).spec.replicas, 1);
  });

  test('a request the parser cannot place is refused outright: no hold, and the API server never sees it', async () => {
    // Sent as bytes (kubectl would decode the %2F): the API server would read a list of prod-eu's Secrets.
    const answer = await rawGet('/api/v1/namespaces/prod-eu%2Fsecrets');
    assert.equal(answer.status, 403);
    assert.equal(answer.body.kind, 'Status');
    assert.match(answer.body.message, /^airlock: the request cannot be placed the way the API server places it/);
    const requests = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
    assert.deepEqual(
      requests.items.filter((r: Obj) => r.spec.operation.summary.startsWith('unknown request')),
      [],
      'nothing for a reviewer to approve',
    );
    assert.deepEqual(
      plane.auditEvents().filter((e) => e.requestURI.includes('%2Fsecrets')),
      [],
      'the API server never saw it',
    );
  });

  test('impersonation headers are refused', async () => {
    const result = await agentKubectl(['get', 'pods', '-n', 'dev', '--as=system:admin']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /impersonat/i);
  });

  test('a request that smuggles a second one (Content-Length and Transfer-Encoding) is refused and nothing is forwarded', async () => {
    const before = plane.auditEvents().length;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(localPort, '127.0.0.1');
      let data = '';
      socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk));
      socket.on('error', reject);
      socket.on('close', () => resolve(data));
      socket.write(
        'POST /api/v1/namespaces/dev/configmaps HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nDELETE /api/v1/namespaces/dev/configmaps/watched HTTP/1.1\r\nHost: x\r\n\r\n',
      );
    });
    assert.match(answer, /^HTTP\/1\.1 400/);
    assert.doesNotMatch(answer, /HTTP\/1\.1 [23]\d\d/);
    const forwarded = plane
      .auditEvents()
      .slice(before)
      .filter((e) => e.user?.username === `system:serviceaccount:${NS}:${UPSTREAM_SA}`);
    assert.deepEqual(
      forwarded.filter((e) => e.verb !== 'get' && e.verb !== 'list'),
      [],
    );
  });
});

describe('a held delete, end to end', () => {
  test('kubectl delete deployment orders -n prod-eu waits, the request carries what would be deleted, and it runs once after approval', async () => {
    const deleting = agentKubectl(['delete', 'deployment', 'orders', '-n', 'prod-eu', '--wait=false']);
    const request = await pendingRequestFor('delete deployments orders -n prod-eu');
    assert.equal(request.spec.target.type, 'kubernetes');
    assert.match(
      request.spec.operation.text,
      /^delete deployments orders -n prod-eu\nDELETE \/apis\/apps\/v1\/namespaces\/prod-eu\/deployments\/orders/,
    );
    const evidence = request.spec.evidence;
    assert.ok(evidence, 'the request carries evidence');
    assert.equal(evidence.source, 'DryRun');
    assert.match(evidence.text, /ReplicaSet orders-/);
    assert.match(evidence.text, /Pod orders-/);
    assert.deepEqual(
      deletesOf('prod-eu', 'deployments', 'orders').map((d) => d.dryRun),
      [true],
      'only the dry run has reached the API server',
    );
    const shown = await plane.kubectl(['approve', 'show', request.metadata.name, '-n', NS], { user: 'carol', pluginDirs: [pluginDir] });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /ReplicaSet orders-/);
    await review('carol', request, 'Approve');
    const result = await deleting;
    assert.equal(result.code, 0, `${result.stderr}\n${sidecar.logTail()}`);
    assert.match(result.stdout, /deployment.apps "orders" deleted/);
    assert.match(result.stderr, new RegExp(`Warning: airlock: held for approval as ApprovalRequest ${request.metadata.name}`));
    const deletes = deletesOf('prod-eu', 'deployments', 'orders');
    assert.deepEqual(
      deletes.map((d) => d.dryRun),
      [true, false],
      'the dry run, then the delete itself, once',
    );
    assert.equal(deletes[1]?.user, `system:serviceaccount:${NS}:${UPSTREAM_SA}`);
    const gone = await plane.kubectl(['get', 'deployment', 'orders', '-n', 'prod-eu']);
    assert.match(gone.stderr, /NotFound/);
  });

  test('a denied delete becomes a 403 that names the reviewer and the reason', async () => {
    const deleting = agentKubectl(['delete', 'deployment', 'billing', '-n', 'prod-eu', '--wait=false']);
    const request = await pendingRequestFor('delete deployments billing -n prod-eu');
    await review('carol', request, 'Deny', 'billing is frozen this week');
    const result = await deleting;
    assert.notEqual(result.code, 0);
    assert.match(
      result.stderr,
      /Error from server \(Forbidden\): airlock: ApprovalRequest .* was denied by carol@example\.com: billing is frozen this week/,
    );
    assert.deepEqual(
      deletesOf('prod-eu', 'deployments', 'billing').map((d) => d.dryRun),
      [true],
    );
    assert.equal((await kubectlJson(['get', 'deployment', 'billing', '-n', 'prod-eu'])).metadata.name, 'billing');
  });

  test('an exec in a prod pod is held per command, and runs after approval', async () => {
    const executing = agentKubectl(['exec', 'web-0', '-n', 'prod-eu', '--', 'sh', '-c', 'echo hi']);
    const request = await pendingRequestFor("exec pods/web-0 -n prod-eu -- sh -c 'echo hi'");
    assert.match(
      request.spec.operation.text,
      /\nGET or POST \/api\/v1\/namespaces\/prod-eu\/pods\/web-0\/exec\?.*command=sh&command=-c&command=echo/,
    );
    await review('carol', request, 'Approve');
    const result = await executing;
    // No node runs this pod: the API server refuses the approved exec with its own error, which is
    // the proof it was sent; kubectl's retry over SPDY needs no second approval.
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stderr, /airlock: /);
    const requests = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
    assert.equal(requests.items.filter((r: Obj) => r.spec.operation.summary === request.spec.operation.summary).length, 1, 'one approval');
    const execs = plane.auditEvents().filter((e) => e.objectRef?.subresource === 'exec' && e.objectRef?.name === 'web-0');
    assert.ok(execs.length >= 1, 'the approved exec reached the API server');
  });

  test('the session is recorded with each request, its decision and its status', async () => {
    const files = await until('a recording of the kubernetes session', async () => {
      const { readdirSync } = await import('node:fs');
      const found: string[] = [];
      const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) walk(path);
          else if (readFileSync(path, 'utf8').includes('"protocol":"kubernetes"')) found.push(path);
        }
      };
      walk(recordings);
      return found.length > 0 ? found : undefined;
    });
    const text = files.map((file) => readFileSync(file, 'utf8')).join('\n');
    assert.match(text, /delete deployments orders -n prod-eu/);
    assert.match(text, /"commandTag":"HTTP 200"/);
    assert.doesNotMatch(text, new RegExp(SECRET_VALUE));
  });
});
