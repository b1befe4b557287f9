/**
 * airlock installed the way an admin installs it: `helm install` of charts/airlock into a real API
 * server, the operator started from the image's root filesystem (its Deployment's command, args
 * and env, the chart's service account token at the in-cluster path, nonroot, read-only root),
 * and the injected sidecar from the same image. The held-statement scenario runs through it and
 * is approved with the real `kubectl approve`; `helm upgrade` rolls the operator and a pending
 * request and the recordings survive; `helm uninstall` runs its pre-delete hook (the Job's pod run
 * from the image, as a kubelet would) and afterwards pods can be created in an opted-in namespace.
 *
 * What stands in for a node (there is none yet): this test starts the containers; the webhook
 * configurations are re-pointed from the Service to the operator on loopback, and the sidecar's
 * broker URL from the Service name to loopback, because there is no cluster network or DNS.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundlePlugin } from '@airlock/kubectl-approve/bundle';
import {
  AirlockProcesses,
  agentPod,
  CHART_DIR,
  ControlPlane,
  eventually,
  freePort,
  ImageRootfs,
  imageRootfs,
  PostgresServer,
  podBoundToken,
  psqlAsAgent,
  psqlAsOwner,
  runHelm,
  SAMPLE,
  sampleManifests,
  seedSample,
  type TestUserName,
} from '@airlock/testkit';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const NS = 'agents';
const RELEASE_NS = 'airlock-system';

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

let plane: ControlPlane;
let pg: PostgresServer;
let procs: AirlockProcesses;
let rootfs: ImageRootfs;
let helmHome: string;
let recordings: string;
let pluginBin: string;
let operator: { stop(): Promise<void>; logTail(): string } | undefined;
let agent: Obj;
let localPort: number;
const ports = { webhook: 0, broker: 0, health: 0 };

before(async () => {
  assert.ok(ImageRootfs.available(), 'running containers from the image needs root and mount namespaces');
  plane = await ControlPlane.start({ log });
  pg = await PostgresServer.start();
  procs = new AirlockProcesses();
  rootfs = await imageRootfs(log);
  helmHome = join(procs.dir, 'helm');
  // The recordings volume: the operator (nonroot) writes it, as the chart's fsGroup lets it.
  recordings = mkdtempSync(join(procs.dir, 'recordings-'));
  chmodSync(recordings, 0o777);
  pluginBin = join(procs.dir, 'plugin-bin');
  mkdirSync(pluginBin);
  await bundlePlugin(join(pluginBin, 'kubectl-approve'));
  ports.webhook = await freePort();
  ports.broker = await freePort();
  ports.health = await freePort();
  localPort = await freePort();
  await seedSample(pg);
});

after(async () => {
  await procs?.stop();
  rootfs?.remove();
  await pg?.stop();
  await plane?.stop();
});

const helm = (args: string[]) => runHelm(args, { home: helmHome, kubeconfig: plane.kubeconfigPath(), log });

/** The values this machine needs: the image just built, by digest, and ports free here (they share one network). */
function machineValues(): string[] {
  return [
    '--set',
    `image.digest=${rootfs.image.digest}`,
    '--set',
    `operator.ports.webhook=${ports.webhook}`,
    '--set',
    `operator.ports.broker=${ports.broker}`,
    '--set',
    `operator.ports.health=${ports.health}`,
  ];
}

async function kubectlJson(args: string[], user: TestUserName = 'admin'): Promise<Obj> {
  const result = await plane.kubectl([...args, '-o', 'json'], { user });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  return eventually(what, probe, { timeoutMs, intervalMs: 200, detail: () => `operator log:\n${operator?.logTail() ?? '(not running)'}` });
}

/** What the chart set, per configuration: the operator's Service, restored before helm upgrade so its patch applies. */
const chartClientConfigs = new Map<string, Obj[]>();

/**
 * Stands in for the cluster network: the chart's webhooks name the operator's Service; here the
 * operator is on loopback. `service` puts the chart's clientConfig back (keeping the caBundle the
 * operator patched in), for helm upgrade and uninstall to find what they installed.
 */
async function pointWebhooksAt(where: 'loopback' | 'service'): Promise<void> {
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const config = await kubectlJson(['get', kind, 'airlock']);
    const webhooks = config.webhooks as Obj[];
    if (where === 'loopback')
      chartClientConfigs.set(
        kind,
        webhooks.map((webhook) => structuredClone(webhook.clientConfig)),
      );
    const patch = webhooks.map((webhook, index) => {
      const chart = chartClientConfigs.get(kind)?.[index];
      assert.equal(chart?.service?.name, 'airlock-operator', `${kind} ${webhook.name} calls the chart's Service`);
      const ca = webhook.clientConfig.caBundle ? { caBundle: webhook.clientConfig.caBundle } : {};
      const value =
        where === 'loopback'
          ? { url: `https://127.0.0.1:${ports.webhook}${chart.service.path}`, ...ca }
          : { service: chart.service, ...ca };
      return { op: 'replace', path: `/webhooks/${index}/clientConfig`, value };
    });
    const patched = await plane.kubectl(['patch', kind, 'airlock', '--type=json', '-p', JSON.stringify(patch)]);
    assert.equal(patched.code, 0, patched.stderr);
  }
}

/** What a kubelet does with the Deployment's pod template: the operator container, from the image, as its service account. */
async function startOperatorFromDeployment(): Promise<void> {
  const deployment = await kubectlJson(['get', 'deployment', 'airlock-operator', '-n', RELEASE_NS]);
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  assert.equal(container.image, `airlock/airlock@${rootfs.image.digest}`);
  const podName = `airlock-operator-${deployment.metadata.generation}`;
  const env: Record<string, string> = {};
  for (const variable of container.env as Obj[]) {
    const field = variable.valueFrom?.fieldRef?.fieldPath;
    env[variable.name] = field === 'metadata.namespace' ? RELEASE_NS : field === 'metadata.name' ? podName : variable.value;
  }
  const token = await plane.kubectl(['create', 'token', pod.serviceAccountName, '-n', RELEASE_NS, '--duration=2h']);
  assert.equal(token.code, 0, token.stderr);
  const recordingsMount = container.volumeMounts.find((m: Obj) => m.name === 'recordings');
  operator = await procs.startFromImage(
    podName,
    rootfs,
    // The pod network is this machine's: listen on loopback only, and let the certificate name it.
    [...container.command, ...container.args, '--host=127.0.0.1', '--ip-address=127.0.0.1'],
    {
      env,
      serviceAccount: { token: token.stdout.trim(), caPem: plane.caPem, namespace: RELEASE_NS, server: new URL(plane.server) },
      mounts: [{ host: recordings, at: recordingsMount.mountPath, writable: true }],
    },
    ports.health,
  );
}

function pendingRequestFor(text: string): Promise<Obj> {
  return until(`a Pending ApprovalRequest for ${text}`, async () => {
    const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
    return list.items.find((r: Obj) => r.spec.operation.text === text && r.status?.phase === 'Pending');
  });
}

/** `kubectl approve ARGS` as alice (group airlock-reviewers), found by kubectl's plugin discovery. */
function kubectlApprove(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(plane.binaries.kubectl, ['approve', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: [pluginBin, dirname(process.execPath), dirname(plane.binaries.kubectl), '/usr/bin', '/bin'].join(':'),
        KUBECONFIG: plane.kubeconfigPath('alice'),
        HOME: procs.dir,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('helm install: the chart installs, and prints what to do next', async () => {
  const started = performance.now();
  const installed = await helm(['install', 'airlock', CHART_DIR, '-n', RELEASE_NS, '--create-namespace', ...machineValues()]);
  assert.equal(installed.code, 0, installed.stderr);
  log(`helm install took ${Math.round(performance.now() - started)} ms`);
  assert.match(installed.stdout, /kubectl label namespace agents airlock\.dev\/injection=enabled/);
  assert.match(installed.stdout, /kubectl approve list/);
  await pointWebhooksAt('loopback');
});

test('the operator runs from the image with the chart service account, and a labeled pod gets the image as its sidecar', async () => {
  await startOperatorFromDeployment();
  const manifest = join(procs.dir, 'sample.yaml');
  writeFileSync(
    manifest,
    sampleManifests({
      namespace: NS,
      postgres: { host: pg.host, port: pg.port, database: pg.database, user: 'scram_user', password: pg.users.scram_user.password },
      localPort,
    }),
  );
  const applied = await plane.kubectl(['apply', '-f', manifest]);
  assert.equal(applied.code, 0, applied.stderr);
  const ready = await plane.kubectl(['wait', '-n', NS, '--for=condition=Ready', '--timeout=60s', `targets.airlock.dev/${SAMPLE.target}`]);
  assert.equal(ready.code, 0, `${ready.stderr}\n${operator?.logTail()}`);
  // The operator patches its CA into the webhooks; until then the API server cannot call it.
  const file = join(procs.dir, 'agent-pod.json');
  writeFileSync(file, JSON.stringify(agentPod(NS, 'orders-agent-1')));
  agent = await until('the agent pod, created through the webhook', async () => {
    const created = await plane.kubectl(['create', '-f', file, '-o', 'json']);
    return created.code === 0 ? (JSON.parse(created.stdout) as Obj) : undefined;
  });
  const sidecar = agent.spec.initContainers.find((c: Obj) => c.name === 'airlock-sidecar');
  assert.equal(sidecar.image, `airlock/airlock@${rootfs.image.digest}`, 'the injected sidecar is the image the chart names');
  const brokerURL = sidecar.env.find((e: Obj) => e.name === 'AIRLOCK_BROKER_URL').value;
  assert.equal(brokerURL, `https://airlock-broker.${RELEASE_NS}.svc:${ports.broker}`);
  const token = await podBoundToken(plane, {
    namespace: NS,
    name: agent.metadata.name,
    uid: agent.metadata.uid,
    serviceAccount: SAMPLE.serviceAccount,
  });
  await procs.startSidecarFromPod(agent, token, { rootfs, brokerURL: `https://127.0.0.1:${ports.broker}` });
});

test('a held DROP TABLE is approved with kubectl approve and runs once', async () => {
  const text = 'DROP TABLE order_archive_2019';
  const running = psqlAsAgent(pg, agent, text);
  const request = await pendingRequestFor(text);
  const approved = await kubectlApprove([request.metadata.name, '-n', NS, '--reason', 'archive is in cold storage']);
  assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  assert.equal(await psqlAsOwner(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'order_archive_2019'"), '0');
  await until('the request Executed', async () => {
    const r = await kubectlJson(['get', 'approvalrequests.airlock.dev', request.metadata.name, '-n', NS]);
    return r.status?.phase === 'Executed' ? r : undefined;
  });
});

test('helm upgrade with a changed value rolls the operator; a pending request and the recordings survive', async () => {
  const text = 'DROP TABLE refunds';
  const running = psqlAsAgent(pg, agent, text);
  const request = await pendingRequestFor(text);
  const recorded = readdirSync(join(recordings, NS), { recursive: true }).filter((f) => String(f).endsWith('.jsonl'));
  assert.ok(recorded.length > 0, 'sessions are recorded on the volume');
  const before = await kubectlJson(['get', 'deployment', 'airlock-operator', '-n', RELEASE_NS]);
  await pointWebhooksAt('service');
  const upgraded = await helm(['upgrade', 'airlock', CHART_DIR, '-n', RELEASE_NS, ...machineValues(), '--set', 'operator.logLevel=debug']);
  assert.equal(upgraded.code, 0, upgraded.stderr);
  const afterUpgrade = await kubectlJson(['get', 'deployment', 'airlock-operator', '-n', RELEASE_NS]);
  assert.ok(afterUpgrade.metadata.generation > before.metadata.generation, 'the pod template changed: the Deployment rolls');
  assert.ok(afterUpgrade.spec.template.spec.containers[0].args.includes('--log-level=debug'));
  // The roll, as the Deployment controller and kubelet would do it: the old replica goes, a new one comes.
  await operator?.stop();
  await pointWebhooksAt('loopback');
  await startOperatorFromDeployment();
  const still = await kubectlJson(['get', 'approvalrequests.airlock.dev', request.metadata.name, '-n', NS]);
  assert.equal(still.status.phase, 'Pending', 'the pending request outlived the roll');
  const approved = await kubectlApprove([request.metadata.name, '-n', NS]);
  assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
  const result = await running;
  assert.equal(result.code, 0, `the statement held across the roll ran: ${result.stderr}`);
  assert.equal(await psqlAsOwner(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'refunds'"), '0');
  const after = readdirSync(join(recordings, NS), { recursive: true }).filter((f) => String(f).endsWith('.jsonl'));
  for (const file of recorded) assert.ok(after.includes(file), `${String(file)} is still on the volume`);
});

test('helm uninstall runs its hook first: the webhooks are gone, pods can be created, the CRDs stay', async () => {
  // helm waits for the hook Job to complete before it deletes anything.
  const uninstalling = helm(['uninstall', 'airlock', '-n', RELEASE_NS, '--timeout', '120s']);
  // The hook Job's pod, run as the kubelet would: from the image, as the hook's service account.
  const pod = await until(
    'the pre-delete hook pod',
    async () => {
      const pods = await kubectlJson(['get', 'pods', '-n', RELEASE_NS, '-l', 'job-name=airlock-remove-webhooks']);
      return pods.items[0] as Obj | undefined;
    },
    90_000,
  );
  const container = pod.spec.containers[0];
  assert.equal(container.image, `airlock/airlock@${rootfs.image.digest}`);
  const token = await plane.kubectl(['create', 'token', pod.spec.serviceAccountName, '-n', RELEASE_NS, '--duration=10m']);
  assert.equal(token.code, 0, token.stderr);
  const ran = rootfs.run(container.command, {
    serviceAccount: { token: token.stdout.trim(), caPem: plane.caPem, namespace: RELEASE_NS, server: new URL(plane.server) },
  });
  assert.equal(ran.status, 0, `${ran.stdout}${ran.stderr}`);
  assert.match(ran.stdout, /deleted mutatingwebhookconfigurations\/airlock/);
  const succeeded = await plane.kubectl([
    'patch',
    'pod',
    pod.metadata.name,
    '-n',
    RELEASE_NS,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify({ status: { phase: 'Succeeded' } }),
  ]);
  assert.equal(succeeded.code, 0, succeeded.stderr);
  const finished = await uninstalling;
  assert.equal(finished.code, 0, finished.stderr);
  await operator?.stop();
  operator = undefined;
  for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
    const gone = await plane.kubectl(['get', kind, 'airlock', '-o', 'name']);
    assert.notEqual(gone.code, 0, `${kind} outlived helm uninstall`);
  }
  // No operator, no webhook: a labeled pod in an opted-in namespace is created (without a sidecar).
  const file = join(procs.dir, 'after-uninstall.json');
  writeFileSync(file, JSON.stringify(agentPod(NS, 'after-uninstall')));
  const created = await plane.kubectl(['create', '-f', file, '-o', 'json']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(JSON.parse(created.stdout).spec.initContainers, undefined);
  const crds = await plane.kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=airlock', '-o', 'name']);
  assert.equal(crds.stdout.trim().split('\n').length, 4, crds.stdout);
  const kept = await plane.kubectl(['get', 'approvalrequests.airlock.dev', '-n', NS, '-o', 'name']);
  assert.ok(kept.stdout.trim().length > 0, 'the airlock objects stay with their CRDs');
});
