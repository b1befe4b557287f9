/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver and a kube-controller-manager
 * with only the controllers tests need, on 127.0.0.1 with random ports, TLS, static-token users,
 * and a service-account issuer (so TokenRequest and OIDC discovery work). Without `node` there is
 * no kubelet: pods are created and stay Pending. With `node: true` it also runs a real node
 * (node/cluster-node.ts) and gives the API server what a node needs: the Node authorizer and
 * NodeRestriction, a client certificate to reach the kubelet, the node components' users. Everything
 * lives in one temp dir that stop() removes; a watchdog removes it and stops the processes if the
 * test process dies first.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ControlPlaneBinaries, controlPlaneBinaries, type Log } from '@airlock/build';
import { KubeConfig } from '@kubernetes/client-node';
import { type AuditEvent, auditLogFlags, readAuditEvents } from './audit-log.ts';
import { HarnessError } from './errors.ts';
import { httpStatus } from './http-status.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { issueClientCertificate } from './node/client-certificate.ts';
import { ClusterNode, type NodeControlPlaneAccess } from './node/cluster-node.ts';
import { NODE_COMPONENT_USERS, NODE_NAME, type NodeComponent } from './node/node-identities.ts';
import { POD_NETWORK } from './node/pod-network.ts';
import { type CertificateAuthority, createCertificateAuthority, createServiceAccountKeyPair, issueServingCertificate } from './pki.ts';
import { freePort } from './ports.ts';
import { waitUntilReady } from './readiness.ts';
import { Supervisor } from './supervisor.ts';
import { TEST_USERS, type TestUserName } from './users.ts';

/** The controllers tests rely on; nothing else runs, so the cluster stays quiet and fast. */
export const CONTROLLERS = [
  'serviceaccount-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'root-ca-certificate-publisher-controller',
  'job-controller',
  // Removes the in-use finalizer of a deleted PersistentVolumeClaim (the chart's recordings volume).
  'persistentvolumeclaim-protection-controller',
  // Binds claims to volumes: on the node, the chart's recordings claim to a volume the test made.
  'persistentvolume-binder-controller',
  // Fills aggregated ClusterRoles (airlock-reviewer) from the roles labelled to join them.
  'clusterrole-aggregation-controller',
  // Type-checks ValidatingAdmissionPolicies and reports problems in their status.
  'validatingadmissionpolicy-status-controller',
  // What a cluster with a node (`node: true`) needs. Harmless without one, so always on: the
  // whole end-to-end suite passes with them (Deployments' pods then stay Pending).
  // Takes the not-ready taint off a node once its kubelet reports Ready.
  'node-lifecycle-controller',
  // Services get EndpointSlices, which kube-proxy programs.
  'endpointslice-controller',
  'deployment-controller',
  'replicaset-controller',
  // Finished Jobs with ttlSecondsAfterFinished go away.
  'ttl-after-finished-controller',
  // Pods of a node that is gone are deleted.
  'pod-garbage-collector-controller',
];

export interface ControlPlaneOptions {
  /** Start kube-controller-manager (default true). */
  controllers?: boolean;
  /**
   * Run a real node too (kubelet, containerd, kube-proxy, kube-scheduler; `plane.node`). Throws
   * HarnessError `NodeUnavailable` when the machine cannot: check `ClusterNode.available()` first.
   */
  node?: boolean;
  /**
   * Have kube-apiserver write an audit log of every request at Metadata level (default false);
   * `plane.auditEvents()` reads it.
   */
  auditLog?: boolean;
  log?: Log;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const SERVICE_CIDR = POD_NETWORK.serviceCidr;
const START_TIMEOUT_MS = 120_000;

export class ControlPlane {
  readonly dir: string;
  readonly binaries: ControlPlaneBinaries;
  readonly server: string;
  readonly caPem: string;
  readonly #supervisor: Supervisor;
  readonly #tokens: Record<TestUserName, string>;
  readonly #paths: { etcdData: string; pki: string };
  readonly #ports: { etcdClient: number; etcdPeer: number; apiserver: number };
  readonly #log: Log;
  readonly #withNode: boolean;
  readonly #audit: { flags: string[]; logPath: string } | undefined;
  #node: ClusterNode | undefined;
  #stopped = false;

  private constructor(init: {
    dir: string;
    binaries: ControlPlaneBinaries;
    caPem: string;
    supervisor: Supervisor;
    tokens: Record<TestUserName, string>;
    ports: { etcdClient: number; etcdPeer: number; apiserver: number };
    log: Log;
    withNode: boolean;
    auditLog: boolean;
  }) {
    this.dir = init.dir;
    this.binaries = init.binaries;
    this.caPem = init.caPem;
    this.#supervisor = init.supervisor;
    this.#tokens = init.tokens;
    this.#ports = init.ports;
    this.#log = init.log;
    this.#withNode = init.withNode;
    this.server = `https://127.0.0.1:${init.ports.apiserver}`;
    this.#paths = { etcdData: join(init.dir, 'etcd'), pki: join(init.dir, 'pki') };
    this.#audit = init.auditLog ? auditLogFlags(init.dir) : undefined;
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? (() => {});
    const withNode = options.node ?? false;
    if (withNode) {
      const availability = ClusterNode.available();
      if (!availability.available) throw new HarnessError('NodeUnavailable', availability.reason);
    }
    const binaries = await controlPlaneBinaries(log);
    const dir = mkdtempSync(join(tmpdir(), 'airlock-cp-'));
    const supervisor = new Supervisor(join(dir, 'logs'));
    supervisor.ownDir(dir);
    let plane: ControlPlane | undefined;
    try {
      const pki = join(dir, 'pki');
      mkdirSync(pki);
      const ca = await createCertificateAuthority('airlock-e2e-ca');
      const serving = await issueServingCertificate(ca, 'kube-apiserver', {
        dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
        ips: ['127.0.0.1', '10.0.0.1'],
      });
      const sa = createServiceAccountKeyPair();
      writeFileSync(join(pki, 'ca.crt'), ca.certPem);
      writeFileSync(join(pki, 'apiserver.crt'), serving.certPem);
      writeFileSync(join(pki, 'apiserver.key'), serving.keyPem, { mode: 0o600 });
      writeFileSync(join(pki, 'sa.key'), sa.privateKeyPem, { mode: 0o600 });
      writeFileSync(join(pki, 'sa.pub'), sa.publicKeyPem);
      const tokens = Object.fromEntries(Object.keys(TEST_USERS).map((u) => [u, randomBytes(24).toString('hex')])) as Record<
        TestUserName,
        string
      >;
      const componentTokens = Object.fromEntries(
        Object.keys(NODE_COMPONENT_USERS).map((c) => [c, randomBytes(24).toString('hex')]),
      ) as Record<NodeComponent, string>;
      const tokenLines = Object.entries(TEST_USERS).map(
        ([key, u]) => `${tokens[key as TestUserName]},${u.name},${u.uid},"${u.groups.join(',')}"`,
      );
      if (withNode) {
        await writeNodePki(ca, pki);
        for (const [key, u] of Object.entries(NODE_COMPONENT_USERS)) {
          tokenLines.push(`${componentTokens[key as NodeComponent]},${u.name},${u.uid},"${u.groups.join(',')}"`);
        }
      }
      writeFileSync(join(pki, 'tokens.csv'), tokenLines.join('\n'), { mode: 0o600 });
      const ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
      plane = new ControlPlane({
        dir,
        binaries,
        caPem: ca.certPem,
        supervisor,
        tokens,
        ports,
        log,
        withNode,
        auditLog: options.auditLog ?? false,
      });
      for (const user of Object.keys(TEST_USERS) as TestUserName[]) {
        writeFileSync(plane.kubeconfigPath(user), plane.kubeconfig(user), { mode: 0o600 });
      }
      if (withNode) {
        for (const component of Object.keys(NODE_COMPONENT_USERS) as NodeComponent[]) {
          const user = NODE_COMPONENT_USERS[component].name;
          const text = kubeconfigYaml({ server: plane.server, caPem: ca.certPem, user, token: componentTokens[component] });
          writeFileSync(join(dir, `kubeconfig-${component}.yaml`), text, { mode: 0o600 });
        }
      }
      await plane.#startEtcd();
      await plane.#startApiServer();
      if (options.controllers ?? true) await plane.#startControllerManager();
      if (withNode) plane.#node = await ClusterNode.start(plane.#nodeAccess(), { log });
      return plane;
    } catch (error) {
      if (plane) await plane.stop();
      else {
        await supervisor.stopAll();
        supervisor.release([dir]);
      }
      throw error;
    }
  }

  /** The node, when started with `node: true`. */
  get node(): ClusterNode {
    if (!this.#node) throw new HarnessError('NoNode', 'this control plane runs no node: start it with ControlPlane.start({ node: true })');
    return this.#node;
  }

  /** The kubeconfig text for a test user. */
  kubeconfig(user: TestUserName = 'admin'): string {
    return kubeconfigYaml({ server: this.server, caPem: this.caPem, user: TEST_USERS[user].name, token: this.#tokens[user] });
  }

  kubeconfigPath(user: TestUserName = 'admin'): string {
    return join(this.dir, `kubeconfig-${user}.yaml`);
  }

  /** A @kubernetes/client-node config acting as the user. */
  kubeConfig(user: TestUserName = 'admin'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfig(user));
    return kc;
  }

  token(user: TestUserName): string {
    return this.#tokens[user];
  }

  /**
   * Runs the real kubectl as the user, or with the kubeconfig at kubeconfigPath (a service
   * account's); never throws on a non-zero exit.
   */
  kubectl(
    args: string[],
    opts: { user?: TestUserName; kubeconfigPath?: string; pluginDirs?: readonly string[] } = {},
  ): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const kubeconfig = opts.kubeconfigPath ?? this.kubeconfigPath(opts.user ?? 'admin');
      // kubectl finds plugins (kubectl-approve) on PATH; a plugin's `#!/usr/bin/env node` finds this Node.
      const path = [...(opts.pluginDirs ?? []), dirname(process.execPath), process.env.PATH ?? ''].join(':');
      // KUBECONFIG, not --kubeconfig: kubectl refuses flags before a plugin's name.
      const child = spawn(this.binaries.kubectl, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, PATH: path, KUBECONFIG: kubeconfig },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** The audit events kube-apiserver has written so far; only with `auditLog: true`. */
  auditEvents(): AuditEvent[] {
    if (!this.#audit)
      throw new HarnessError('NoAuditLog', 'this control plane writes no audit log: start it with ControlPlane.start({ auditLog: true })');
    return readAuditEvents(this.#audit.logPath);
  }

  /** Stops the node first (which puts the machine back and throws if it could not), then the control plane. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await this.#node?.stop();
    } finally {
      await this.#supervisor.stopAll(['kube-controller-manager', 'kube-apiserver', 'etcd']);
      this.#supervisor.release([this.dir]);
    }
  }

  /** Stops and starts kube-apiserver on the same port and data, as an upgrade or crash would. */
  async restartApiServer(): Promise<void> {
    await this.#supervisor.stop('kube-apiserver');
    await this.#startApiServer();
  }

  logTail(component: 'etcd' | 'kube-apiserver' | 'kube-controller-manager', lines = 30): string {
    return this.#supervisor.logTail(component, lines);
  }

  async #startEtcd(): Promise<void> {
    const client = `http://127.0.0.1:${this.#ports.etcdClient}`;
    const peer = `http://127.0.0.1:${this.#ports.etcdPeer}`;
    const proc = this.#supervisor.start('etcd', this.binaries.etcd, [
      '--name=default',
      `--data-dir=${this.#paths.etcdData}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      '--unsafe-no-fsync=true',
      '--log-level=warn',
    ]);
    await this.#waitUntil('etcd', proc.exited, async () => (await httpStatus(`${client}/health`)) === 200);
  }

  async #startApiServer(): Promise<void> {
    const pki = this.#paths.pki;
    const proc = this.#supervisor.start('kube-apiserver', this.binaries.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${this.#ports.etcdClient}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${this.#ports.apiserver}`,
      `--cert-dir=${join(this.dir, 'apiserver-certs')}`,
      `--tls-cert-file=${join(pki, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(pki, 'apiserver.key')}`,
      `--client-ca-file=${join(pki, 'ca.crt')}`,
      `--token-auth-file=${join(pki, 'tokens.csv')}`,
      ...(this.#withNode ? nodeApiServerFlags(pki) : ['--authorization-mode=RBAC']),
      `--service-account-issuer=${this.server}`,
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      // No nodes, so nothing can serve the kubernetes Service; do not try to reconcile it.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      ...(this.#audit?.flags ?? []),
    ]);
    await this.#waitUntil(
      'kube-apiserver',
      proc.exited,
      async () => (await httpStatus(`${this.server}/readyz`, this.caPem, this.#tokens.admin)) === 200,
    );
  }

  async #startControllerManager(): Promise<void> {
    const proc = this.#supervisor.start('kube-controller-manager', this.binaries.kubeControllerManager, [
      `--kubeconfig=${this.kubeconfigPath('controllerManager')}`,
      `--controllers=${CONTROLLERS.join(',')}`,
      `--root-ca-file=${join(this.#paths.pki, 'ca.crt')}`,
      '--use-service-account-credentials=true',
      '--leader-elect=false',
      '--secure-port=0',
    ]);
    // The service-account controller creating `default` in `default` shows the controllers run.
    const defaultAccount = `${this.server}/api/v1/namespaces/default/serviceaccounts/default`;
    await this.#waitUntil(
      'kube-controller-manager',
      proc.exited,
      async () => (await httpStatus(defaultAccount, this.caPem, this.#tokens.admin)) === 200,
    );
  }

  #nodeAccess(): NodeControlPlaneAccess {
    const pki = this.#paths.pki;
    return {
      apiServerPort: this.#ports.apiserver,
      caFile: join(pki, 'ca.crt'),
      caPem: this.caPem,
      kubeconfigs: {
        kubelet: join(this.dir, 'kubeconfig-kubelet.yaml'),
        kubeProxy: join(this.dir, 'kubeconfig-kubeProxy.yaml'),
        scheduler: join(this.dir, 'kubeconfig-scheduler.yaml'),
      },
      kubeletServing: { certFile: join(pki, 'kubelet.crt'), keyFile: join(pki, 'kubelet.key') },
      schedulerServing: { certFile: join(pki, 'scheduler.crt'), keyFile: join(pki, 'scheduler.key') },
      kubectl: (args) => this.kubectl(args),
    };
  }

  async #waitUntil(
    component: 'etcd' | 'kube-apiserver' | 'kube-controller-manager',
    exited: Promise<number | null>,
    ready: () => Promise<boolean>,
  ): Promise<void> {
    await waitUntilReady(component, {
      exited,
      ready,
      logTail: () => this.logTail(component),
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 200,
    });
    this.#log(`${component} ready`);
  }
}

/**
 * What the API server needs for a node: the Node authorizer and NodeRestriction (the kubelet
 * acts only on its node and its pods), a client certificate of the test CA for reaching the
 * kubelet (exec, logs), the kubelet's serving certificate checked against the test CA, and the
 * node's address by its InternalIP (the bridge address; its name does not resolve).
 */
function nodeApiServerFlags(pki: string): string[] {
  return [
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--kubelet-client-certificate=${join(pki, 'apiserver-kubelet-client.crt')}`,
    `--kubelet-client-key=${join(pki, 'apiserver-kubelet-client.key')}`,
    `--kubelet-certificate-authority=${join(pki, 'ca.crt')}`,
    '--kubelet-preferred-address-types=InternalIP',
    // Webhooks (and aggregated APIs) are called at a ready endpoint of their Service, a pod
    // address on the node's bridge: the machine has no route into the Service range (it is
    // blackholed, so nothing sent there can leave), and only pods' traffic passes kube-proxy.
    '--enable-aggregator-routing=true',
  ];
}

/** The node's certificates, all of the test CA: kubelet and scheduler serving, the API server's kubelet client. */
async function writeNodePki(ca: CertificateAuthority, pki: string): Promise<void> {
  const write = (name: string, pair: { certPem: string; keyPem: string }) => {
    writeFileSync(join(pki, `${name}.crt`), pair.certPem);
    writeFileSync(join(pki, `${name}.key`), pair.keyPem, { mode: 0o600 });
  };
  write('kubelet', await issueServingCertificate(ca, NODE_NAME, { dns: [NODE_NAME], ips: [POD_NETWORK.gateway] }));
  write('scheduler', await issueServingCertificate(ca, 'kube-scheduler', { dns: ['localhost'], ips: ['127.0.0.1'] }));
  write(
    'apiserver-kubelet-client',
    issueClientCertificate(ca, { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] }),
  );
}
