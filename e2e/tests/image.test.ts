/**
 * The container image (`make image`; docs/adr/0016-image-without-a-daemon.md), built for real
 * with crane from the pinned inputs and this work tree: the archive is valid and loads as an OCI
 * image layout with a Docker manifest.json, its config runs the operator as nonroot, it is small
 * and holds nothing but what runs, and the operator, the sidecar and the SQL classifier's
 * WebAssembly work from its root filesystem as a container runtime would run them: as nonroot
 * (65532), read-only root, tmpfs on /tmp, the image's environment only, no library of the host.
 * The same sources build the same digest. The loaders the README names read it for real: skopeo
 * (oci-archive: and docker-archive:, the manifest.json docker load reads) and a private containerd
 * (`ctr images import`, unpacked on overlayfs); skopeo and containerd come from Debian
 * (`make system-packages`), and a test fails, not skips, when one is missing.
 *
 * The first run builds crane (about 1.5 minutes) and fetches the pinned inputs; later runs reuse
 * the cached image of the same sources (cachedImage) and rebuild only for the reproducibility check.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildImage, cachedImage, craneBinary, type ImageBuild, NONROOT_ID } from '@airlock/build';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { Containerd, type ImageRootfs, imageRootfs, REPO_ROOT } from '@airlock/testkit';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const BUILD_TIMEOUT = 15 * 60_000;
const NODE_VERSION = readFileSync(join(REPO_ROOT, '.node-version'), 'utf8').trim();
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const canRun = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;

let image: ImageBuild;
let crane: string;

before(
  async () => {
    crane = await craneBinary(log);
    image = await cachedImage(log);
    log(`image ${image.reference}@${image.digest}, ${(image.size / 1e6).toFixed(1)} MB compressed`);
  },
  { timeout: BUILD_TIMEOUT },
);

/** A file of the archive, by its path in the layout. */
function member(path: string): Buffer {
  const result = spawnSync('tar', ['-xOf', image.archive, path], { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(result.status, 0, `${path} is not in the archive: ${result.stderr}`);
  return result.stdout;
}
const json = <T>(path: string): T => JSON.parse(member(path).toString('utf8')) as T;
const blob = (digest: string) => `blobs/${digest.replace(':', '/')}`;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

describe('the archive', () => {
  test('crane validates it as an image tarball (every blob, diff ID and digest checked)', () => {
    const result = spawnSync(crane, ['validate', '--tarball', image.archive], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^PASS/);
  });

  test('is an OCI image layout of one Docker schema 2 image, named for docker load, containerd and skopeo', () => {
    assert.deepEqual(json('oci-layout'), { imageLayoutVersion: '1.0.0' });
    const index = json<{ manifests: Descriptor[] }>('index.json');
    assert.equal(index.manifests.length, 1);
    const [descriptor] = index.manifests as [Descriptor];
    assert.equal(descriptor.digest, image.digest);
    assert.equal(descriptor.mediaType, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.deepEqual(descriptor.annotations, {
      'io.containerd.image.name': `docker.io/airlock/airlock:${VERSION}`,
      'org.opencontainers.image.ref.name': VERSION,
    });
    const manifestBytes = member(blob(image.digest));
    assert.equal(`sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, image.digest);
    const manifest = JSON.parse(manifestBytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
    assert.deepEqual(
      manifest.layers.map((layer) => [layer.mediaType, layer.digest]),
      image.layers.map((layer) => ['application/vnd.docker.image.rootfs.diff.tar.gzip', layer.digest]),
    );
    assert.deepEqual(
      image.layers.map((layer) => layer.name),
      ['base', 'node', 'deps', 'app'],
    );
    assert.deepEqual(json('manifest.json'), [
      {
        Config: blob(manifest.config.digest),
        RepoTags: [`airlock/airlock:${VERSION}`],
        Layers: manifest.layers.map((layer) => blob(layer.digest)),
      },
    ]);
  });

  test('its config runs the operator with the pinned Node as nonroot on linux/amd64, labelled with version and commit', () => {
    const { config: descriptor } = json<{ config: Descriptor }>(blob(image.digest));
    const config = json<{ os: string; architecture: string; config: Record<string, unknown> & { Labels: Record<string, string> } }>(
      blob(descriptor.digest),
    );
    assert.equal(config.os, 'linux');
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.config.User, `${NONROOT_ID}:${NONROOT_ID}`);
    assert.deepEqual(config.config.Entrypoint, ['/usr/local/bin/node']);
    assert.deepEqual(config.config.Cmd, ['/app/operator/src/main.ts']);
    assert.equal(config.config.WorkingDir, '/app');
    // NODE_OPTIONS: the preload module that runs the type-stripped sources (docs/adr/0028).
    assert.deepEqual(config.config.Env, [
      'PATH=/usr/local/bin',
      'NODE_ENV=production',
      'NODE_OPTIONS=--import=/app/stripped-sources-hooks.mjs',
    ]);
    const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).stdout.trim();
    assert.match(config.config.Labels['org.opencontainers.image.revision'] ?? '', new RegExp(`^${commit}(-dirty)?$`));
    assert.equal(config.config.Labels['org.opencontainers.image.version'], VERSION);
  });

  test('is under 80 MB compressed', () => {
    for (const layer of image.layers) log(`${layer.name}: ${(layer.size / 1e6).toFixed(1)} MB ${layer.holds}`);
    assert.ok(image.size < 80e6, `${image.size} bytes`);
  });
});

const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
/** The config's rootfs.diff_ids: the layers' digests uncompressed, what docker load and containerd check the layers against. */
const diffIds = () => {
  const { config } = json<{ config: Descriptor }>(blob(image.digest));
  return json<{ rootfs: { diff_ids: string[] } }>(blob(config.digest)).rootfs.diff_ids;
};
const missingTool = (tool: string, result: SpawnSyncReturns<string>) =>
  `${tool} is not installed or does not run (${result.error?.message ?? result.stderr.trim()}): run \`make system-packages\``;

interface Manifest {
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

// skopeo reads no policy (--insecure-policy), no registries.conf, containers.conf, registries.d or
// credentials of the machine or the user: HOME and every config it looks at are empty ones in
// the scratch dir, and its temp files (an oci-archive is unpacked to read it) go there too.
describe('skopeo reads the archive', () => {
  let scratch: string;
  let env: NodeJS.ProcessEnv;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'airlock-image-skopeo-'));
    for (const dir of ['home', 'tmp', 'registries.d']) mkdirSync(join(scratch, dir));
    writeFileSync(join(scratch, 'registries.conf'), '');
    writeFileSync(join(scratch, 'containers.conf'), '');
    env = {
      PATH: process.env.PATH,
      HOME: join(scratch, 'home'),
      TMPDIR: join(scratch, 'tmp'),
      CONTAINERS_REGISTRIES_CONF: join(scratch, 'registries.conf'),
      CONTAINERS_CONF: join(scratch, 'containers.conf'),
    };
    const version = spawnSync('skopeo', ['--version'], { encoding: 'utf8', env });
    assert.equal(version.status, 0, missingTool('skopeo', version));
    log(version.stdout.trim());
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  const skopeo = (...args: string[]) => {
    const result = spawnSync('skopeo', ['--insecure-policy', '--registries.d', join(scratch, 'registries.d'), ...args], {
      encoding: 'utf8',
      env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: 5 * 60_000,
    });
    assert.equal(result.status, 0, `skopeo ${args.join(' ')}: ${result.error?.message ?? result.stderr}`);
    return result.stdout;
  };

  test('inspect: oci-archive (index.json) gives the manifest byte for byte; docker-archive (manifest.json, what docker load reads) the same config and its layers by diff ID', () => {
    const raw = skopeo('inspect', '--raw', `oci-archive:${image.archive}`);
    assert.equal(sha256(raw), image.digest);
    const oci = JSON.parse(skopeo('inspect', `oci-archive:${image.archive}`)) as { Digest: string; Layers: string[] };
    assert.equal(oci.Digest, image.digest);
    assert.deepEqual(
      oci.Layers,
      image.layers.map((layer) => layer.digest),
    );

    // A docker-archive source reads manifest.json, the config and every layer file, and names the
    // layers by the digests of their uncompressed tars, as docker load does: they must be the diff IDs.
    const docker = JSON.parse(skopeo('inspect', '--raw', `docker-archive:${image.archive}`)) as Manifest;
    assert.equal(docker.config.digest, image.configDigest);
    assert.deepEqual(
      docker.layers.map((layer) => layer.digest),
      diffIds(),
    );
    assert.equal(sha256(skopeo('inspect', '--config', '--raw', `docker-archive:${image.archive}`)), image.configDigest);
    const inspected = JSON.parse(skopeo('inspect', `docker-archive:${image.archive}`)) as {
      Os: string;
      Architecture: string;
      Layers: string[];
      Labels: Record<string, string>;
    };
    assert.deepEqual([inspected.Os, inspected.Architecture], ['linux', 'amd64']);
    assert.deepEqual(inspected.Layers, diffIds());
    assert.equal(inspected.Labels['org.opencontainers.image.version'], VERSION);
  });

  test('copy to an OCI layout keeps the digest with --preserve-digests; without it skopeo converts to OCI media types and keeps the layer blobs', () => {
    const preserved = join(scratch, 'preserved');
    skopeo('copy', '--preserve-digests', `oci-archive:${image.archive}`, `oci:${preserved}:airlock`);
    const index = JSON.parse(readFileSync(join(preserved, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
    assert.deepEqual(
      index.manifests.map((descriptor) => [descriptor.mediaType, descriptor.digest, descriptor.annotations]),
      [['application/vnd.docker.distribution.manifest.v2+json', image.digest, { 'org.opencontainers.image.ref.name': 'airlock' }]],
    );
    assert.equal(sha256(readFileSync(join(preserved, blob(image.digest)))), image.digest);

    const converted = join(scratch, 'converted');
    skopeo('copy', `oci-archive:${image.archive}`, `oci:${converted}:airlock`);
    const [descriptor] = (JSON.parse(readFileSync(join(converted, 'index.json'), 'utf8')) as { manifests: Descriptor[] }).manifests as [
      Descriptor,
    ];
    const manifest = JSON.parse(readFileSync(join(converted, blob(descriptor.digest)), 'utf8')) as Manifest;
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.deepEqual(
      manifest.layers.map((layer) => [layer.mediaType, layer.digest]),
      image.layers.map((layer) => ['application/vnd.oci.image.layer.v1.tar+gzip', layer.digest]),
    );
  });

  test('copy docker-archive: (manifest.json) to dir: writes the config and the layers, every file matching its digest', () => {
    const dir = join(scratch, 'dir');
    skopeo('copy', `docker-archive:${image.archive}`, `dir:${dir}`);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    assert.equal(manifest.config.digest, image.configDigest);
    assert.deepEqual(
      manifest.layers.map((layer) => layer.digest),
      diffIds(),
    );
    for (const { digest } of [manifest.config, ...manifest.layers]) {
      assert.equal(sha256(readFileSync(join(dir, digest.replace(/^sha256:/, '')))), digest);
    }
  });

  test('copy oci-archive: to a registry (crane registry serve on loopback), as the README shows: the registry serves the image digest', async () => {
    const registry = await craneRegistry();
    try {
      const reference = `${registry.address}/${image.reference}`;
      skopeo('copy', '--dest-tls-verify=false', `oci-archive:${image.archive}`, `docker://${reference}`);
      const digest = spawnSync(crane, ['digest', '--insecure', reference], { encoding: 'utf8' });
      assert.equal(digest.status, 0, digest.stderr);
      assert.equal(digest.stdout.trim(), image.digest);
    } finally {
      await registry.stop();
    }
  });
});

/** `crane registry serve`: an in-memory registry on a free loopback port, gone when stopped. */
async function craneRegistry(): Promise<{ address: string; stop(): Promise<void> }> {
  const child = spawn(crane, ['registry', 'serve', '--address', '127.0.0.1:0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const port = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 15_000);
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const found = /serving on port (\d+)/.exec(stderr)?.[1];
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
  if (!port) {
    await stop();
    assert.fail(`crane registry serve did not start: ${stderr}`);
  }
  child.stderr.resume();
  return { address: `127.0.0.1:${port}`, stop };
}

describe('containerd imports the archive', {
  skip: Containerd.available() ? false : 'needs root to run containerd',
}, () => {
  let containerd: Containerd;
  before(
    async () => {
      containerd = await Containerd.start({ log });
    },
    { timeout: 60_000 },
  );
  after(() => containerd?.stop());

  const ctr = (...args: string[]) => {
    const result = containerd.ctr(args);
    assert.equal(
      result.status,
      0,
      `ctr ${args.join(' ')}: ${result.error?.message ?? result.stderr}\ncontainerd log:\n${containerd.logTail()}`,
    );
    return result.stdout;
  };
  const name = () => `docker.io/${image.reference}`;

  test('ctr images import names it airlock/airlock:<version> with the image digest and unpacks it on overlayfs (its layers check against the diff IDs)', () => {
    ctr('images', 'import', '--snapshotter', containerd.snapshotter, image.archive);
    const rows = ctr('images', 'ls')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(/\s+/));
    assert.deepEqual(
      rows.map(([ref, mediaType, digest]) => [ref, mediaType, digest]),
      [[name(), 'application/vnd.docker.distribution.manifest.v2+json', image.digest]],
    );
    assert.match(ctr('images', 'check'), new RegExp(`^${name().replaceAll('.', '\\.')}\\s.*\\scomplete \\(5/5\\)\\s.*\\strue\\s*$`, 'm'));
    // The snapshot of the whole image is keyed by the chain ID of the diff IDs: unpacking hashed
    // every uncompressed layer to the config's diff IDs.
    const chainId = diffIds().reduce((parent, diffId) => sha256(`${parent} ${diffId}`));
    const info = JSON.parse(ctr('snapshots', '--snapshotter', containerd.snapshotter, 'info', chainId)) as { Kind: string };
    assert.equal(info.Kind, 'Committed');
  });

  test('the unpacked image mounts (ctr images mount) with node, the operator and the nonroot user in it', () => {
    const root = containerd.mountImage(name());
    try {
      assert.ok(lstatSync(join(root, 'usr/local/bin/node')).isFile());
      assert.ok(existsSync(join(root, 'app/operator/src/main.ts')));
      assert.match(readFileSync(join(root, 'etc/passwd'), 'utf8'), /^nonroot:x:65532:65532:/m);
    } finally {
      containerd.unmountImage(root);
    }
    assert.deepEqual(containerd.mounts(), []);
  });
});

describe('the root filesystem', {
  skip: canRun ? false : 'needs root and mount namespaces (unshare --mount) to run programs in the image',
}, () => {
  let rootfs: ImageRootfs;
  before(
    async () => {
      rootfs = await imageRootfs(log, image);
    },
    { timeout: BUILD_TIMEOUT },
  );
  after(() => rootfs?.remove());

  /** Every path under `dir`, relative to the root, not following links. */
  function walk(dir: string, into: string[] = []): string[] {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      into.push(`/${relative(rootfs.root, path)}`);
      if (lstatSync(path).isDirectory()) walk(path, into);
    }
    return into;
  }

  test('holds what runs and nothing else: no shell, no package manager, no dev dependencies, tests, .bin or type declarations', () => {
    const paths = walk(rootfs.root);
    const files = paths.filter((path) => !lstatSync(join(rootfs.root, path)).isDirectory());
    const names = new Set(files.map((path) => path.slice(path.lastIndexOf('/') + 1)));
    for (const program of ['sh', 'bash', 'dash', 'busybox', 'apt', 'apt-get', 'dpkg', 'npm', 'pnpm', 'corepack']) {
      assert.ok(!names.has(program), `${program} is in the image`);
    }
    assert.deepEqual(readdirSync(join(rootfs.root, 'app')).sort(), [
      '.stripped-sources',
      'contracts',
      'crds',
      'node_modules',
      'operator',
      'package.json',
      'pnpm-lock.yaml',
      'pnpm-workspace.yaml',
      'runtime',
      'sidecar',
      'stripped-sources-hooks.mjs',
    ]);
    const store = readdirSync(join(rootfs.root, 'app/node_modules/.pnpm'));
    for (const dev of [
      'typescript@',
      '@biomejs+',
      'dependency-cruiser@',
      'fast-check@',
      'pg@',
      'pg-copy-streams@',
      '@types+pg@',
      'esbuild@',
    ]) {
      assert.deepEqual(
        store.filter((entry) => entry.startsWith(dev)),
        [],
        `a dev dependency (${dev}) is installed`,
      );
    }
    assert.ok(
      store.some((entry) => entry.startsWith('libpg-query@')),
      'libpg-query is missing',
    );
    const ours = paths.filter((path) => path.startsWith('/app/') && !path.includes('/node_modules/'));
    assert.deepEqual(
      ours.filter((path) => path.endsWith('.test.ts') || /\/testing(\/|$)/.test(path)),
      [],
    );
    assert.deepEqual(
      paths.filter((path) => /\/\.bin$/.test(path) || /\.(map|d\.[cm]?ts)$/.test(path)),
      [],
    );
    for (const path of paths.filter((p) => p.startsWith('/app/'))) {
      const full = join(rootfs.root, path);
      if (lstatSync(full).isSymbolicLink()) assert.ok(!readlinkSync(full).startsWith('/'), `${path} links to an absolute path`);
    }
  });

  test('the C runtime is at its Debian paths; users, name service files, /tmp and the home of nonroot are set up', () => {
    for (const lib of ['libc.so.6', 'libm.so.6', 'libdl.so.2', 'libpthread.so.0', 'libgcc_s.so.1', 'ld-linux-x86-64.so.2']) {
      assert.ok(existsSync(join(rootfs.root, 'lib/x86_64-linux-gnu', lib)), lib);
    }
    assert.ok(existsSync(join(rootfs.root, 'usr/lib/x86_64-linux-gnu/libstdc++.so.6')));
    assert.equal(readlinkSync(join(rootfs.root, 'lib64/ld-linux-x86-64.so.2')), '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    assert.match(readFileSync(join(rootfs.root, 'etc/passwd'), 'utf8'), /^nonroot:x:65532:65532:/m);
    assert.match(readFileSync(join(rootfs.root, 'etc/nsswitch.conf'), 'utf8'), /^hosts: files dns$/m);
    assert.equal(lstatSync(join(rootfs.root, 'tmp')).mode & 0o7777, 0o1777);
    const home = lstatSync(join(rootfs.root, 'home/nonroot'));
    assert.deepEqual([home.uid, home.gid], [NONROOT_ID, NONROOT_ID]);
    assert.equal(lstatSync(join(rootfs.root, 'usr/local/bin/node')).uid, 0);
    for (const doc of ['libc6', 'libgcc-s1', 'libstdc++6'])
      assert.ok(existsSync(join(rootfs.root, 'usr/share/doc', doc, 'copyright')), doc);
    assert.ok(existsSync(join(rootfs.root, 'usr/local/share/doc/node/LICENSE')));
  });

  test('node runs as nonroot on a read-only root: the pinned version, /tmp writable, / not', () => {
    const version = rootfs.run(['node', '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), `v${NODE_VERSION}`);
    const probe = rootfs.run([
      'node',
      '-e',
      `const fs = require('node:fs');
       fs.writeFileSync('/tmp/probe', 'x');
       let root = 'writable';
       try { fs.writeFileSync('/probe', 'x'); } catch (e) { root = e.code; }
       require('node:dns').lookup('localhost', { family: 4 }, (error, address) =>
         console.log(JSON.stringify({ uid: process.getuid(), user: require('node:os').userInfo().username, root, localhost: error ? error.code : address })));`,
    ]);
    assert.equal(probe.status, 0, probe.stderr);
    assert.deepEqual(JSON.parse(probe.stdout), { uid: NONROOT_ID, user: 'nonroot', root: 'EROFS', localhost: '127.0.0.1' });
  });

  test('a missing library fails: with libstdc++ hidden node does not start (nothing comes from the host)', () => {
    const hidden = rootfs.run(['node', '--version'], {
      mounts: [{ host: '/dev/null', at: '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30' }],
    });
    assert.notEqual(hidden.status, 0);
    assert.match(hidden.stderr, /libstdc\+\+\.so\.6/);
  });

  test('the operator: --version, --help (defaulting the sidecar image to this image), and a bad kubeconfig exits 2', () => {
    const version = rootfs.run(['node', '/app/operator/src/main.ts', '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `airlock-operator ${VERSION}\n`);
    const help = rootfs.run(['node', '/app/operator/src/main.ts', '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`--sidecar-image IMAGE .*\\(default ${image.reference.replaceAll('.', '\\.')},`));
    const kubeconfig = rootfs.run(['node', '/app/operator/src/main.ts', '--kubeconfig', '/no/such/kubeconfig']);
    assert.equal(kubeconfig.status, 2, kubeconfig.stderr);
    assert.match(kubeconfig.stderr, /^--kubeconfig: cannot load \/no\/such\/kubeconfig/);
  });

  test('the sidecar: --version, --help, and the injected command without its settings exits 2 with the settings error', () => {
    const version = rootfs.run(['node', '/app/sidecar/src/main.ts', '--version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout, `airlock-sidecar ${VERSION}\n`);
    const help = rootfs.run(['node', '/app/sidecar/src/main.ts', '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^usage: airlock-sidecar/);
    // The command the operator injects (operator/src/webhooks/sidecar-template.ts sidecarCommand, 256Mi limit).
    const injected = ['node', ...sidecarNodeFlags(256 * 2 ** 20), '/app/sidecar/src/main.ts', '--broker'];
    const broker = rootfs.run(injected);
    assert.equal(broker.status, 2, broker.stderr);
    assert.match(broker.stderr, /^invalid sidecar settings \(broker mode\):\n {2}- AIRLOCK_BROKER_URL is not set/);
  });

  test("the sources are type-stripped and listed, and the operator and the injected sidecar start without Node's type stripper", () => {
    const app = join(rootfs.root, 'app');
    const listed = readFileSync(join(app, '.stripped-sources'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.slice(line.indexOf('  ') + 2));
    const sources = walk(app)
      .filter((path) => path.endsWith('.ts') && !path.includes('/node_modules/'))
      .map((path) => path.slice('/app/'.length))
      .sort();
    assert.deepEqual(listed, sources);
    assert.ok(listed.includes('sidecar/src/main.ts') && listed.includes('operator/src/main.ts'));
    const check = spawnSync('sha256sum', ['--check', '--strict', '--quiet', '.stripped-sources'], { cwd: app, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    // The shipped main.ts is the repository's with its types blanked: same lines, JavaScript.
    const shipped = readFileSync(join(app, 'sidecar/src/main.ts'), 'utf8');
    const source = readFileSync(join(REPO_ROOT, 'sidecar/src/main.ts'), 'utf8');
    assert.notEqual(shipped, source);
    assert.equal(shipped.split('\n').length, source.split('\n').length);
    const scratch = mkdtempSync(join(tmpdir(), 'airlock-image-stripped-'));
    try {
      writeFileSync(join(scratch, 'main.mjs'), shipped);
      const syntax = spawnSync(process.execPath, ['--check', join(scratch, 'main.mjs')], { encoding: 'utf8' });
      assert.equal(syntax.status, 0, syntax.stderr);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }

    // With the image's environment only (NODE_OPTIONS included), the programs' own commands: at
    // exit a second preload prints whether Node loaded its type stripper (amaro).
    const probe = `data:text/javascript,process.on('exit', () => process.stderr.write('stripper ' + process.moduleLoadList.some((m) => /amaro/.test(m)) + ' ' + process.env.NODE_OPTIONS + '\\n'))`;
    const stripperLine = /^stripper (true|false) (.*)$/m;
    for (const command of [
      ['node', '--import', probe, '/app/operator/src/main.ts', '--version'],
      ['node', ...sidecarNodeFlags(256 * 2 ** 20), '--import', probe, '/app/sidecar/src/main.ts', '--broker'],
    ]) {
      const result = rootfs.run(command);
      assert.ok([0, 2].includes(result.status ?? -1), result.stderr);
      const [, loaded, options] = stripperLine.exec(result.stderr) ?? [];
      assert.deepEqual([loaded, options], ['false', '--import=/app/stripped-sources-hooks.mjs'], `${command.join(' ')}: ${result.stderr}`);
    }
  });

  test('the SQL classifier loads libpg-query (WebAssembly) and classifies', () => {
    const script = `const { SqlClassifier } = await import('/app/sidecar/src/protocols/postgres/sql/classifier.ts');
      const classifier = await SqlClassifier.create();
      console.log(JSON.stringify(['select 1', 'drop table t'].map((sql) => classifier.classify(sql).statements.map((s) => s.kinds))));`;
    const result = rootfs.run(['node', '--input-type=module', '-e', script]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout), [[['read']], [['ddl']]]);
  });
});

/**
 * A git repository in `into` holding the work tree as it is now (tracked files and untracked ones
 * .gitignore does not exclude) in one commit: what the image is built from, fixed, so edits made
 * to the work tree while the test runs change nothing.
 */
function snapshot(into: string): string {
  const git = (cwd: string, ...args: string[]) => {
    const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    assert.equal(result.status, 0, `git ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  for (const path of git(REPO_ROOT, 'ls-files', '-z', '--cached', '--others', '--exclude-standard').split('\0')) {
    if (path === '' || !existsSync(join(REPO_ROOT, path))) continue;
    mkdirSync(dirname(join(into, path)), { recursive: true });
    cpSync(join(REPO_ROOT, path), join(into, path), { verbatimSymlinks: true });
  }
  git(into, 'init', '--quiet');
  git(into, 'add', '--all');
  git(
    into,
    '-c',
    'user.name=airlock image test',
    '-c',
    'user.email=image-test@airlock.invalid',
    'commit',
    '--quiet',
    '--message',
    'snapshot',
  );
  return git(into, 'rev-parse', 'HEAD').trim();
}

// Two full builds, not a comparison of the app layer alone: warm, one takes well under a minute on
// two cores, and only the whole image (config and labels included) shows that the digest holds.
test('the same commit builds the same image: two builds of one snapshot have one digest', { timeout: BUILD_TIMEOUT }, async () => {
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-image-test-'));
  try {
    const commit = snapshot(join(scratch, 'sources'));
    const first = await buildImage({ output: join(scratch, 'first.tar'), repoRoot: join(scratch, 'sources'), log });
    const second = await buildImage({ output: join(scratch, 'second.tar'), repoRoot: join(scratch, 'sources'), log });
    assert.equal(first.revision, commit);
    assert.deepEqual(
      second.layers.map((layer) => layer.digest),
      first.layers.map((layer) => layer.digest),
    );
    assert.equal(second.digest, first.digest);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
