/**
 * The demo without a node (demo.ts chooses it when the machine cannot run one): a control plane
 * with the CRDs, admission policy and RBAC; the operator as a process; a PostgreSQL target with
 * personal data; the sample AgentIdentity and ApprovalPolicy; an agent pod created in the API
 * server and mutated by the webhook (it never runs: there is no kubelet); and its sidecar started
 * as a local process from the injected spec with a token bound to the pod.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Log } from '@airlock/build';
import { AirlockProcesses, REPO_ROOT } from './airlock-processes.ts';
import { ControlPlane } from './control-plane.ts';
import { installCrds } from './crds.ts';
import { DEMO_NAMESPACE, DEMO_POD, type Demo, OPERATOR_NAMESPACE } from './demo-shape.ts';
import { HarnessError } from './errors.ts';
import { installAirlock } from './install.ts';
import { freePort } from './ports.ts';
import { PostgresServer } from './postgres.ts';
import { runPsql } from './psql.ts';
import { agentPod, SAMPLE, SAMPLE_SQL, sampleManifests } from './sample-agent.ts';
import { waitForSampleReady } from './sample-sessions.ts';
import { StopStack } from './stop-stack.ts';
import { installWebhooks, podBoundToken } from './webhooks.ts';

export async function startProcessesDemo(log: Log, signal?: AbortSignal): Promise<Demo> {
  const stack = new StopStack();
  try {
    const plane = await ControlPlane.start({ log });
    stack.push('the control plane', () => plane.stop());
    signal?.throwIfAborted();
    await installCrds(plane);
    const install = await installAirlock(plane, { namespace: OPERATOR_NAMESPACE });
    log('CRDs, admission policy and RBAC installed');
    const postgres = await PostgresServer.start();
    stack.push('PostgreSQL', () => postgres.stop());
    const owner = {
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      user: 'scram_user',
      password: postgres.users.scram_user.password,
      sslMode: 'disable' as const,
    };
    const seeded = await runPsql(postgres.binaries.psql, owner, ['-q', '-c', SAMPLE_SQL]);
    if (seeded.code !== 0) throw new HarnessError('DemoSeedFailed', `loading the sample data failed:\n${seeded.stderr}`);
    log(`PostgreSQL on 127.0.0.1:${postgres.port} with sample data`);
    signal?.throwIfAborted();

    const processes = new AirlockProcesses();
    stack.push('the operator and the sidecar', () => processes.stop());
    const ports = { webhook: await freePort(), broker: await freePort(), health: await freePort() };
    await installWebhooks(plane, { url: `https://127.0.0.1:${ports.webhook}`, operatorNamespace: OPERATOR_NAMESPACE });
    await processes.startOperator({
      kubeconfigPath: install.operator.kubeconfigPath,
      namespace: OPERATOR_NAMESPACE,
      recordingsDirectory: mkdtempSync(join(processes.dir, 'recordings-')),
      ports,
    });
    log(`operator running (webhook :${ports.webhook}, broker :${ports.broker}, metrics http://127.0.0.1:${ports.health}/metrics)`);
    signal?.throwIfAborted();

    const agentPort = await freePort();
    const manifest = join(processes.dir, 'sample.yaml');
    writeFileSync(
      manifest,
      sampleManifests({ namespace: DEMO_NAMESPACE, postgres: { ...owner, password: owner.password }, localPort: agentPort }),
    );
    const applied = await plane.kubectl(['apply', '-f', manifest]);
    if (applied.code !== 0) throw new HarnessError('DemoApplyFailed', `kubectl apply of the sample failed:\n${applied.stderr}`);
    await waitForSampleReady(plane, DEMO_NAMESPACE);
    log('Target, AgentIdentity and ApprovalPolicy are Ready');
    signal?.throwIfAborted();

    const podFile = join(processes.dir, 'agent-pod.json');
    writeFileSync(podFile, JSON.stringify(agentPod(DEMO_NAMESPACE, DEMO_POD)));
    const created = await plane.kubectl(['create', '-f', podFile, '-o', 'json']);
    if (created.code !== 0) throw new HarnessError('DemoPodFailed', `creating the agent pod failed:\n${created.stderr}`);
    const pod = JSON.parse(created.stdout);
    const token = await podBoundToken(plane, {
      namespace: DEMO_NAMESPACE,
      name: pod.metadata.name,
      uid: pod.metadata.uid,
      serviceAccount: SAMPLE.serviceAccount,
    });
    await processes.startSidecarFromPod(pod, token);
    log(`agent pod ${DEMO_POD} mutated by the webhook; its sidecar runs from the injected spec on 127.0.0.1:${agentPort}`);
    signal?.throwIfAborted();

    const path = [
      join(REPO_ROOT, 'kubectl-approve', 'bin'),
      dirname(plane.binaries.kubectl),
      dirname(process.execPath),
      process.env.PATH ?? '',
    ].join(':');
    const psql = `PGHOST=127.0.0.1 PGPORT=${agentPort} PGUSER=agent PGDATABASE=orders PGSSLMODE=disable ${postgres.binaries.psql}`;
    const instructions = `
airlock is running without a node: Kubernetes ${plane.binaries.kubernetesVersion} at ${plane.server}, the operator as a
process, PostgreSQL with sample customers, and the sidecar of pod ${DEMO_NAMESPACE}/${DEMO_POD} (mutated by the webhook,
started as a process) on 127.0.0.1:${agentPort}.

In another terminal:

  export PATH=${path.split(':').slice(0, 3).join(':')}:$PATH

  # the agent reads: e-mail addresses and card numbers come back masked
  ${psql} -c 'SELECT * FROM customers'

  # the agent drops a table: the sidecar holds it and says which ApprovalRequest waits
  ${psql} -c 'DROP TABLE order_archive_2019'

  # a reviewer (alice@example.com, group db-owners) sees and releases it
  export KUBECONFIG=${plane.kubeconfigPath('alice')}
  kubectl approve list -n ${DEMO_NAMESPACE}
  kubectl approve show <name> -n ${DEMO_NAMESPACE}
  kubectl approve <name> -n ${DEMO_NAMESPACE}          # or: --deny --reason 'not today'

  # as admin: everything airlock knows
  KUBECONFIG=${plane.kubeconfigPath('admin')} kubectl get airlock,events -n ${DEMO_NAMESPACE}

Other users: bob@example.com (db-owners) KUBECONFIG=${plane.kubeconfigPath('bob')}
             dave@example.com (no reviewer)  KUBECONFIG=${plane.kubeconfigPath('dave')}
Press Ctrl-C to stop everything.
`;
    const agentConnection = { host: '127.0.0.1', port: agentPort, database: 'orders', user: 'agent', sslMode: 'disable' as const };
    return {
      mode: 'processes',
      plane,
      postgres,
      agentPort,
      path,
      instructions,
      agentPsql: (args, options = {}) => runPsql(postgres.binaries.psql, agentConnection, args, options),
      stop: () => stack.stop(),
    };
  } catch (error) {
    return stack.stopAndThrow(error);
  }
}
