/**
 * A private containerd for one test, from the Debian package (`make system-packages`): its own
 * config, root, state and sockets in a temp dir, the CRI plugin and the snapshotters that only
 * probe the machine disabled, so it needs no network and touches nothing of a containerd the
 * machine may run; `ctr()` talks to it by its socket, in its own namespace. With `cri` it runs
 * the CRI plugin for the test node's kubelet instead (node/containerd-cri-config.ts). Needs root
 * (`Containerd.available()`). stop() ends it, unmounts anything still mounted under its dir and
 * removes the dir; a watchdog does the same if the test process dies first.
 */
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '@airlock/build';
import { HarnessError } from './errors.ts';
import { type CriSettings, criPluginToml } from './node/containerd-cri-config.ts';
import { waitUntilReady } from './readiness.ts';

export interface ContainerdOptions {
  /** The snapshotter images are unpacked with: overlayfs (default, what a node uses) or native (plain copies, no mounts). */
  readonly snapshotter?: 'overlayfs' | 'native';
  /** The containerd namespace ctr() works in (default airlock-test; the CRI plugin's is k8s.io). */
  readonly namespace?: string;
  /** Run the CRI plugin with these settings (for a kubelet); without, CRI is disabled. */
  readonly cri?: CriSettings;
  /** Where its temp dir is made (default: the system's temp dir). */
  readonly parentDir?: string;
  readonly log?: Log;
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;
// Plugins that would only probe the machine (modprobe, btrfs/zfs file systems, a devmapper pool);
// CRI sets up networking and pulls images, so it is off unless asked for.
const DISABLED_PLUGINS = [
  'io.containerd.snapshotter.v1.aufs',
  'io.containerd.snapshotter.v1.btrfs',
  'io.containerd.snapshotter.v1.devmapper',
  'io.containerd.snapshotter.v1.zfs',
];
const CRI_PLUGIN = 'io.containerd.grpc.v1.cri';

export class Containerd {
  /** The temp dir holding config, root, state, sockets, the log and mount points. */
  readonly dir: string;
  /** The GRPC socket. */
  readonly address: string;
  readonly namespace: string;
  readonly snapshotter: 'overlayfs' | 'native';
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #watchdog: ChildProcess;
  #mountPoints = 0;
  #stopped: Promise<void> | undefined;

  private constructor(init: {
    dir: string;
    namespace: string;
    snapshotter: 'overlayfs' | 'native';
    child: ChildProcess;
    exited: Promise<number | null>;
    watchdog: ChildProcess;
  }) {
    this.dir = init.dir;
    this.address = join(init.dir, 'containerd.sock');
    this.namespace = init.namespace;
    this.snapshotter = init.snapshotter;
    this.#child = init.child;
    this.#exited = init.exited;
    this.#watchdog = init.watchdog;
  }

  /** Whether this process can run containerd: root. */
  static available(): boolean {
    return process.getuid?.() === 0;
  }

  /** Starts containerd and waits until it answers `ctr version`. Throws HarnessError `ToolMissing` without the package. */
  static async start(options: ContainerdOptions = {}): Promise<Containerd> {
    const log = options.log ?? (() => {});
    for (const tool of ['containerd', 'ctr']) {
      const probe = spawnSync(tool, ['--version'], { encoding: 'utf8' });
      if (probe.status !== 0) {
        throw new HarnessError(
          'ToolMissing',
          `${tool} is not installed or does not run (${probe.error?.message ?? probe.stderr.trim()}): run \`make system-packages\` (Debian package containerd)`,
        );
      }
    }
    const dir = mkdtempSync(join(options.parentDir ?? tmpdir(), options.parentDir ? 'containerd-' : 'airlock-containerd-'));
    const watchdog = spawn(process.execPath, [join(import.meta.dirname, 'watchdog.ts')], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    (watchdog.stdin as Writable).write(`dir ${dir}\n`);
    const config = join(dir, 'config.toml');
    writeFileSync(config, configToml(dir, options.cri));
    const logFd = openSync(join(dir, 'containerd.log'), 'a');
    // A process group of its own, so a Ctrl-C to the test runner does not race stop().
    const child = spawn('containerd', ['--config', config], { detached: true, stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    child.unref();
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(-1));
    });
    if (child.pid !== undefined) (watchdog.stdin as Writable).write(`pid ${child.pid}\n`);
    const containerd = new Containerd({
      dir,
      namespace: options.namespace ?? 'airlock-test',
      snapshotter: options.snapshotter ?? 'overlayfs',
      child,
      exited,
      watchdog,
    });
    try {
      await waitUntilReady('containerd', {
        exited,
        ready: () => existsSync(containerd.address) && containerd.ctr(['version'], { timeoutMs: 5000 }).status === 0,
        logTail: () => containerd.logTail(),
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 100,
      });
    } catch (error) {
      await containerd.stop();
      throw error;
    }
    log(`containerd ready on ${containerd.address}`);
    return containerd;
  }

  /** Runs `ctr` against this containerd, in its namespace. */
  ctr(args: readonly string[], options: { timeoutMs?: number } = {}): SpawnSyncReturns<string> {
    return spawnSync('ctr', ['--address', this.address, '--namespace', this.namespace, ...args], {
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 5 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
  }

  /** `ctr images mount` of an image's unpacked snapshot on a fresh dir under this one; returns the mount point. */
  mountImage(reference: string): string {
    const target = join(this.dir, `mnt-${++this.#mountPoints}`);
    mkdirSync(target);
    this.#tell(`mount ${target}`);
    const mounted = this.ctr(['images', 'mount', '--snapshotter', this.snapshotter, reference, target]);
    if (mounted.status !== 0) {
      this.#unmount(target);
      throw new HarnessError('MountFailed', `ctr images mount ${reference} failed: ${mounted.stderr.trim()}`);
    }
    return target;
  }

  /** `ctr images unmount --rm`: the mount goes, and the snapshot mountImage() made for it. */
  unmountImage(target: string): void {
    const unmounted = this.ctr(['images', 'unmount', '--rm', target]);
    if (unmounted.status !== 0) {
      this.#unmount(target);
      throw new HarnessError('UnmountFailed', `ctr images unmount ${target} failed: ${unmounted.stderr.trim()}`);
    }
    this.#tell(`unmounted ${target}`);
  }

  /** What is mounted at or under this containerd's dir, deepest first. */
  mounts(): string[] {
    const listed = spawnSync('findmnt', ['--raw', '--noheadings', '--output', 'TARGET'], { encoding: 'utf8' });
    if (listed.status !== 0) throw new HarnessError('FindmntFailed', `findmnt failed: ${listed.stderr}`);
    return listed.stdout
      .split('\n')
      .map((line) => line.replace(/\\x([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))))
      .filter((target) => target === this.dir || target.startsWith(`${this.dir}/`))
      .sort((a, b) => b.length - a.length);
  }

  logTail(lines = 30): string {
    try {
      return readFileSync(join(this.dir, 'containerd.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM (SIGKILL after 10 s), then every mount under the dir is unmounted and the dir removed. Safe to call twice. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      const child = this.#child;
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        child.ref();
        signalGroup(child.pid, 'SIGTERM');
        const grace = new AbortController();
        const timedOut = await Promise.race([
          this.#exited.then(() => false),
          sleep(STOP_GRACE_MS, true, { signal: grace.signal }).catch(() => false),
        ]);
        grace.abort();
        if (timedOut) {
          signalGroup(child.pid, 'SIGKILL');
          await this.#exited;
        }
      }
      if (child.pid !== undefined) this.#tell(`forget ${child.pid}`);
      for (const target of this.mounts()) this.#unmount(target);
      const left = this.mounts();
      if (left.length > 0) {
        // Removing the dir would delete through the mounts; the watchdog tries again when we exit.
        throw new HarnessError('MountLeft', `still mounted under ${this.dir}, not removed: ${left.join(', ')}`);
      }
      rmSync(this.dir, { recursive: true, force: true });
      this.#tell('done');
      this.#watchdog.stdin?.end();
    })();
    return this.#stopped;
  }

  /** Unmounts, lazily if busy: a mount left behind would outlive the test run. */
  #unmount(target: string): void {
    if (spawnSync('umount', [target]).status !== 0) spawnSync('umount', ['-l', target]);
    this.#tell(`unmounted ${target}`);
  }

  #tell(line: string): void {
    (this.#watchdog.stdin as Writable | null)?.write(`${line}\n`);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Everything containerd writes is under `dir`; `version = 2` is the config format of containerd 1.x. */
function configToml(dir: string, cri: CriSettings | undefined): string {
  const path = (name: string) => JSON.stringify(join(dir, name));
  return [
    'version = 2',
    `root = ${path('root')}`,
    `state = ${path('state')}`,
    `disabled_plugins = ${JSON.stringify(cri ? DISABLED_PLUGINS : [CRI_PLUGIN, ...DISABLED_PLUGINS])}`,
    '',
    '[grpc]',
    `  address = ${path('containerd.sock')}`,
    '[ttrpc]',
    `  address = ${path('containerd.sock.ttrpc')}`,
    '[debug]',
    `  address = ${path('debug.sock')}`,
    '[metrics]',
    '  address = ""',
    '',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${path('opt')}`,
    '',
    ...(cri ? [criPluginToml(cri)] : []),
  ].join('\n');
}
