/**
 * A real Kubernetes control plane for tests: etcd, kube-apiserver and a kube-controller-manager
 * with only the controllers tests need, on 127.0.0.1 with random ports, TLS, static-token users,
 * and a service-account issuer (so TokenRequest and OIDC discovery work). There is no kubelet:
 * pods are created and stay Pending. Everything lives in one temp dir that stop() removes; a
 * watchdog removes it and stops the processes if the test process dies first.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlaneBinaries, controlPlaneBinaries, type Log } from '@airlock/build';
import { KubeConfig } from '@kubernetes/client-node';
import { httpStatus } from './http-status.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { createCertificateAuthority, createServiceAccountKeyPair, issueServingCertificate } from './pki.ts';
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
  // Fills aggregated ClusterRoles (airlock-reviewer) from the roles labelled to join them.
  'clusterrole-aggregation-controller',
  // Type-checks ValidatingAdmissionPolicies and reports problems in their status.
  'validatingadmissionpolicy-status-controller',
];

export interface ControlPlaneOptions {
  /** Start kube-controller-manager (default true). */
  controllers?: boolean;
  log?: Log;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

const SERVICE_CIDR = '10.0.0.0/24';
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
  #stopped = false;

  private constructor(init: {
    dir: string;
    binaries: ControlPlaneBinaries;
    caPem: string;
    supervisor: Supervisor;
    tokens: Record<TestUserName, string>;
    ports: { etcdClient: number; etcdPeer: number; apiserver: number };
    log: Log;
  }) {
    this.dir = init.dir;
    this.binaries = init.binaries;
    this.caPem = init.caPem;
    this.#supervisor = init.supervisor;
    this.#tokens = init.tokens;
    this.#ports = init.ports;
    this.#log = init.log;
    this.server = `https://127.0.0.1:${init.ports.apiserver}`;
    this.#paths = { etcdData: join(init.dir, 'etcd'), pki: join(init.dir, 'pki') };
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const log = options.log ?? (() => {});
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
      writeFileSync(
        join(pki, 'tokens.csv'),
        Object.entries(TEST_USERS)
          .map(([key, u]) => `${tokens[key as TestUserName]},${u.name},${u.uid},"${u.groups.join(',')}"`)
          .join('\n'),
        { mode: 0o600 },
      );
      const ports = { etcdClient: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
      plane = new ControlPlane({ dir, binaries, caPem: ca.certPem, supervisor, tokens, ports, log });
      for (const user of Object.keys(TEST_USERS) as TestUserName[]) {
        writeFileSync(plane.kubeconfigPath(user), plane.kubeconfig(user), { mode: 0o600 });
      }
      await plane.#startEtcd();
      await plane.#startApiServer();
      if (options.controllers ?? true) await plane.#startControllerManager();
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
  kubectl(args: string[], opts: { user?: TestUserName; kubeconfigPath?: string } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const kubeconfig = opts.kubeconfigPath ?? this.kubeconfigPath(opts.user ?? 'admin');
      const child = spawn(this.binaries.kubectl, ['--kubeconfig', kubeconfig, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, KUBECONFIG: '' },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#supervisor.stopAll(['kube-controller-manager', 'kube-apiserver', 'etcd']);
    this.#supervisor.release([this.dir]);
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
      '--authorization-mode=RBAC',
      `--service-account-issuer=${this.server}`,
      `--service-account-key-file=${join(pki, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--allow-privileged=true',
      // No nodes, so nothing can serve the kubernetes Service; do not try to reconcile it.
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
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
