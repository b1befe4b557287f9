/**
 * The airlock processes of an end-to-end run: the operator as a real process (authenticated as
 * its service account), and sidecars started from the container spec the webhook injected into a
 * pod — its command, its env, its token mount — because there is no kubelet to start them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HarnessError } from './errors.ts';
import { httpStatus } from './http-status.ts';
import { freePort } from './ports.ts';
import { waitUntilReady } from './readiness.ts';
import { Supervisor } from './supervisor.ts';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
/** Where the sidecar image keeps the repository; the injected command names files under it. */
const IMAGE_APP_ROOT = '/app/';

export interface OperatorProcessOptions {
  /** kubeconfig of the operator's service account. */
  readonly kubeconfigPath: string;
  readonly namespace: string;
  readonly recordingsDirectory: string;
  readonly retention?: string;
  readonly logLevel?: string;
  readonly extraArgs?: readonly string[];
  /** Fixed ports, when the webhook URL must be known before the operator starts; free ports otherwise. */
  readonly ports?: { readonly webhook: number; readonly broker: number; readonly health: number };
}

/** The operator's command line (after `node`) on 127.0.0.1 with these ports: what the tests and the broker benchmark run. */
export function operatorArgs(
  options: OperatorProcessOptions,
  ports: { readonly webhook: number; readonly broker: number; readonly health: number },
  identity = 'operator-e2e',
): string[] {
  return [
    join(REPO_ROOT, 'operator', 'src', 'main.ts'),
    `--kubeconfig=${options.kubeconfigPath}`,
    `--namespace=${options.namespace}`,
    `--identity=${identity}`,
    '--host=127.0.0.1',
    `--webhook-port=${ports.webhook}`,
    `--broker-port=${ports.broker}`,
    `--health-port=${ports.health}`,
    '--ip-address=127.0.0.1',
    '--dns-name=localhost',
    `--broker-url=https://127.0.0.1:${ports.broker}`,
    `--recordings=${options.recordingsDirectory}`,
    `--retention=${options.retention ?? '1h'}`,
    `--log-level=${options.logLevel ?? 'info'}`,
    ...(options.extraArgs ?? []),
  ];
}

export interface PodLike {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { initContainers?: ContainerLike[]; containers?: ContainerLike[] };
}

interface ContainerLike {
  name: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

/** One supervised process with a health port, restartable. */
class HealthProcess {
  readonly name: string;
  readonly healthPort: number;
  readonly #supervisor: Supervisor;
  readonly #command: readonly string[];
  readonly #env: NodeJS.ProcessEnv;
  /** Where a path of the container (a mounted volume's) is on this machine; the path itself elsewhere. */
  readonly hostPath: (containerPath: string) => string;

  constructor(
    supervisor: Supervisor,
    name: string,
    command: readonly string[],
    env: NodeJS.ProcessEnv,
    healthPort: number,
    hostPath: (containerPath: string) => string = (path) => path,
  ) {
    this.hostPath = hostPath;
    this.#supervisor = supervisor;
    this.name = name;
    this.#command = command;
    this.#env = env;
    this.healthPort = healthPort;
  }

  async start(): Promise<void> {
    const [program, ...args] = this.#command;
    const proc = this.#supervisor.start(this.name, program!, args, { env: this.#env, cwd: REPO_ROOT });
    await waitUntilReady(this.name, {
      exited: proc.exited,
      ready: async () => (await httpStatus(`http://127.0.0.1:${this.healthPort}/readyz`)) === 200,
      logTail: () => this.logTail(),
      timeoutMs: 90_000,
      intervalMs: 200,
    });
  }

  stop(): Promise<void> {
    return this.#supervisor.stop(this.name);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  logTail(lines = 40): string {
    return this.#supervisor.logTail(this.name, lines);
  }
}

export class AirlockProcesses {
  readonly dir: string;
  readonly #supervisor: Supervisor;
  readonly #running: HealthProcess[] = [];

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'airlock-procs-'));
    this.#supervisor = new Supervisor(join(this.dir, 'logs'));
    this.#supervisor.ownDir(this.dir);
  }

  /** Starts `node operator/src/main.ts` on 127.0.0.1 with free ports; resolves once it is ready. */
  async startOperator(
    options: OperatorProcessOptions,
  ): Promise<HealthProcess & { readonly ports: { webhook: number; broker: number; health: number } }> {
    const ports = options.ports ?? { webhook: await freePort(), broker: await freePort(), health: await freePort() };
    const args = operatorArgs(options, ports);
    const proc = new HealthProcess(this.#supervisor, 'operator', [process.execPath, ...args], { ...process.env }, ports.health);
    await proc.start();
    this.#running.push(proc);
    return Object.assign(proc, { ports });
  }

  /**
   * Starts the injected sidecar container of `pod`: its command, its env (downward-API fields
   * resolved from the pod), and its projected token written where its volume mount says; as a
   * local process of this checkout (the image's /app/ mapped to it). `brokerURL` replaces the
   * injected one, which names the broker's Service. (On the test node the kubelet runs the real
   * thing: e2e/tests/node-install.test.ts.)
   */
  async startSidecarFromPod(
    pod: PodLike,
    token: string,
    options: {
      containerName?: string;
      brokerURL?: string;
      /** Set after the container's env: e.g. another AIRLOCK_DELEGATION_PORT than the fixed one, for tests that run side by side. */
      env?: Readonly<Record<string, string>>;
    } = {},
  ): Promise<HealthProcess> {
    const name = options.containerName ?? 'airlock-sidecar';
    const container = pod.spec?.initContainers?.find((c) => c.name === name) ?? pod.spec?.containers?.find((c) => c.name === name);
    if (!container) throw new HarnessError('NoSidecar', `pod ${pod.metadata?.name} has no container ${name}`);
    const mounts = new Map<string, string>();
    for (const mount of container.volumeMounts ?? []) {
      const local = mkdtempSync(join(this.dir, `mount-${mount.name}-`));
      mounts.set(mount.mountPath.replace(/\/$/, ''), local);
    }
    const mapPath = (path: string): string => {
      for (const [mountPath, local] of mounts)
        if (path === mountPath || path.startsWith(`${mountPath}/`)) return local + path.slice(mountPath.length);
      if (path.startsWith(IMAGE_APP_ROOT)) return join(REPO_ROOT, path.slice(IMAGE_APP_ROOT.length));
      return path;
    };
    const env: Record<string, string> = {};
    for (const variable of container.env ?? []) {
      const field = variable.valueFrom?.fieldRef?.fieldPath;
      const value = field ? fieldValue(pod, field) : variable.value;
      if (value !== undefined) env[variable.name] = value;
    }
    const tokenFile = env.AIRLOCK_TOKEN_FILE;
    if (!tokenFile) throw new HarnessError('NoTokenFile', `container ${name} has no AIRLOCK_TOKEN_FILE`);
    writeFileSync(mapPath(tokenFile), token, { mode: 0o644 });
    // The pod network is shared by parallel tests here: the health port moves, the listeners stay.
    const healthPort = await freePort();
    env.AIRLOCK_HEALTH_PORT = String(healthPort);
    env.AIRLOCK_HEALTH_HOST = '127.0.0.1';
    if (options.brokerURL) env.AIRLOCK_BROKER_URL = options.brokerURL;
    Object.assign(env, options.env);
    const argv = [...(container.command ?? []), ...(container.args ?? [])];
    const procName = `sidecar-${pod.metadata?.name}`;
    // Files and directories the sidecar writes (its token, the config volume) go to the mounts' local directories, never the machine's own paths.
    for (const [key, value] of Object.entries(env)) if (key.endsWith('_FILE') || key.endsWith('_DIR')) env[key] = mapPath(value);
    const command = argv.map((part, index) => (index === 0 && part === 'node' ? process.execPath : mapPath(part)));
    const proc = new HealthProcess(
      this.#supervisor,
      procName,
      command,
      { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      healthPort,
      mapPath,
    );
    await proc.start();
    this.#running.push(proc);
    return proc;
  }

  async stop(): Promise<void> {
    await this.#supervisor.stopAll();
    this.#supervisor.release([this.dir]);
  }
}

function fieldValue(pod: PodLike, path: string): string | undefined {
  switch (path) {
    case 'metadata.name':
      return pod.metadata?.name;
    case 'metadata.namespace':
      return pod.metadata?.namespace;
    case 'metadata.uid':
      return pod.metadata?.uid;
    default:
      return undefined;
  }
}
