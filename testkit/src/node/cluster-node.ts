/**
 * A real node for the test cluster: containerd with CRI (from Debian), runc, the CNI bridge,
 * kubelet, kube-proxy and kube-scheduler (built from the pinned Kubernetes module), so pods
 * really run, and the cluster DNS, CoreDNS as a pod (cluster-dns.ts), so pods resolve Service
 * names. Started by `ControlPlane.start({ node: true })`, which also gives the API server what a
 * node needs (node-identities.ts). One per machine (node-lock.ts).
 *
 * It changes the machine, so it saves the machine first (machine-state.ts) and its stop() puts
 * everything back (machine-restore.ts); its watchdog does the same if the test process dies.
 * Pods are confined to the machine (pod-network.ts, network-guard.ts) and reach what the
 * machine serves on loopback only through exposeOnBridge() (bridge-forwarder.ts).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedCorednsImage, type Log, type NodeBinaries, nodeBinaries } from '@airlock/build';
import { stringify } from 'yaml';
import { Containerd } from '../containerd.ts';
import { HarnessError } from '../errors.ts';
import { httpStatus } from '../http-status.ts';
import { freePort } from '../ports.ts';
import { waitUntilReady } from '../readiness.ts';
import { Supervisor } from '../supervisor.ts';
import { rollOutClusterDns } from './cluster-dns-rollout.ts';
import { DEBIAN_CNI_BIN_DIR } from './containerd-cri-config.ts';
import { kubeProxyConfiguration } from './kube-proxy.ts';
import { kubeletArgs, kubeletConfiguration } from './kubelet.ts';
import { kubernetesServiceEndpoints } from './kubernetes-service-endpoints.ts';
import { describeDifferences } from './machine-diff.ts';
import { killNodeProcesses, type RestoreReport, restoreMachine, saveMachine } from './machine-restore.ts';
import { cgroupHierarchies, type MachineScope, type MachineState, readMachineState, WATCHED_HOST_PATHS } from './machine-state.ts';
import { checkRangesFree, type GuardCounter, installPodNetwork, readGuardCounters } from './network-guard.ts';
import { judgeAvailability, type NodeAvailability, readMachineFacts } from './node-availability.ts';
import { NODE_NAME } from './node-identities.ts';
import { NodeLock } from './node-lock.ts';
import { pauseImage } from './pause-image.ts';
import { cniConflist, POD_NETWORK, type PodNetwork } from './pod-network.ts';
import { schedulerArgs } from './scheduler.ts';

/** What the node needs from the control plane that ControlPlane.start({ node: true }) prepared. */
export interface NodeControlPlaneAccess {
  /** The API server's secure port on 127.0.0.1. */
  readonly apiServerPort: number;
  readonly caFile: string;
  readonly caPem: string;
  /** Kubeconfig files of the node's components (node-identities.ts). */
  readonly kubeconfigs: { readonly kubelet: string; readonly kubeProxy: string; readonly scheduler: string };
  /** Serving certificates of the test CA: the kubelet's (for the bridge address) and the scheduler's (127.0.0.1). */
  readonly kubeletServing: { readonly certFile: string; readonly keyFile: string };
  readonly schedulerServing: { readonly certFile: string; readonly keyFile: string };
  /** kubectl as the admin; never throws on a non-zero exit. */
  readonly kubectl: (args: string[]) => Promise<{ code: number; stdout: string; stderr: string }>;
}

export interface NodeStopReport {
  /** What the restore changed back. */
  readonly restored: readonly string[];
  /** Packets the guard dropped: pods that tried to reach beyond the machine. */
  readonly dropped: readonly GuardCounter[];
}

/** The kubepods hierarchy lives under this cgroup, in every hierarchy, so it is easy to find and remove. */
export const NODE_CGROUP = 'airlock-node';
const START_TIMEOUT_MS = 120_000;

export class ClusterNode {
  readonly name = NODE_NAME;
  readonly network: PodNetwork = POD_NETWORK;
  /** The temp dir with every file of the node (configs, kubelet root, logs, containerd). */
  readonly dir: string;
  /** The machine as it was before the node started; stop() returns it to this. */
  readonly machineBefore: MachineState;
  readonly scope: MachineScope;
  readonly #supervisor: Supervisor;
  readonly #lock: NodeLock;
  readonly #log: Log;
  #containerd: Containerd | undefined;
  #sandboxImage = '';
  #stopped: Promise<NodeStopReport> | undefined;

  private constructor(init: { dir: string; supervisor: Supervisor; lock: NodeLock; before: MachineState; scope: MachineScope; log: Log }) {
    this.dir = init.dir;
    this.#supervisor = init.supervisor;
    this.#lock = init.lock;
    this.machineBefore = init.before;
    this.scope = init.scope;
    this.#log = init.log;
  }

  /** Whether this machine and process can run the node; if not, why, for a test's skip message. */
  static available(): NodeAvailability {
    return judgeAvailability(readMachineFacts());
  }

  /** What a restore may touch for a node in `dir`: saved with the machine state. */
  static scopeFor(dir: string, network: PodNetwork = POD_NETWORK): MachineScope {
    return {
      // Only paths no other program on the machine uses: a containerd the machine runs mounts under /run/containerd.
      mountPrefixes: [dir, '/var/lib/kubelet', '/run/netns'],
      hostPaths: WATCHED_HOST_PATHS,
      linkNames: [network.bridge],
      linkPrefixes: ['veth'],
      routeMarkers: [network.podCidr, network.serviceCidr, network.bridge],
      cgroupNames: [NODE_CGROUP, 'kubepods'],
      processMarkers: [`${dir}/`],
    };
  }

  static async start(plane: NodeControlPlaneAccess, options: { log?: Log } = {}): Promise<ClusterNode> {
    const log = options.log ?? (() => {});
    const availability = ClusterNode.available();
    if (!availability.available) throw new HarnessError('NodeUnavailable', availability.reason);
    const binaries = await nodeBinaries(log);
    const pause = await pauseImage(log);
    const coredns = await cachedCorednsImage(log);
    const lock = await NodeLock.acquire({ log });
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'airlock-node-'));
    const supervisor = new Supervisor(join(dir, 'logs'));
    let node: ClusterNode | undefined;
    try {
      if (supervisor.watchdogPid !== undefined) lock.setWatchdog(supervisor.watchdogPid);
      const scope = ClusterNode.scopeFor(dir);
      const before = readMachineState(scope);
      const saved = join(dir, 'machine-before.json');
      saveMachine(saved, { before, scope });
      // Order matters for a death in between: restore first (it reads the saved file), the dir last.
      supervisor.restoreMachineOnDeath(saved);
      supervisor.ownDir(dir);
      supervisor.ownDir(lock.dir);
      node = new ClusterNode({ dir, supervisor, lock, before, scope, log });
      checkRangesFree(before.routes.ipv4, node.network);
      installPodNetwork(node.network);
      await node.#startRuntime(pause);
      await node.exposeOnBridge(plane.apiServerPort, 'kube-apiserver');
      await node.#publishApiServer(plane);
      await node.#startKubelet(binaries, plane);
      await node.#startKubeProxy(binaries, plane);
      await node.#startScheduler(binaries, plane);
      await node.#startClusterDns(plane, coredns.archive);
      log(`node ${NODE_NAME} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return node;
    } catch (error) {
      if (node) {
        try {
          await node.stop();
        } catch (stopError) {
          log(`stopping the node after a failed start: ${(stopError as Error).message}`);
        }
      } else {
        supervisor.release([dir]);
        lock.release();
      }
      throw error;
    }
  }

  get #podLogsDir(): string {
    return join(this.dir, 'pod-logs');
  }

  /** The pod sandbox image every pod runs; imported, so a pod of it needs no import either. */
  get sandboxImage(): string {
    return this.#sandboxImage;
  }

  /** The node's containerd (CRI, namespace k8s.io). */
  get containerd(): Containerd {
    if (!this.#containerd) throw new HarnessError('NodeNotStarted', 'the node has no containerd yet');
    return this.#containerd;
  }

  /**
   * Imports an image archive (OCI or docker-save) for pods with `imagePullPolicy: Never`; returns
   * the names it imported. Each is also named by its digest (`repository@sha256:…`), as a pull
   * from a registry would leave it: a pod that pins the image by digest (the chart's
   * `image.digest`) finds it too.
   */
  importImage(archive: string): string[] {
    const result = this.containerd.ctr(['images', 'import', archive]);
    if (result.status !== 0) throw new HarnessError('ImageImportFailed', `ctr images import ${archive} failed: ${result.stderr.trim()}`);
    const imported = [...result.stdout.matchAll(/^unpacking (\S+) \((sha256:[0-9a-f]{64})\)/gm)];
    for (const [, name, digest] of imported) {
      const byDigest = `${(name as string).replace(/:[^:/]+$/, '')}@${digest}`;
      const tagged = this.containerd.ctr(['images', 'tag', '--force', name as string, byDigest]);
      if (tagged.status !== 0)
        throw new HarnessError('ImageImportFailed', `ctr images tag ${name} ${byDigest} failed: ${tagged.stderr.trim()}`);
    }
    return imported.map((match) => match[1] as string);
  }

  /**
   * Makes a port the machine serves on 127.0.0.1 reachable from pods at the bridge address (the
   * same port number unless `bridgePort` says otherwise), until stop().
   */
  async exposeOnBridge(port: number, name = `port-${port}`, bridgePort = port): Promise<{ host: string; port: number }> {
    const host = this.network.gateway;
    const proc = this.#supervisor.start(`forward-${name}`, process.execPath, [
      join(import.meta.dirname, 'bridge-forwarder-main.ts'),
      host,
      String(bridgePort),
      '127.0.0.1',
      String(port),
    ]);
    await waitUntilReady(`the forwarder of ${name} on ${host}:${bridgePort}`, {
      exited: proc.exited,
      ready: () => this.#supervisor.logTail(proc.name, 5).includes('forwarding'),
      logTail: () => this.#supervisor.logTail(proc.name),
      timeoutMs: 15_000,
    });
    return { host, port: bridgePort };
  }

  /** How many packets the guard dropped so far, per rule. */
  guardCounters(): GuardCounter[] {
    return readGuardCounters();
  }

  logTail(component: 'kubelet' | 'kube-proxy' | 'kube-scheduler' | 'containerd', lines = 30): string {
    return component === 'containerd' ? (this.#containerd?.logTail(lines) ?? '') : this.#supervisor.logTail(component, lines);
  }

  /**
   * Stops everything and puts the machine back as it was. Throws HarnessError
   * `MachineNotRestored` when something could not be; reports what the guard dropped.
   */
  stop(): Promise<NodeStopReport> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<NodeStopReport> {
    let dropped: GuardCounter[] = [];
    try {
      dropped = readGuardCounters().filter((counter) => counter.packets > 0);
    } catch (error) {
      this.#log(`reading the guard's counters: ${(error as Error).message}`);
    }
    for (const counter of dropped) {
      this.#log(`the guard dropped ${counter.packets} ${counter.family} packets (${counter.bytes} bytes): ${counter.rule}`);
    }
    const started = Date.now();
    await this.#supervisor.stopAll(['kube-scheduler', 'kube-proxy', 'kubelet']);
    // The pods' processes and containerd's shims first (containerd waits for live shims when it
    // stops), then containerd.
    const shims = this.#containerd ? [`-address ${this.#containerd.address}`] : [];
    await killNodeProcesses({ ...this.scope, processMarkers: shims });
    const problems: string[] = [];
    try {
      await this.#containerd?.stop();
    } catch (error) {
      problems.push(`containerd: ${(error as Error).message}`);
    }
    const report: RestoreReport = await restoreMachine(this.machineBefore, this.scope);
    problems.push(...report.failed);
    const left = describeDifferences(this.machineBefore, readMachineState(this.scope));
    this.#supervisor.release([this.dir]);
    this.#lock.release();
    if (problems.length > 0 || left.length > 0) {
      throw new HarnessError(
        'MachineNotRestored',
        `the test node could not put the machine back as it was:\n${[...problems, ...left.map((line) => `still: ${line}`)].join('\n')}`,
      );
    }
    this.#log(
      `node stopped and the machine restored (${report.done.length} changes undone) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    );
    return { restored: report.done, dropped };
  }

  async #startRuntime(pause: { reference: string; archive: string }): Promise<void> {
    for (const hierarchy of cgroupHierarchies()) mkdirSync(join(hierarchy, NODE_CGROUP), { recursive: true });
    const cniConfDir = join(this.dir, 'cni', 'net.d');
    mkdirSync(cniConfDir, { recursive: true });
    writeFileSync(join(cniConfDir, '10-airlock-pods.conflist'), JSON.stringify(cniConflist(this.network, join(this.dir, 'cni', 'ipam'))));
    this.#containerd = await Containerd.start({
      namespace: 'k8s.io',
      parentDir: this.dir,
      log: this.#log,
      cri: { sandboxImage: pause.reference, cniConfDir, cniBinDir: DEBIAN_CNI_BIN_DIR, runcRoot: join(this.dir, 'runc') },
    });
    this.importImage(pause.archive);
    this.#sandboxImage = pause.reference;
  }

  async #publishApiServer(plane: NodeControlPlaneAccess): Promise<void> {
    const file = join(this.dir, 'kubernetes-endpoints.yaml');
    writeFileSync(
      file,
      kubernetesServiceEndpoints(this.network.gateway, plane.apiServerPort)
        .map((o) => stringify(o))
        .join('---\n'),
    );
    const applied = await plane.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=airlock-testkit', '-f', file]);
    if (applied.code !== 0)
      throw new HarnessError('NodeStartFailed', `writing the kubernetes Service's endpoints failed: ${applied.stderr}`);
  }

  async #startKubelet(binaries: NodeBinaries, plane: NodeControlPlaneAccess): Promise<void> {
    const configFile = join(this.dir, 'kubelet.yaml');
    const healthzPort = await freePort();
    writeFileSync(
      configFile,
      stringify(
        kubeletConfiguration({
          nodeIp: this.network.gateway,
          port: await freePort(),
          healthzPort,
          podLogsDir: this.#podLogsDir,
          volumePluginDir: join(this.dir, 'volume-plugins'),
          cgroupRoot: `/${NODE_CGROUP}`,
          runtimeEndpoint: `unix://${this.containerd.address}`,
          tlsCertFile: plane.kubeletServing.certFile,
          tlsPrivateKeyFile: plane.kubeletServing.keyFile,
          clientCaFile: plane.caFile,
          clusterDns: this.network.dnsServiceIp,
        }),
      ),
    );
    const proc = this.#supervisor.start(
      'kubelet',
      binaries.kubelet,
      kubeletArgs({
        configFile,
        kubeconfig: plane.kubeconfigs.kubelet,
        rootDir: join(this.dir, 'kubelet'),
        certDir: join(this.dir, 'kubelet-pki'),
        nodeName: NODE_NAME,
        nodeIp: this.network.gateway,
      }),
      { env: componentEnv() },
    );
    await this.#waitUntil('kubelet', proc.exited, async () => {
      const ready = await plane.kubectl([
        'get',
        'node',
        NODE_NAME,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.spec.taints[*].key}',
      ]);
      // Ready, and no taints left (the node-lifecycle controller takes the not-ready one off).
      return ready.code === 0 && ready.stdout.trim() === 'True';
    });
  }

  async #startKubeProxy(binaries: NodeBinaries, plane: NodeControlPlaneAccess): Promise<void> {
    const configFile = join(this.dir, 'kube-proxy.yaml');
    const healthzPort = await freePort();
    writeFileSync(
      configFile,
      stringify(
        kubeProxyConfiguration({
          kubeconfig: plane.kubeconfigs.kubeProxy,
          nodeName: NODE_NAME,
          network: this.network,
          healthzPort,
          metricsPort: await freePort(),
        }),
      ),
    );
    const proc = this.#supervisor.start('kube-proxy', binaries.kubeProxy, [`--config=${configFile}`, '--v=1'], { env: componentEnv() });
    await this.#waitUntil('kube-proxy', proc.exited, async () => (await httpStatus(`http://127.0.0.1:${healthzPort}/healthz`)) === 200);
  }

  async #startScheduler(binaries: NodeBinaries, plane: NodeControlPlaneAccess): Promise<void> {
    const port = await freePort();
    const proc = this.#supervisor.start(
      'kube-scheduler',
      binaries.kubeScheduler,
      schedulerArgs({
        kubeconfig: plane.kubeconfigs.scheduler,
        port,
        certFile: plane.schedulerServing.certFile,
        keyFile: plane.schedulerServing.keyFile,
      }),
      { env: componentEnv() },
    );
    await this.#waitUntil(
      'kube-scheduler',
      proc.exited,
      async () => (await httpStatus(`https://127.0.0.1:${port}/healthz`, plane.caPem)) === 200,
    );
  }

  /** CoreDNS as a pod (cluster-dns.ts), once pods run and Services work; waits until it answers. */
  async #startClusterDns(plane: NodeControlPlaneAccess, archive: string): Promise<void> {
    await rollOutClusterDns({
      kubectl: plane.kubectl,
      importImage: (file) => this.importImage(file),
      archive,
      serviceIp: this.network.dnsServiceIp,
      dir: this.dir,
      podLogsDir: this.#podLogsDir,
      kubeletLogTail: () => this.logTail('kubelet', 15),
      timeoutMs: START_TIMEOUT_MS,
      log: this.#log,
    });
  }

  async #waitUntil(component: 'kubelet' | 'kube-proxy' | 'kube-scheduler', exited: Promise<number | null>, ready: () => Promise<boolean>) {
    const started = Date.now();
    await waitUntilReady(component, {
      exited,
      ready,
      logTail: () => this.#supervisor.logTail(component),
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 100,
    });
    this.#log(`${component} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
}

/** The node's programs call iptables, mount and friends by name: sbin dirs on PATH whatever the test runner's PATH is. */
function componentEnv(): NodeJS.ProcessEnv {
  const path = [process.env.PATH ?? '', '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'].filter(Boolean).join(':');
  return { ...process.env, PATH: path };
}
