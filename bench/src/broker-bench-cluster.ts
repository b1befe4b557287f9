/**
 * Everything the broker sidecar needs, with real components, for the broker benchmark and its
 * test: a control plane (kube-apiserver, etcd, controller manager from the test kit) with the CRDs
 * and airlock installed from the chart (the operator's service account, RBAC, admission policy),
 * the agent's objects (broker-bench-objects.ts), a pod object and a TokenRequest token bound to
 * it in a file, as the kubelet would project it, and the operator running as its own program
 * (broker-process.ts) as its service account, with its ingest directory. The broker's CA is read
 * from the operator's certificate Secret: the trust bundle its webhook gives injected sidecars.
 * The same setup as the operator's broker integration fixture, built on the test kit's public
 * exports only: bench may not import the operator's testing folder (docs/layering.md).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlPlane, freePort, installAirlock, installCrds, podBoundToken } from '@airlock/testkit';
import { agentObjects, agentPod, BENCH_NAMESPACE, BENCH_POD, BENCH_SERVICE_ACCOUNT, type BenchDatabase } from './broker-bench-objects.ts';
import type { BrokerProcessConfig } from './broker-process.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The operator's certificate Secret (operator/src/main.ts), whose ca.crt is the trust bundle sidecars get. */
const OPERATOR_TLS_SECRET = 'airlock-webhook-tls';

export interface BrokerBenchCluster {
  readonly brokerUrl: string;
  readonly caPem: string;
  /** The agent pod's token (audience airlock, bound to the pod), mode 0600. */
  readonly tokenFile: string;
  /** The broker's ingest directory: <namespace>/<pod>/<session>.jsonl below it. */
  readonly recordingsDir: string;
  /** The operator process: its CPU time and RSS through the line protocol. */
  readonly broker: SidecarProcess;
  /** Stops the operator and the control plane and removes the temp directory; safe to call twice. */
  close(): Promise<void>;
}

export type Log = (message: string) => void;

export async function startBrokerBenchCluster(db: BenchDatabase, log: Log = () => {}): Promise<BrokerBenchCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-broker-bench-'));
  const closers: (() => Promise<unknown>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    log('starting the control plane');
    const plane = await ControlPlane.start();
    closers.push(() => plane.stop());
    await installCrds(plane);
    const installed = await installAirlock(plane);
    log('creating the agent objects and its pod');
    const create = async (name: string, manifest: object): Promise<string> => {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(manifest));
      const created = await plane.kubectl(['create', '-f', file, '-o', 'json']);
      if (created.code !== 0) throw new Error(`kubectl create -f ${file} exited ${created.code}: ${created.stderr.trim()}`);
      return created.stdout;
    };
    await create('agent-objects', { apiVersion: 'v1', kind: 'List', items: agentObjects(db, await freePort()) });
    const pod = JSON.parse(await create('agent-pod', agentPod())) as { metadata?: { uid?: string } };
    const uid = pod.metadata?.uid;
    if (!uid) throw new Error(`the API server returned no uid for pod ${BENCH_NAMESPACE}/${BENCH_POD}`);
    const tokenFile = join(dir, `${BENCH_POD}.token`);
    const token = await podBoundToken(plane, { namespace: BENCH_NAMESPACE, name: BENCH_POD, uid, serviceAccount: BENCH_SERVICE_ACCOUNT });
    writeFileSync(tokenFile, token, { mode: 0o600 });

    const recordingsDir = join(dir, 'recordings');
    mkdirSync(recordingsDir);
    const config: BrokerProcessConfig = {
      kubeconfigPath: installed.operator.kubeconfigPath,
      namespace: installed.namespace,
      recordingsDirectory: recordingsDir,
      ports: { webhook: await freePort(), broker: await freePort(), health: await freePort() },
    };
    log('starting the operator (its broker)');
    const broker = await SidecarProcess.start(join(HERE, 'broker-process.ts'), 'operator broker', config);
    closers.push(() => broker.stop());
    const secret = await plane.kubectl([
      'get',
      'secret',
      OPERATOR_TLS_SECRET,
      '-n',
      installed.namespace,
      '-o',
      'jsonpath={.data.ca\\.crt}',
    ]);
    const caPem = Buffer.from(secret.stdout.trim(), 'base64').toString('utf8');
    if (secret.code !== 0 || !caPem.includes('BEGIN CERTIFICATE')) {
      throw new Error(`no CA in Secret ${installed.namespace}/${OPERATOR_TLS_SECRET} after the operator started: ${secret.stderr.trim()}`);
    }
    return { brokerUrl: `https://127.0.0.1:${config.ports.broker}`, caPem, tokenFile, recordingsDir, broker, close };
  } catch (error) {
    await close();
    throw error;
  }
}
