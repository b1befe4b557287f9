/**
 * Puts the cluster DNS (cluster-dns.ts) on a node whose kubelet, kube-proxy and scheduler run,
 * and waits until it answers: imports the CoreDNS image, applies the manifests, then waits until
 * the Deployment is available, the kube-dns Service's EndpointSlice lists the pod as ready, and
 * the pod resolves the `kubernetes` Service to its ClusterIP. The lookup goes to the pod's own
 * address: the machine itself cannot reach a ClusterIP (the service range is blackholed on it,
 * network-guard.ts), only pods can. When it does not come up, the error says where the pod
 * stands and ends with CoreDNS's log and the kubelet's.
 */
import { Resolver } from 'node:dns/promises';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Log } from '@airlock/build';
import { stringify } from 'yaml';
import { HarnessError } from '../errors.ts';
import { waitUntilReady } from '../readiness.ts';
import { CLUSTER_DNS, CLUSTER_DOMAIN, COREDNS_PORTS, clusterDnsManifests } from './cluster-dns.ts';

export interface ClusterDnsRollout {
  /** kubectl as the admin; never throws on a non-zero exit. */
  readonly kubectl: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
  /** Imports an image archive into the node's containerd; the names it imported. */
  readonly importImage: (archive: string) => string[];
  /** The CoreDNS image archive. */
  readonly archive: string;
  /** The kube-dns Service's ClusterIP. */
  readonly serviceIp: string;
  /** Where the manifest file is written. */
  readonly dir: string;
  /** The kubelet's podLogsDir, where CoreDNS's log is. */
  readonly podLogsDir: string;
  readonly kubeletLogTail: () => string;
  readonly timeoutMs: number;
  readonly log: Log;
}

/** What the readiness check reads of a pod. */
export interface PodView {
  readonly metadata: { readonly name: string };
  readonly status?: {
    readonly phase?: string;
    readonly podIP?: string;
    readonly conditions?: readonly { readonly type: string; readonly status: string; readonly message?: string }[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly ready: boolean;
      readonly restartCount: number;
      readonly state?: {
        readonly waiting?: { readonly reason?: string; readonly message?: string };
        readonly terminated?: { readonly reason?: string; readonly exitCode?: number };
      };
    }[];
  };
}

export async function rollOutClusterDns(r: ClusterDnsRollout): Promise<void> {
  const started = Date.now();
  const { namespace, deployment, service, labels } = CLUSTER_DNS;
  const [image] = r.importImage(r.archive);
  if (!image) throw new HarnessError('NodeStartFailed', `importing ${r.archive} named no image: is it an image archive?`);
  const file = join(r.dir, 'cluster-dns.yaml');
  writeFileSync(
    file,
    clusterDnsManifests({ image, serviceIp: r.serviceIp })
      .map((o) => stringify(o))
      .join('---\n'),
  );
  const applied = await r.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=airlock-testkit', '-f', file]);
  if (applied.code !== 0) throw new HarnessError('NodeStartFailed', `applying the cluster DNS (${file}) failed: ${applied.stderr}`);
  const selector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  let stands = 'no CoreDNS pod yet';
  const ready = async (): Promise<boolean> => {
    const pods = await r.kubectl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
    if (pods.code !== 0) {
      stands = `listing the CoreDNS pods failed: ${pods.stderr.trim()}`;
      return false;
    }
    const items = (JSON.parse(pods.stdout) as { items: PodView[] }).items;
    stands = describePods(items);
    if (items.length === 0) {
      const conditions = await r.kubectl([
        'get',
        'deployment',
        '-n',
        namespace,
        deployment,
        '-o',
        'jsonpath={.status.conditions[*].message}',
      ]);
      stands = `no CoreDNS pod yet; the Deployment says: ${conditions.stdout.trim() || '(nothing)'}`;
      return false;
    }
    const available = await r.kubectl(['get', 'deployment', '-n', namespace, deployment, '-o', 'jsonpath={.status.availableReplicas}']);
    if (Number(available.stdout.trim() || 0) < 1) return false;
    const ip = items.find((pod) => pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))?.status?.podIP;
    if (!ip) return false;
    const slices = await r.kubectl([
      'get',
      'endpointslices',
      '-n',
      namespace,
      '-l',
      `kubernetes.io/service-name=${service}`,
      '-o',
      'jsonpath={.items[*].endpoints[?(@.conditions.ready==true)].addresses[*]}',
    ]);
    if (!slices.stdout.split(/\s+/).includes(ip)) {
      stands = `${stands}; the ${service} Service's EndpointSlice does not list ${ip} as ready yet`;
      return false;
    }
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([`${ip}:${COREDNS_PORTS.dns}`]);
    const name = `kubernetes.default.svc.${CLUSTER_DOMAIN}`;
    try {
      const answer = await resolver.resolve4(name);
      if (answer.length > 0) return true;
      stands = `${stands}; ${ip} answered ${name} with no address`;
    } catch (error) {
      stands = `${stands}; ${ip} did not resolve ${name}: ${(error as Error).message}`;
    }
    return false;
  };
  await waitUntilReady('the cluster DNS (CoreDNS)', {
    // A pod has no process of ours to watch: only the timeout ends the wait.
    exited: new Promise(() => {}),
    ready,
    logTail: () =>
      [
        `where it stands: ${stands}`,
        `CoreDNS's log ends:\n${corednsLogTail(r.podLogsDir)}`,
        `the kubelet's log ends:\n${r.kubeletLogTail()}`,
      ].join('\n'),
    timeoutMs: r.timeoutMs,
    intervalMs: 250,
  });
  r.log(`cluster DNS (CoreDNS, ${image}) answering at ${r.serviceIp} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

/** One line per pod: its phase, readiness and why its container is not running. */
export function describePods(pods: readonly PodView[]): string {
  if (pods.length === 0) return 'no CoreDNS pod yet';
  return pods
    .map((pod) => {
      const status = pod.status ?? {};
      const parts = [`${pod.metadata.name}: ${status.phase ?? 'no phase'}`];
      if (status.podIP) parts.push(`at ${status.podIP}`);
      const unscheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status !== 'True');
      if (unscheduled) parts.push(`not scheduled: ${unscheduled.message ?? 'no reason given'}`);
      for (const container of status.containerStatuses ?? []) {
        const { waiting, terminated } = container.state ?? {};
        let state = container.ready ? 'ready' : 'not ready';
        if (waiting) state = `waiting: ${waiting.reason ?? ''}${waiting.message ? ` (${waiting.message})` : ''}`;
        if (terminated) state = `terminated: ${terminated.reason ?? ''} exit ${terminated.exitCode ?? '?'}`;
        parts.push(`${container.name} ${state}, ${container.restartCount} restarts`);
      }
      return parts.join(', ');
    })
    .join('; ');
}

/** The end of the newest CoreDNS container log the kubelet wrote (`<ns>_<pod>_<uid>/<container>/<restart>.log`). */
function corednsLogTail(podLogsDir: string, lines = 30): string {
  const { namespace, deployment } = CLUSTER_DNS;
  try {
    const newest = (paths: string[]) => paths.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    const pods = readdirSync(podLogsDir)
      .filter((name) => name.startsWith(`${namespace}_${deployment}-`))
      .map((name) => join(podLogsDir, name, 'coredns'))
      .filter((path) => existsSync(path));
    const container = newest(pods);
    if (!container) return '(no log yet: the container never started)';
    const file = newest(readdirSync(container).map((name) => join(container, name)));
    if (!file) return '(no log yet)';
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(could not read it: ${(error as Error).message})`;
  }
}
