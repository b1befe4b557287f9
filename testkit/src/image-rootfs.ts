/**
 * An image's root filesystem (by default the airlock image's; any image archive of the build),
 * unpacked into a temp dir from the archive (`crane export`: the layers flattened in order,
 * whiteouts applied), and a way to run a program in it the way a container runtime would: as the
 * image's user (the airlock image: nonroot, 65532), on a read-only root with a tmpfs on /tmp and
 * the usual devices in /dev (when the image has those folders), with only the image's environment
 * (its config's Env, and HOME from its /etc/passwd unless Env sets it). Each run happens in its
 * own mount namespace (unshare), so its mounts are private and gone when it exits; nothing is
 * mounted on the host. Needs root (mount namespaces, chroot): `ImageRootfs.available()` says
 * whether this process can.
 * A watchdog removes the dir if the test process dies before remove().
 */
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { cachedImage, craneBinary, type ImageBuild, type Log } from '@airlock/build';
import { HarnessError } from './errors.ts';

/** Where a pod's containers find their service-account credentials (client libraries' in-cluster config). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface ImageRunOptions {
  /** Variables besides the image's own (the airlock image: PATH, NODE_ENV) and HOME. */
  readonly env?: Readonly<Record<string, string>>;
  /** Default: the user of the image's config (the airlock image: nonroot, 65532); the group is the same number. */
  readonly uid?: number;
  /**
   * As PID 1 of a PID namespace of its own, as in a pod that shares one PID namespace among its
   * containers: orphans become its children, and only signals it handles reach it.
   */
  readonly pidNamespace?: boolean;
  /**
   * Host paths bound into the image for one run, read-only unless `writable` (a pod's volumes).
   * Mount points missing from the image are made in this unpacked copy first, as a runtime makes
   * them in the container's upper layer. Binding /dev/null over a library hides it.
   */
  readonly mounts?: readonly { readonly host: string; readonly at: string; readonly writable?: boolean }[];
  /**
   * In-cluster credentials, as the kubelet gives a pod: token, CA and namespace in
   * /var/run/secrets/kubernetes.io/serviceaccount, KUBERNETES_SERVICE_HOST/PORT naming the API server.
   */
  readonly serviceAccount?: { readonly token: string; readonly caPem: string; readonly namespace: string; readonly server: URL };
  readonly timeoutMs?: number;
}

/** The parts of an image's config that say how its containers run. */
export interface ImageRunConfig {
  readonly uid: number;
  readonly gid: number;
  /** NAME=value, as the config lists them. */
  readonly env: readonly string[];
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
  readonly workingDir: string;
}

/** Devices a container runtime puts in every container's /dev. */
const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

export class ImageRootfs {
  /** The unpacked root filesystem. */
  readonly root: string;
  readonly image: ImageBuild;
  readonly config: ImageRunConfig;
  readonly #watchdog: ChildProcess;
  #removed = false;

  private constructor(root: string, image: ImageBuild, watchdog: ChildProcess) {
    this.root = root;
    this.image = image;
    this.config = readRunConfig(image.archive);
    this.#watchdog = watchdog;
  }

  /** Whether this process can run programs in an unpacked image: root, and mount namespaces. */
  static available(): boolean {
    return process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;
  }

  /** Unpacks the image archive (default: the cached build of this work tree, built when needed). */
  static async unpack(log: Log = () => {}, image?: ImageBuild): Promise<ImageRootfs> {
    const built = image ?? (await cachedImage(log));
    const crane = await craneBinary(log);
    const root = mkdtempSync(join(tmpdir(), 'airlock-image-rootfs-'));
    // It becomes `/`: nonroot must be able to enter it (mkdtemp makes it 0700).
    chmodSync(root, 0o755);
    const watchdog = spawn(process.execPath, [join(import.meta.dirname, 'watchdog.ts')], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    (watchdog.stdin as Writable).write(`dir ${root}\n`);
    const rootfs = new ImageRootfs(root, built, watchdog);
    try {
      await exportInto(crane, built.archive, root);
    } catch (error) {
      rootfs.remove();
      throw error;
    }
    log(`unpacked ${built.reference}@${built.digest} into ${root}`);
    return rootfs;
  }

  /** The command line that runs `args` (argv[0] found on the image's PATH) in the image, for spawn(). */
  commandLine(args: readonly string[], options: ImageRunOptions = {}): { command: string; args: string[] } {
    const uid = options.uid ?? this.config.uid;
    const gid = options.uid ?? this.config.gid;
    const variables: Record<string, string> = { ...options.env };
    if (options.serviceAccount) {
      const account = options.serviceAccount;
      const dir = join(this.root, SERVICE_ACCOUNT_DIR);
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of [
        ['token', account.token],
        ['ca.crt', account.caPem],
        ['namespace', account.namespace],
      ] as const)
        writeFileSync(join(dir, file), content, { mode: 0o644 });
      variables.KUBERNETES_SERVICE_HOST = account.server.hostname;
      variables.KUBERNETES_SERVICE_PORT = account.server.port || '443';
    }
    for (const mount of options.mounts ?? []) {
      const point = join(this.root, mount.at);
      if (mount.at.startsWith('/tmp/') || existsSync(point)) continue;
      if (statSync(mount.host).isDirectory()) mkdirSync(point, { recursive: true });
      else writeFileSync(point, '');
    }
    const home = this.config.env.some((variable) => variable.startsWith('HOME=')) ? [] : [`HOME=${this.home(uid)}`];
    const env = [...this.config.env, ...home, ...Object.entries(variables).map(([k, v]) => `${k}=${v}`)];
    const at = (path: string) => quote(join(this.root, path));
    const has = (dir: string) => statSync(join(this.root, dir), { throwIfNoEntry: false })?.isDirectory() === true;
    const script = [
      'set -e',
      // A mount point of its own, remounted read-only: the image's files cannot change.
      `mount --bind ${quote(this.root)} ${quote(this.root)}`,
      `mount -o remount,bind,ro ${quote(this.root)}`,
      ...(has('tmp') ? [`mount -t tmpfs -o mode=1777,size=64m tmpfs ${at('/tmp')}`] : []),
      // A /dev as a runtime makes it: a tmpfs with the host's harmless devices bound in.
      ...(has('dev')
        ? [
            `mount -t tmpfs -o mode=755,size=64k tmpfs ${at('/dev')}`,
            ...DEVICES.flatMap((device) => [`: > ${at(`/dev/${device}`)}`, `mount --bind /dev/${device} ${at(`/dev/${device}`)}`]),
          ]
        : []),
      ...(options.mounts ?? []).flatMap(({ host, at: path, writable }) => [
        ...(path.startsWith('/tmp/') ? [`if [ -d ${quote(host)} ]; then mkdir -p ${at(path)}; else : > ${at(path)}; fi`] : []),
        `mount --bind ${quote(host)} ${at(path)}`,
        ...(writable ? [] : [`mount -o remount,bind,ro ${at(path)}`]),
      ]),
      // chroot by its host path: after `env -i` PATH is the image's.
      `chroot=$(command -v chroot)`,
      `exec env -i ${env.map(quote).join(' ')} "$chroot" --userspec=${uid}:${gid} ${quote(this.root)} ${args.map(quote).join(' ')}`,
    ].join('\n');
    // --kill-child: the shell dies with unshare; its mount namespace (and every mount in it) with the program.
    // The parent-death signal does not survive chroot's change of user, so stop a program by its
    // process group (spawn it detached), not by unshare alone. With --pid, the forked shell is PID 1
    // and execs into the program.
    const pid = options.pidNamespace ? ['--pid'] : [];
    return { command: 'unshare', args: ['--mount', ...pid, '--propagation', 'private', '--fork', '--kill-child', 'sh', '-c', script] };
  }

  /** The home of `uid` in the image's /etc/passwd, or / when it has none. */
  home(uid: number): string {
    let passwd = '';
    try {
      passwd = readFileSync(join(this.root, 'etc/passwd'), 'utf8');
    } catch {
      return '/';
    }
    const entry = passwd.split('\n').find((line) => line.split(':')[2] === String(uid));
    return entry?.split(':')[5] || '/';
  }

  /** Runs `args` in the image to its end. */
  run(args: readonly string[], options: ImageRunOptions = {}): SpawnSyncReturns<string> {
    const { command, args: argv } = this.commandLine(args, options);
    return spawnSync(command, argv, {
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 60_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
  }

  /** Removes the unpacked files. Idempotent. */
  remove(): void {
    if (this.#removed) return;
    this.#removed = true;
    rmSync(this.root, { recursive: true, force: true });
    const stdin = this.#watchdog.stdin as Writable | null;
    stdin?.write('done\n');
    stdin?.end();
  }
}

/** The image's root filesystem in a fresh temp dir; call remove() when done. */
export function imageRootfs(log: Log = () => {}, image?: ImageBuild): Promise<ImageRootfs> {
  return ImageRootfs.unpack(log, image);
}

const quote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;

/** User, Env, Entrypoint, Cmd and WorkingDir of the image's config, read from the archive (an OCI layout). */
function readRunConfig(archive: string): ImageRunConfig {
  const member = (path: string): unknown => {
    const result = spawnSync('tar', ['-xOf', archive, path], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
    if (result.status !== 0) throw new HarnessError('ImageConfigUnreadable', `${archive} has no ${path}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  const blob = (digest: string) => `blobs/${digest.replace(':', '/')}`;
  const index = member('index.json') as { manifests: { digest: string }[] };
  const manifest = member(blob(index.manifests[0]?.digest ?? '')) as { config: { digest: string } };
  const { config = {} } = member(blob(manifest.config.digest)) as {
    config?: { User?: string; Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string };
  };
  const [uid = '0', gid = uid] = (config.User || '0').split(':');
  if (!/^\d+$/.test(uid) || !/^\d+$/.test(gid)) {
    throw new HarnessError('ImageUserByName', `the image's config names its user ${config.User}; only numeric users are supported here`);
  }
  return {
    uid: Number(uid),
    gid: Number(gid),
    env: config.Env ?? [],
    entrypoint: config.Entrypoint ?? [],
    cmd: config.Cmd ?? [],
    workingDir: config.WorkingDir || '/',
  };
}

/** `crane export - - < archive | tar -x`: the flattened filesystem, owners kept by number. */
async function exportInto(crane: string, archive: string, root: string): Promise<void> {
  const input = openSync(archive, 'r');
  const tar = spawn('tar', ['-x', '--numeric-owner', '-C', root], { stdio: ['pipe', 'ignore', 'pipe'] });
  const exporter = spawn(crane, ['export', '-', '-'], { stdio: [input, tar.stdin, 'pipe'] });
  closeSync(input);
  // crane has its own copy of the pipe: tar sees the end of input when crane exits.
  tar.stdin?.destroy();
  const finished = (child: ChildProcess, name: string) =>
    new Promise<void>((resolve, reject) => {
      let stderr = '';
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.once('error', (error) => reject(new HarnessError('ImageExportFailed', `could not run ${name}: ${error.message}`)));
      child.once('close', (code) =>
        code === 0
          ? resolve()
          : reject(new HarnessError('ImageExportFailed', `${name} failed (exit ${code}) unpacking ${archive}: ${stderr}`)),
      );
    });
  await Promise.all([finished(exporter, 'crane export'), finished(tar, 'tar -x')]);
}
