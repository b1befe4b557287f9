/**
 * The test node's images (issue 14; build/src/image/pause-image.ts, agent-image.ts and
 * coredns-image.ts), built for real from their pinned inputs: each archive is valid (crane
 * validate), configured as its upstream counterpart (pause: 65535, /pause; agent: 1000, bash;
 * CoreDNS: nonroot, /coredns), built again to the same digest, and its programs run from the
 * unpacked root filesystem as a container runtime would run them (ImageRootfs: the image's user
 * and environment, read-only root, tmpfs on /tmp, a minimal /dev): pause waits, reaps orphans as
 * PID 1 and exits 0 on SIGTERM; the agent's psql queries a real PostgreSQL, curl fetches from a
 * loopback server and verifies TLS against the image's CA bundle, ssh, bash, coreutils, openssl
 * and kubectl run; CoreDNS answers queries on loopback.
 *
 * The first run fetches the pinned .deb files and builds kubectl and CoreDNS if no earlier test
 * did; later runs reuse the cached images (cachedPauseImage, cachedAgentImage,
 * cachedCorednsImage) and build again only to compare digests.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AGENT_USER,
  buildAgentImage,
  buildCorednsImage,
  buildPauseImage,
  cachedAgentImage,
  cachedCorednsImage,
  cachedPauseImage,
  corednsVersion,
  craneBinary,
  type ImageBuild,
  kubernetesVersion,
  PAUSE_ID,
} from '@airlock/build';
import {
  createCertificateAuthority,
  eventually,
  freePort,
  type ImageRootfs,
  type ImageRunOptions,
  imageRootfs,
  issueServingCertificate,
  PostgresServer,
  REPO_ROOT,
  TEST_DATABASE,
} from '@airlock/testkit';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const BUILD_TIMEOUT = 15 * 60_000;
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const LOCK = JSON.parse(readFileSync(join(REPO_ROOT, 'build/src/image/agent-packages.lock.json'), 'utf8')) as {
  packages: { name: string; version: string }[];
};
const canRun = process.getuid?.() === 0 && spawnSync('unshare', ['--mount', 'true']).status === 0;
const NEEDS_ROOT = 'needs root and mount namespaces (unshare --mount) to run programs in the image';

let crane: string;
let pause: ImageBuild;
let agent: ImageBuild;
let coredns: ImageBuild;

before(
  async () => {
    crane = await craneBinary(log);
    pause = await cachedPauseImage(log);
    agent = await cachedAgentImage(log);
    coredns = await cachedCorednsImage(log);
    for (const image of [pause, agent, coredns]) {
      log(`${image.reference}@${image.digest}, ${(image.size / 1e6).toFixed(1)} MB compressed`);
      for (const layer of image.layers) log(`  ${layer.name}: ${(layer.size / 1e6).toFixed(1)} MB ${layer.holds}`);
    }
  },
  { timeout: BUILD_TIMEOUT },
);

interface ImageConfig {
  os: string;
  architecture: string;
  config: { User?: string; Env?: string[]; Entrypoint?: string[]; Cmd?: string[]; WorkingDir?: string; Labels?: Record<string, string> };
}

/** A file of an archive, by its path in the layout. */
function member(archive: string, path: string): Buffer {
  const result = spawnSync('tar', ['-xOf', archive, path], { maxBuffer: 256 * 1024 * 1024 });
  assert.equal(result.status, 0, `${path} is not in ${archive}: ${result.stderr}`);
  return result.stdout;
}
const blob = (digest: string) => `blobs/${digest.replace(':', '/')}`;
const json = <T>(archive: string, path: string): T => JSON.parse(member(archive, path).toString('utf8')) as T;

function configOf(image: ImageBuild): ImageConfig {
  const manifest = json<{ config: { digest: string } }>(image.archive, blob(image.digest));
  return json<ImageConfig>(image.archive, blob(manifest.config.digest));
}

/** The member names of a layer, as `tar -t` lists them. */
function layerMembers(image: ImageBuild, layer: number): string[] {
  const digest = image.layers[layer]?.digest ?? '';
  const result = spawnSync('tar', ['-tz'], { input: member(image.archive, blob(digest)), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.split('\n').filter(Boolean);
}

/** A file of a layer, by its member name. */
function layerFile(image: ImageBuild, layer: number, name: string): Buffer {
  const input = member(image.archive, blob(image.layers[layer]?.digest ?? ''));
  return spawnSync('tar', ['-xzO', name], { input, maxBuffer: 256 * 1024 * 1024 }).stdout;
}

/** An ELF program with no program header of type PT_INTERP (3): nothing to load it with but the kernel. */
function assertStatic(program: Buffer): void {
  assert.equal(program.subarray(0, 4).toString('latin1'), '\x7fELF');
  const [phoff, phentsize, phnum] = [Number(program.readBigUInt64LE(0x20)), program.readUInt16LE(0x36), program.readUInt16LE(0x38)];
  const types = Array.from({ length: phnum }, (_, n) => program.readUInt32LE(phoff + n * phentsize));
  assert.ok(types.length > 0 && !types.includes(3), `program header types ${types.join(', ')}`);
}

function craneValidates(image: ImageBuild): void {
  const result = spawnSync(crane, ['validate', '--tarball', image.archive], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^PASS/);
}

/** `times` fresh builds into a temp dir have the cached image's digest and layers. */
async function buildsTheSame(image: ImageBuild, build: (output: string) => Promise<ImageBuild>, times: number): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'airlock-image-test-'));
  try {
    for (let n = 0; n < times; n++) {
      const again = await build(join(scratch, `build-${n}.tar`));
      assert.deepEqual(
        again.layers.map((layer) => layer.digest),
        image.layers.map((layer) => layer.digest),
      );
      assert.equal(again.digest, image.digest);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Finished {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Process groups of programs started in an image, killed when the file's tests end. */
const started = new Set<number>();
after(() => {
  for (const group of started) killGroup(group);
});

/** Kills a started program's whole process group: killing unshare alone leaves the program (its change of user cleared unshare's parent-death signal). */
function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/**
 * Starts `args` in the image without blocking the event loop (the test's servers must answer
 * meanwhile), in a process group of its own, killed whole at the timeout and after the tests.
 */
function start(
  rootfs: ImageRootfs,
  args: readonly string[],
  options: ImageRunOptions = {},
): { child: ChildProcess; finished: Promise<Finished> } {
  const { command, args: argv } = rootfs.commandLine(args, options);
  const child = spawn(command, argv, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const group = child.pid ?? 0;
  started.add(group);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => killGroup(group), options.timeoutMs ?? 60_000);
  const finished = new Promise<Finished>((resolve) =>
    child.once('close', (status, signal) => {
      clearTimeout(timer);
      started.delete(group);
      resolve({ status, signal, stdout, stderr });
    }),
  );
  return { child, finished };
}

const runAsync = (rootfs: ImageRootfs, args: readonly string[], options: ImageRunOptions = {}) => start(rootfs, args, options).finished;

/** The child processes of `pid` (host PIDs). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** rt_sigtimedwait on x86-64: the first field of /proc/PID/syscall while a process waits in sigwaitinfo(). */
const RT_SIGTIMEDWAIT = 128;

/**
 * The PID of `name`, the program `unshare` runs in the image, once it waits for signals. (Not its
 * blocked mask: the kernel clears the waited signals from SigBlk while it sleeps in sigwaitinfo.)
 */
async function waitingPid(unshare: ChildProcess, name: string): Promise<number> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    for (const pid of childrenOf(unshare.pid ?? 0)) {
      try {
        const named = /^Name:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] === name;
        if (named && readFileSync(`/proc/${pid}/syscall`, 'utf8').startsWith(`${RT_SIGTIMEDWAIT} `)) return pid;
      } catch {
        // Exited, or still exec'ing.
      }
    }
    await sleep(20);
  }
  assert.fail(`${name} did not start waiting for signals within 10 s`);
}

describe('the pause image', () => {
  test('crane validates the archive; one layer holding /pause alone, a static program', () => {
    craneValidates(pause);
    assert.deepEqual(
      pause.layers.map((layer) => layer.name),
      ['pause'],
    );
    assert.deepEqual(layerMembers(pause, 0), ['pause']);
    assertStatic(layerFile(pause, 0, 'pause'));
  });

  test('its config runs /pause as 65535:65535 on linux/amd64, as the Kubernetes pause image does, named airlock/pause:<version>', () => {
    assert.equal(pause.reference, `airlock/pause:${VERSION}`);
    const config = configOf(pause);
    assert.equal(config.os, 'linux');
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.config.User, `${PAUSE_ID}:${PAUSE_ID}`);
    assert.deepEqual(config.config.Entrypoint, ['/pause']);
    assert.equal(config.config.Cmd, undefined);
    assert.equal(config.config.Labels?.['org.opencontainers.image.title'], 'airlock-pause');
    assert.equal(config.config.Labels?.['org.opencontainers.image.version'], VERSION);
    const index = json<{ manifests: { annotations: Record<string, string> }[] }>(pause.archive, 'index.json');
    assert.equal(index.manifests[0]?.annotations['io.containerd.image.name'], `docker.io/airlock/pause:${VERSION}`);
  });

  test('two more builds have the same digest', { timeout: BUILD_TIMEOUT }, async () => {
    await buildsTheSame(pause, (output) => buildPauseImage({ output, log }), 2);
  });

  describe('running', { skip: canRun ? false : NEEDS_ROOT }, () => {
    let rootfs: ImageRootfs;
    before(async () => {
      rootfs = await imageRootfs(log, pause);
    });
    after(() => rootfs?.remove());

    test('-v prints its version, as 65535 with nothing else in the image', () => {
      assert.deepEqual([rootfs.config.uid, rootfs.config.gid], [PAUSE_ID, PAUSE_ID]);
      assert.deepEqual(readdirSync(rootfs.root), ['pause']);
      const result = rootfs.run(['/pause', '-v']);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, `pause ${VERSION} (airlock)\n`);
    });

    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      test(`it waits until ${signal}, then exits 0`, async () => {
        const { child, finished } = start(rootfs, ['/pause']);
        const pid = await waitingPid(child, 'pause');
        await sleep(200);
        assert.equal(child.exitCode, null, 'pause exited by itself');
        assert.equal(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Uid:\s*(\d+)/m)?.[1], String(PAUSE_ID));
        process.kill(pid, signal);
        const result = await finished;
        assert.deepEqual([result.status, result.signal], [0, null], result.stderr);
        assert.match(result.stderr, new RegExp(`^pause: ${signal === 'SIGTERM' ? 'Terminated' : 'Interrupt'}, exiting$`, 'm'));
      });
    }

    test('as PID 1 of its PID namespace it reaps the orphans it inherits, and still exits 0 on SIGTERM', async () => {
      const { child, finished } = start(rootfs, ['/pause'], { pidNamespace: true });
      const pid = await waitingPid(child, 'pause');
      assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^NSpid:\s*\d+\s+1$/m, 'pause is not PID 1 of its namespace');
      // A shell in pause's PID namespace starts `sleep` and exits: the orphan becomes pause's child.
      // (Its output goes to /dev/null: spawnSync's pipes must not outlive the shell.)
      const orphanage = spawnSync(
        'nsenter',
        ['--target', String(pid), '--pid', '--', 'sh', '-c', 'sleep 60 </dev/null >/dev/null 2>&1 & exit 0'],
        {
          encoding: 'utf8',
        },
      );
      assert.equal(orphanage.status, 0, orphanage.stderr);
      const [orphan, ...others] = childrenOf(pid);
      assert.ok(orphan && others.length === 0, `pause has children ${childrenOf(pid).join(', ')}`);
      assert.match(readFileSync(`/proc/${orphan}/status`, 'utf8'), /^Name:\s*sleep$/m);
      // When it dies, pause reaps it: no zombie is left.
      process.kill(orphan, 'SIGKILL');
      for (let waited = 0; childrenOf(pid).length > 0 && waited < 5000; waited += 50) await sleep(50);
      assert.deepEqual(childrenOf(pid), [], 'the orphan was not reaped');
      process.kill(pid, 'SIGTERM');
      const result = await finished;
      assert.deepEqual([result.status, result.signal], [0, null], result.stderr);
      assert.doesNotMatch(result.stderr, /not PID 1/);
    });
  });
});

describe('the agent image', () => {
  test('crane validates the archive; two layers, the Debian packages and kubectl', () => {
    craneValidates(agent);
    assert.deepEqual(
      agent.layers.map((layer) => layer.name),
      ['debian', 'kubectl'],
    );
    assert.deepEqual(layerMembers(agent, 1), ['usr/', 'usr/local/', 'usr/local/bin/', 'usr/local/bin/kubectl']);
  });

  test('its config runs bash as agent (1000) in its home, with PATH, HOME and a UTF-8 locale, named airlock/agent:<version>', () => {
    assert.equal(agent.reference, `airlock/agent:${VERSION}`);
    const config = configOf(agent);
    assert.equal(config.os, 'linux');
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.config.User, '1000:1000');
    assert.equal(config.config.WorkingDir, '/home/agent');
    assert.deepEqual(config.config.Env, [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'HOME=/home/agent',
      'LANG=C.UTF-8',
    ]);
    assert.equal(config.config.Entrypoint, undefined);
    assert.deepEqual(config.config.Cmd, ['/bin/bash']);
    assert.equal(config.config.Labels?.['org.opencontainers.image.title'], 'airlock-agent');
  });

  test('a second build has the same digest', { timeout: BUILD_TIMEOUT }, async () => {
    await buildsTheSame(agent, (output) => buildAgentImage({ output, log }), 1);
  });

  describe('its files', { skip: canRun ? false : NEEDS_ROOT }, () => {
    let rootfs: ImageRootfs;
    before(async () => {
      rootfs = await imageRootfs(log, agent);
    });
    after(() => rootfs?.remove());

    /** Every path under the root, relative to it, not following links. */
    function walk(dir = rootfs.root, into: string[] = []): string[] {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        into.push(relative(rootfs.root, path));
        if (lstatSync(path).isDirectory()) walk(path, into);
      }
      return into;
    }

    test('the packages are exactly the locked ones, at the locked versions (their control fields in /var/lib/dpkg/status.d)', () => {
      const status = join(rootfs.root, 'var/lib/dpkg/status.d');
      const installed = readdirSync(status)
        .sort()
        .map((name) => ({ name, version: /^Version: (.*)$/m.exec(readFileSync(join(status, name), 'utf8'))?.[1] }));
      assert.deepEqual(
        installed,
        LOCK.packages.map(({ name, version }) => ({ name, version })),
      );
      log(`packages: ${LOCK.packages.map((p) => `${p.name} ${p.version}`).join(', ')}`);
    });

    test('merged /usr; no package manager, no set-ID program, no manuals, no documentation but copyright files', () => {
      for (const dir of ['bin', 'sbin', 'lib', 'lib64']) assert.equal(lstatSync(join(rootfs.root, dir)).isSymbolicLink(), true, dir);
      const paths = walk();
      const programs = new Set(readdirSync(join(rootfs.root, 'usr/bin')).concat(readdirSync(join(rootfs.root, 'usr/sbin'))));
      for (const program of ['dpkg', 'apt', 'apt-get', 'debconf', 'adduser', 'useradd', 'passwd', 'su', 'sudo']) {
        assert.ok(!programs.has(program), `${program} is in the image`);
      }
      const setId = paths.filter((path) => {
        const stat = lstatSync(join(rootfs.root, path));
        return stat.isFile() && (stat.mode & 0o6000) !== 0;
      });
      assert.deepEqual(setId, []);
      assert.deepEqual(
        paths.filter((path) => /^usr\/share\/(man|info|locale)(\/|$)/.test(path)),
        [],
      );
      const docs = paths.filter((path) => /^usr\/share\/doc\/[^/]+\/./.test(path));
      assert.deepEqual(
        docs.filter((path) => !path.endsWith('/copyright')),
        [],
      );
      assert.ok(docs.length >= 60, `${docs.length} copyright files`);
    });

    test('users, home, /tmp, /etc set up as the maintainer scripts would have: CA bundle, shells, alternatives, nsswitch, hosts', () => {
      const etc = (path: string) => readFileSync(join(rootfs.root, 'etc', path), 'utf8');
      assert.match(etc('passwd'), /^agent:x:1000:1000:agent:\/home\/agent:\/bin\/bash$/m);
      assert.match(etc('group'), /^agent:x:1000:$/m);
      const home = lstatSync(join(rootfs.root, 'home/agent'));
      assert.deepEqual([home.uid, home.gid], [AGENT_USER.id, AGENT_USER.id]);
      assert.equal(lstatSync(join(rootfs.root, 'tmp')).mode & 0o7777, 0o1777);
      assert.equal(lstatSync(join(rootfs.root, 'root')).mode & 0o7777, 0o700);
      const shipped = readdirSync(join(rootfs.root, 'usr/share/ca-certificates/mozilla')).filter((name) => name.endsWith('.crt'));
      const bundle = etc('ssl/certs/ca-certificates.crt');
      assert.equal(bundle.match(/-----BEGIN CERTIFICATE-----/g)?.length, shipped.length);
      assert.ok(shipped.length > 100, `${shipped.length} certificates`);
      assert.match(etc('shells'), /^\/usr\/bin\/bash$/m);
      assert.match(etc('nsswitch.conf'), /^hosts:\s+files dns$/m);
      assert.match(etc('hosts'), /^127\.0\.0\.1\s+localhost$/m);
    });
  });

  describe('its programs run as agent on a read-only root', { skip: canRun ? false : NEEDS_ROOT }, () => {
    let rootfs: ImageRootfs;
    let postgres: PostgresServer;
    before(
      async () => {
        [rootfs, postgres] = await Promise.all([imageRootfs(log, agent), PostgresServer.start({ log })]);
      },
      { timeout: 120_000 },
    );
    after(async () => {
      rootfs?.remove();
      await postgres?.stop();
    });

    const ok = (args: string[], options: ImageRunOptions = {}) => {
      const result = rootfs.run(args, options);
      assert.equal(result.status, 0, `${args.join(' ')}: ${result.error?.message ?? result.stderr}`);
      return result.stdout;
    };

    test('bash and coreutils: as agent with its home, / read-only, /tmp writable, sleep, sh is dash', () => {
      assert.equal(ok(['bash', '-c', 'echo ok']), 'ok\n');
      const probe = ok([
        'bash',
        '-c',
        'id -un; echo "$HOME"; touch / 2>/dev/null && echo writable || echo read-only; echo x > /tmp/x && cat /tmp/x; sleep 0.1 && echo slept; readlink -f /bin/sh',
      ]);
      assert.equal(probe, 'agent\n/home/agent\nread-only\nx\nslept\n/usr/bin/dash\n');
      assert.equal(ok(['sh', '-c', 'echo "$0" | tr a-z A-Z | sed s/SH/shell/ | grep -c shell']), '1\n');
      assert.equal(ok(['awk', 'BEGIN { print 6 * 7 }']), '42\n');
    });

    test('psql --version, and psql -c "select 1" on a real PostgreSQL over loopback (SCRAM)', () => {
      assert.match(ok(['psql', '--version']), /^psql \(PostgreSQL\) 15\.\d+ \(Debian /);
      const { user, password } = postgres.users.scram_user;
      const select = ok(['psql', '-h', postgres.host, '-p', String(postgres.port), '-U', user, '-d', TEST_DATABASE, '-Atc', 'select 1'], {
        env: { PGPASSWORD: password },
      });
      assert.equal(select, '1\n');
    });

    test('ssh -V; ssh -G knows the user from /etc/passwd; scp is there', () => {
      const version = rootfs.run(['ssh', '-V']);
      assert.equal(version.status, 0, version.stderr);
      assert.match(version.stderr, /^OpenSSH_9\.\d+p\d+ Debian/);
      assert.match(ok(['ssh', '-G', 'db.example']), /^user agent$/m);
      assert.equal(ok(['bash', '-c', 'command -v scp']), '/usr/bin/scp\n');
    });

    test('curl --version, and curl fetches from an HTTP server on loopback', async () => {
      assert.match(ok(['curl', '--version']), /^curl 7\.\d+\.\d+ .* OpenSSL\/3\./);
      const server = createHttpServer((request, response) => response.end(`hello ${request.headers['user-agent']}`));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = server.address() as AddressInfo;
        const result = await runAsync(rootfs, ['curl', '-sS', `http://127.0.0.1:${port}/`]);
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /^hello curl\/7\./);
      } finally {
        server.close();
      }
    });

    test('curl verifies TLS with the CA bundle: a server signed by another CA is refused, then accepted with that CA', async () => {
      const ca = await createCertificateAuthority('agent-image-test-ca');
      const serving = await issueServingCertificate(ca, '127.0.0.1', { ips: ['127.0.0.1'] });
      const server = createHttpsServer({ key: serving.keyPem, cert: serving.certPem }, (_, response) => response.end('tls ok'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const scratch = mkdtempSync(join(tmpdir(), 'airlock-agent-ca-'));
      // agent (1000) reads it.
      chmodSync(scratch, 0o755);
      try {
        const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        // 60: the peer's certificate is not trusted. (77 would mean curl found no CA bundle.)
        const refused = await runAsync(rootfs, ['curl', '-sS', url]);
        assert.equal(refused.status, 60, refused.stderr);
        writeFileSync(join(scratch, 'ca.crt'), ca.certPem);
        const accepted = await runAsync(rootfs, ['curl', '-sS', '--cacert', '/tmp/ca/ca.crt', url], {
          mounts: [{ host: scratch, at: '/tmp/ca' }],
        });
        assert.equal(accepted.status, 0, accepted.stderr);
        assert.equal(accepted.stdout, 'tls ok');
      } finally {
        server.close();
        rmSync(scratch, { recursive: true, force: true });
      }
    });

    test('kubectl version --client is the repository Kubernetes; openssl runs', () => {
      assert.match(
        ok(['kubectl', 'version', '--client']),
        new RegExp(`^Client Version: ${kubernetesVersion().replaceAll('.', '\\.')}$`, 'm'),
      );
      assert.match(ok(['openssl', 'version']), /^OpenSSL 3\./);
    });
  });
});

describe('the CoreDNS image', () => {
  const release = corednsVersion().replace(/^v/, '');

  test('crane validates the archive; one layer holding /coredns alone, a static program', () => {
    craneValidates(coredns);
    assert.deepEqual(
      coredns.layers.map((layer) => layer.name),
      ['coredns'],
    );
    assert.deepEqual(layerMembers(coredns, 0), ['coredns']);
    assertStatic(layerFile(coredns, 0, 'coredns'));
  });

  test('its config runs /coredns as nonroot (65532) on linux/amd64, named airlock/coredns:<CoreDNS release>', () => {
    assert.equal(coredns.reference, `airlock/coredns:${release}`);
    const config = configOf(coredns);
    assert.equal(config.os, 'linux');
    assert.equal(config.architecture, 'amd64');
    assert.equal(config.config.User, '65532:65532');
    assert.deepEqual(config.config.Entrypoint, ['/coredns']);
    assert.equal(config.config.Cmd, undefined);
    assert.equal(config.config.Labels?.['org.opencontainers.image.title'], 'airlock-coredns');
    assert.equal(config.config.Labels?.['org.opencontainers.image.version'], release);
  });

  test('a second build has the same digest', { timeout: BUILD_TIMEOUT }, async () => {
    await buildsTheSame(coredns, (output) => buildCorednsImage({ output, log }), 1);
  });

  describe('running', { skip: canRun ? false : NEEDS_ROOT }, () => {
    let rootfs: ImageRootfs;
    before(async () => {
      rootfs = await imageRootfs(log, coredns);
    });
    after(() => rootfs?.remove());

    test('-version prints the pinned release, as 65532 with nothing else in the image', () => {
      assert.deepEqual([rootfs.config.uid, rootfs.config.gid], [65532, 65532]);
      assert.deepEqual(readdirSync(rootfs.root), ['coredns']);
      const result = rootfs.run(['/coredns', '-version']);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout.split('\n')[0], `CoreDNS-${release}`);
    });

    test('it serves a Corefile from a mounted folder, on a port above 1024, on a read-only root', async () => {
      const scratch = mkdtempSync(join(tmpdir(), 'airlock-coredns-conf-'));
      chmodSync(scratch, 0o755);
      const port = await freePort();
      writeFileSync(
        join(scratch, 'Corefile'),
        `.:${port} {\n    bind 127.0.0.1\n    template IN A test.local {\n        answer "{{ .Name }} 60 IN A 192.0.2.53"\n    }\n}\n`,
      );
      const { child, finished } = start(rootfs, ['/coredns', '-conf', '/etc/coredns/Corefile'], {
        mounts: [{ host: scratch, at: '/etc/coredns' }],
      });
      try {
        const resolver = new Resolver({ timeout: 500, tries: 1 });
        resolver.setServers([`127.0.0.1:${port}`]);
        const answer = await eventually('CoreDNS to answer', () => resolver.resolve4('anything.test.local'), {
          timeoutMs: 20_000,
          detail: () => `coredns exit ${child.exitCode}`,
        });
        assert.deepEqual(answer, ['192.0.2.53']);
      } finally {
        killGroup(child.pid ?? 0);
        await finished;
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  });
});
