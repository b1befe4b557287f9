/**
 * The demo on a real node, as a user runs airlock: the control plane with a node (kubelet,
 * containerd, kube-proxy, kube-scheduler, CoreDNS as a pod), the images imported into the node,
 * `helm install` of charts/airlock (two operator pods), PostgreSQL with the sample data on the
 * machine and reached by pods on the bridge address, the sample Target, AgentIdentity and
 * ApprovalPolicy, and a long-running agent pod that gets the native sidecar from the webhook. The
 * human types `kubectl exec … psql` into the agent container and `kubectl approve` as a reviewer.
 *
 * Only PostgreSQL and the control plane run outside pods: they are the cluster's surroundings,
 * not airlock. The node changes the machine (bridge, iptables, sysctls, cgroups); stop() puts it
 * back through ControlPlane.stop().
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { cachedAgentImage, cachedImage, type Log } from '@airlock/build';
import { REPO_ROOT } from './airlock-processes.ts';
import {
  agentPodSpec,
  applyObjects,
  createRecordingsVolume,
  helmInstallOnNode,
  importNodeImages,
  type NodeImages,
  RELEASE_NAMESPACE,
} from './chart-on-node.ts';
import { ControlPlane } from './control-plane.ts';
import { DEMO_NAMESPACE, DEMO_POD, type Demo } from './demo-shape.ts';
import { HarnessError } from './errors.ts';
import { PostgresServer } from './postgres.ts';
import type { PsqlResult } from './psql.ts';
import { SAMPLE, sampleManifests } from './sample-agent.ts';
import { seedSample, waitForSampleReady } from './sample-sessions.ts';
import { StopStack } from './stop-stack.ts';

/** The sidecar's port in the agent pod (PGPORT): the pod has its own loopback, so PostgreSQL's usual one. */
const AGENT_PORT = 5432;

export async function startNodeDemo(log: Log, signal?: AbortSignal): Promise<Demo> {
  const stack = new StopStack();
  const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
  try {
    const started = Date.now();
    // The images build (or come from the cache) and PostgreSQL starts while the node does.
    const [planeStarted, postgresStarted, imagesBuilt] = await Promise.allSettled([
      ControlPlane.start({ node: true, log }),
      PostgresServer.start(),
      Promise.all([cachedImage(log), cachedAgentImage(log)]),
    ]);
    if (postgresStarted.status === 'fulfilled') stack.push('PostgreSQL', () => postgresStarted.value.stop());
    // Pushed last, so stopped first: the pods go before what they talk to.
    if (planeStarted.status === 'fulfilled') stack.push('the control plane and the node', () => planeStarted.value.stop());
    for (const result of [planeStarted, postgresStarted, imagesBuilt]) if (result.status === 'rejected') throw result.reason;
    const plane = (planeStarted as PromiseFulfilledResult<ControlPlane>).value;
    const postgres = (postgresStarted as PromiseFulfilledResult<PostgresServer>).value;
    log(`control plane, node and PostgreSQL started, images ready in ${seconds(started)}`);
    signal?.throwIfAborted();

    const images: NodeImages = await importNodeImages(plane, log);
    await seedSample(postgres);
    const postgresOnBridge = await plane.node.exposeOnBridge(postgres.port, 'postgres');
    log(`PostgreSQL with sample data on 127.0.0.1:${postgres.port}, for pods at ${postgresOnBridge.host}:${postgresOnBridge.port}`);
    await createRecordingsVolume(plane);
    signal?.throwIfAborted();

    const installing = Date.now();
    await helmInstallOnNode(plane, { images, helmHome: join(plane.dir, 'helm'), log });
    log(`helm install --wait of charts/airlock: 2 operator pods ready in ${seconds(installing)}`);
    signal?.throwIfAborted();

    await applyObjects(
      plane,
      'sample',
      sampleManifests({
        namespace: DEMO_NAMESPACE,
        postgres: { ...postgresOnBridge, database: postgres.database, user: 'scram_user', password: postgres.users.scram_user.password },
        localPort: AGENT_PORT,
      }),
    );
    await waitForSampleReady(plane, DEMO_NAMESPACE);
    log('Target, AgentIdentity and ApprovalPolicy are Ready');
    signal?.throwIfAborted();

    await applyObjects(plane, 'agent-pod', [agentPodObject(images)]);
    await podReady(plane);
    log(`agent pod ${DEMO_NAMESPACE}/${DEMO_POD} running with its sidecar; everything up in ${seconds(started)}`);
    signal?.throwIfAborted();

    const toolsPath = [join(REPO_ROOT, 'kubectl-approve', 'bin'), dirname(plane.binaries.kubectl), dirname(process.execPath)].join(':');
    return {
      mode: 'node',
      plane,
      postgres,
      agentPort: AGENT_PORT,
      path: [toolsPath, process.env.PATH ?? ''].join(':'),
      instructions: instructions(plane, toolsPath, postgresOnBridge),
      agentPsql: (args, options = {}) =>
        run(
          plane.binaries.kubectl,
          ['--kubeconfig', plane.kubeconfigPath('admin'), 'exec', '-n', DEMO_NAMESPACE, DEMO_POD, '-c', 'agent', '--', 'psql', ...args],
          options.timeoutMs ?? 30_000,
        ),
      stop: () => stack.stop(),
    };
  } catch (error) {
    return stack.stopAndThrow(error);
  }
}

/** The agent pod: the agent image idling, opted in by its label; the human's commands run in it with kubectl exec. */
function agentPodObject(images: NodeImages): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: DEMO_POD, namespace: DEMO_NAMESPACE, labels: { 'airlock.dev/inject': 'true', app: SAMPLE.identity } },
    // sleep as PID 1 would ignore SIGTERM and hold a deletion for the whole grace period; bash
    // exits on it, and then the kubelet stops the sidecar, which exits by itself.
    spec: agentPodSpec(images, ['/bin/bash', '-c', 'trap "exit 0" TERM; sleep infinity & wait'], 'Always'),
  };
}

async function podReady(plane: ControlPlane): Promise<void> {
  const ready = await plane.kubectl(['wait', '-n', DEMO_NAMESPACE, '--for=condition=Ready', '--timeout=180s', `pod/${DEMO_POD}`]);
  if (ready.code === 0) return;
  const described = await plane.kubectl(['describe', 'pod', '-n', DEMO_NAMESPACE, DEMO_POD]);
  const logs = await plane.kubectl(['logs', '-n', DEMO_NAMESPACE, DEMO_POD, '--all-containers', '--prefix', '--tail=30']);
  throw new HarnessError(
    'DemoPodNotReady',
    `the agent pod ${DEMO_NAMESPACE}/${DEMO_POD} did not become Ready: ${ready.stderr}\n${described.stdout}\n${logs.stdout}${logs.stderr}`,
  );
}

function instructions(plane: ControlPlane, toolsPath: string, postgresOnBridge: { host: string; port: number }): string {
  const exec = `kubectl exec -n ${DEMO_NAMESPACE} ${DEMO_POD} -c agent --`;
  return `
airlock is running on a real node: Kubernetes ${plane.binaries.kubernetesVersion} at ${plane.server}, node ${plane.node.name}
(kubelet, containerd, kube-proxy, CoreDNS); the chart installed with helm (2 operator pods in ${RELEASE_NAMESPACE});
PostgreSQL with sample customers, which pods reach at ${postgresOnBridge.host}:${postgresOnBridge.port}; and the agent pod
${DEMO_NAMESPACE}/${DEMO_POD}, whose sidecar the webhook injected.

In another terminal, the agent's side (as the cluster admin):

  export PATH=${toolsPath}:$PATH
  export KUBECONFIG=${plane.kubeconfigPath('admin')}
  kubectl get pods -A

  # the agent reads: e-mail addresses and card numbers come back masked
  ${exec} psql -c 'SELECT * FROM customers'

  # the agent drops a table: the sidecar holds it, psql's NOTICE names the ApprovalRequest, and it waits
  ${exec} psql -c 'DROP TABLE order_archive_2019'

In a third terminal, the reviewer alice@example.com (group db-owners) sees and releases it:

  export PATH=${toolsPath}:$PATH
  export KUBECONFIG=${plane.kubeconfigPath('alice')}
  kubectl approve list -n ${DEMO_NAMESPACE}
  kubectl approve show <name> -n ${DEMO_NAMESPACE}
  kubectl approve <name> -n ${DEMO_NAMESPACE}          # or: --deny --reason 'not today'

Back as the admin, what airlock did:

  kubectl logs -n ${DEMO_NAMESPACE} ${DEMO_POD} -c airlock-sidecar
  kubectl logs -n ${RELEASE_NAMESPACE} deploy/airlock-operator
  kubectl get airlock,events -n ${DEMO_NAMESPACE}

Other users: bob@example.com (db-owners) KUBECONFIG=${plane.kubeconfigPath('bob')}
             dave@example.com (no reviewer)  KUBECONFIG=${plane.kubeconfigPath('dave')}
Press Ctrl-C to stop everything; the machine is put back as it was.
`;
}

/** Runs a command; never throws on a non-zero exit; one stopped by the timeout reports code -1. */
function run(command: string, args: string[], timeoutMs: number): Promise<PsqlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, env: { ...process.env, KUBECONFIG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
