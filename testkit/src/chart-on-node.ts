/**
 * airlock installed on the test cluster's real node the way a user installs it: the images
 * imported into the node's containerd (there is no registry), a volume for the chart's recordings
 * claim (there is no storage provisioner), `helm install` of charts/airlock pinned to the image
 * digest, and agent workloads that run the agent image's real tools. Shared by the node's
 * end-to-end test and `make demo`.
 */
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedAgentImage, cachedImage, type ImageBuild, type Log, NONROOT_ID } from '@airlock/build';
import { stringify } from 'yaml';
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';
import { CHART_DIR, runHelm } from './helm.ts';
import { SAMPLE } from './sample-agent.ts';

export const RELEASE_NAMESPACE = 'airlock-system';
/** The chart's operator pods (its operatorSelector). */
export const OPERATOR_POD_SELECTOR = 'app.kubernetes.io/name=airlock,app.kubernetes.io/component=operator';

export interface NodeImages {
  /** The airlock image: operator and sidecar. */
  readonly airlock: ImageBuild;
  /** psql, ssh, curl, kubectl and bash. */
  readonly agent: ImageBuild;
}

/** Builds the images (or takes them from the cache) and imports them into the node. */
export async function importNodeImages(plane: ControlPlane, log: Log): Promise<NodeImages> {
  const [airlock, agent] = await Promise.all([cachedImage(log), cachedAgentImage(log)]);
  for (const image of [airlock, agent]) {
    const started = Date.now();
    const names = plane.node.importImage(image.archive);
    log(`imported ${names.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  return { airlock, agent };
}

/**
 * A PersistentVolume for the chart's recordings claim: a directory of the node, owned by the
 * operator's user (a hostPath volume gets no fsGroup ownership), bound by the claim's size and mode.
 */
export async function createRecordingsVolume(plane: ControlPlane): Promise<string> {
  const path = join(plane.node.dir, 'volumes', 'recordings');
  mkdirSync(path, { recursive: true });
  chownSync(path, NONROOT_ID, NONROOT_ID);
  await applyObjects(plane, 'recordings-volume', [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'airlock-recordings-on-the-node' },
      spec: {
        capacity: { storage: '10Gi' },
        accessModes: ['ReadWriteOnce'],
        persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '',
        hostPath: { path, type: 'Directory' },
      },
    },
  ]);
  return path;
}

export interface HelmInstallOnNodeOptions {
  readonly images: NodeImages;
  /** Helm's home (cache, config) for this installation. */
  readonly helmHome: string;
  readonly log: Log;
  /** More `helm install` arguments. */
  readonly extraArgs?: readonly string[];
}

/** `helm install --wait` of the chart, pinned to the imported image by digest; returns how long it took. */
export async function helmInstallOnNode(plane: ControlPlane, options: HelmInstallOnNodeOptions): Promise<number> {
  const started = Date.now();
  const installed = await runHelm(
    [
      'install',
      'airlock',
      CHART_DIR,
      '-n',
      RELEASE_NAMESPACE,
      '--create-namespace',
      '--set',
      `image.digest=${options.images.airlock.digest}`,
      // Imported, never pulled: a node without a registry.
      '--set',
      'imagePullPolicy=Never',
      '--wait',
      '--timeout=300s',
      ...(options.extraArgs ?? []),
    ],
    { home: options.helmHome, kubeconfig: plane.kubeconfigPath(), log: options.log },
  );
  if (installed.code !== 0) {
    const pods = await plane.kubectl(['get', 'pods', '-n', RELEASE_NAMESPACE, '-o', 'wide']);
    const logs = await plane.kubectl(['logs', '-n', RELEASE_NAMESPACE, '-l', OPERATOR_POD_SELECTOR, '--tail=30', '--prefix']);
    throw new HarnessError(
      'HelmInstallFailed',
      `helm install of the chart on the node failed:\n${installed.stderr}\n${pods.stdout}\n${logs.stdout}${logs.stderr}`,
    );
  }
  return Date.now() - started;
}

/**
 * The agent container: the agent image's bash running `command`, psql's user and database from
 * the env (the webhook adds PGHOST and PGPORT: the sidecar on the pod's loopback).
 */
export function agentContainer(images: NodeImages, command: readonly string[]): Record<string, unknown> {
  return {
    name: 'agent',
    image: images.agent.reference,
    imagePullPolicy: 'Never',
    command: [...command],
    env: [
      { name: 'PGUSER', value: 'agent' },
      { name: 'PGDATABASE', value: 'orders' },
    ],
  };
}

/** A pod spec of the sample agent (its service account) running one agent container. */
export function agentPodSpec(images: NodeImages, command: readonly string[], restartPolicy: 'Never' | 'Always'): Record<string, unknown> {
  return {
    serviceAccountName: SAMPLE.serviceAccount,
    restartPolicy,
    terminationGracePeriodSeconds: 30,
    containers: [agentContainer(images, command)],
  };
}

/** `kubectl apply` of objects written to a file of the control plane's directory; throws with kubectl's message. */
export async function applyObjects(plane: ControlPlane, name: string, objects: readonly object[] | string): Promise<void> {
  const file = join(plane.dir, `${name}.yaml`);
  writeFileSync(file, typeof objects === 'string' ? objects : objects.map((o) => stringify(o)).join('---\n'));
  const applied = await plane.kubectl(['apply', '-f', file]);
  if (applied.code !== 0) throw new HarnessError('ApplyFailed', `kubectl apply of ${name} failed: ${applied.stderr}`);
}
