/**
 * Finds the control-plane binaries: from KUBEBUILDER_ASSETS when set (the envtest convention),
 * otherwise built once from Go modules with the machine's Go and cached outside the repository;
 * helm likewise, from AIRLOCK_HELM when set. The versions come from the wrapper modules in
 * testkit/toolchain, the one place they are pinned.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.ts';
import { isAlive } from './process-alive.ts';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  /** The Kubernetes version the binaries report, for example v1.35.4. */
  kubernetesVersion: string;
}

export type Log = (line: string) => void;

const TOOLCHAIN = join(import.meta.dirname, '..', 'toolchain');
const KUBERNETES_MODULE = join(TOOLCHAIN, 'kubernetes');
const ETCD_MODULE = join(TOOLCHAIN, 'etcd');
const HELM_MODULE = join(TOOLCHAIN, 'helm');

function requiredVersion(moduleDir: string, module: string): string {
  const gomod = readFileSync(join(moduleDir, 'go.mod'), 'utf8');
  const match = new RegExp(`^require ${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(gomod);
  if (!match?.[1]) throw new HarnessError('ToolchainModuleBroken', `${moduleDir}/go.mod does not require ${module}`);
  return match[1];
}

/** The pinned Kubernetes release, for example v1.35.4. */
export const kubernetesVersion = (): string => requiredVersion(KUBERNETES_MODULE, 'k8s.io/kubernetes');
/** The pinned etcd release. */
export const etcdVersion = (): string => requiredVersion(ETCD_MODULE, 'go.etcd.io/etcd/server/v3');

/** The pinned helm release, for example v3.22.0. */
export const helmVersion = (): string => requiredVersion(HELM_MODULE, 'helm.sh/helm/v3');

export function cacheRoot(): string {
  return process.env.AIRLOCK_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'airlock');
}

export async function controlPlaneBinaries(log: Log = () => {}): Promise<ControlPlaneBinaries> {
  const assets = process.env.KUBEBUILDER_ASSETS;
  if (assets) return fromAssets(assets, log);
  const k8s = await kubernetesBinaries(['kube-apiserver', 'kube-controller-manager', 'kubectl'], log);
  const etcd = await etcdBinary(log);
  return {
    etcd,
    kubeApiserver: k8s['kube-apiserver'],
    kubeControllerManager: k8s['kube-controller-manager'],
    kubectl: k8s.kubectl,
    kubernetesVersion: kubernetesVersion(),
  };
}

async function fromAssets(assets: string, log: Log): Promise<ControlPlaneBinaries> {
  const at = (name: string) => join(assets, name);
  for (const name of ['etcd', 'kube-apiserver', 'kubectl']) {
    if (!existsSync(at(name))) {
      throw new HarnessError(
        'AssetsIncomplete',
        `KUBEBUILDER_ASSETS=${assets} has no ${name}; point it at a directory with etcd, kube-apiserver and kubectl, or unset it to build them with Go`,
      );
    }
  }
  const version = /v\d+\.\d+\.\d+\S*/.exec(spawnSync(at('kube-apiserver'), ['--version'], { encoding: 'utf8' }).stdout)?.[0];
  if (!version) throw new HarnessError('AssetsBroken', `${at('kube-apiserver')} --version printed no version`);
  // envtest assets have no controller manager; build one unless it is there.
  const kcm = existsSync(at('kube-controller-manager'))
    ? at('kube-controller-manager')
    : (await kubernetesBinaries(['kube-controller-manager'], log))['kube-controller-manager'];
  return {
    etcd: at('etcd'),
    kubeApiserver: at('kube-apiserver'),
    kubeControllerManager: kcm,
    kubectl: at('kubectl'),
    kubernetesVersion: version,
  };
}

async function kubernetesBinaries<N extends string>(names: N[], log: Log): Promise<Record<N, string>> {
  const version = kubernetesVersion();
  const dir = join(cacheRoot(), `k8s-${version}`);
  const paths = Object.fromEntries(names.map((n) => [n, join(dir, n)])) as Record<N, string>;
  const [major, minor] = version.replace(/^v/, '').split('.');
  const stamp = 'k8s.io/component-base/version';
  const ldflags = [
    '-s -w',
    `-X ${stamp}.gitVersion=${version}`,
    `-X ${stamp}.gitMajor=${major}`,
    `-X ${stamp}.gitMinor=${minor}`,
    `-X ${stamp}.gitTreeState=clean`,
    `-X ${stamp}.buildDate=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
  ].join(' ');
  await buildOnce(
    dir,
    names,
    `Kubernetes ${version} (${names.join(', ')})`,
    log,
    (out) => ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', `${out}/`, ...names.map((n) => `k8s.io/kubernetes/cmd/${n}`)],
    KUBERNETES_MODULE,
  );
  return paths;
}

async function etcdBinary(log: Log): Promise<string> {
  const version = etcdVersion();
  const dir = join(cacheRoot(), `etcd-${version}`);
  await buildOnce(
    dir,
    ['etcd'],
    `etcd ${version}`,
    log,
    (out) => ['build', '-v', '-trimpath', '-ldflags', '-s -w', '-o', join(out, 'etcd'), '.'],
    ETCD_MODULE,
  );
  return join(dir, 'etcd');
}

const NO_GO_FOR_HELM =
  'cannot get helm: Go is not installed and AIRLOCK_HELM is not set. Install Go, or set AIRLOCK_HELM to a helm binary you already have.';

/** helm: AIRLOCK_HELM when set (a helm you already have), otherwise built once from Go modules and cached. */
export async function helmBinary(log: Log = () => {}): Promise<string> {
  const given = process.env.AIRLOCK_HELM;
  if (given) {
    if (!existsSync(given)) {
      throw new HarnessError(
        'HelmMissing',
        `AIRLOCK_HELM=${given} does not exist; point it at a helm binary, or unset it to build helm with Go`,
      );
    }
    return given;
  }
  const version = helmVersion();
  const dir = join(cacheRoot(), `helm-${version}`);
  const stamp = 'helm.sh/helm/v3/internal/version';
  const ldflags = `-s -w -X ${stamp}.version=${version} -X ${stamp}.gitTreeState=clean`;
  await buildOnce(
    dir,
    ['helm'],
    `helm ${version}`,
    log,
    (out) => ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', join(out, 'helm'), 'helm.sh/helm/v3/cmd/helm'],
    HELM_MODULE,
    NO_GO_FOR_HELM,
  );
  return join(dir, 'helm');
}

/**
 * Builds into a temp dir and renames into the cache, under a lock, so parallel test processes
 * build once and never see half-written binaries.
 */
async function buildOnce(
  dir: string,
  names: string[],
  what: string,
  log: Log,
  args: (out: string) => string[],
  cwd: string,
  noGo?: string,
): Promise<void> {
  const present = () => names.every((n) => existsSync(join(dir, n)));
  if (present()) return;
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  await acquireLock(lock, present, what, log);
  try {
    if (present()) return;
    const go = goVersion(noGo);
    const out = mkdtempSync(join(dir, '.build-'));
    try {
      await runGoBuild(args(out), cwd, `${what} with ${go}`, log);
      for (const n of names) renameSync(join(out, n), join(dir, n));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function acquireLock(lock: string, present: () => boolean, what: string, log: Log): Promise<void> {
  let waited = 0;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return;
    } catch {
      const owner = Number(readFileSafe(join(lock, 'pid')));
      if (owner && !isAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (present()) return;
      if (waited % 30_000 === 0) log(`waiting for another process (pid ${owner || '?'}) to finish building ${what}`);
      await sleep(1000);
      waited += 1000;
    }
  }
}

const NO_GO_FOR_CONTROL_PLANE =
  'cannot get the control-plane binaries: Go is not installed and KUBEBUILDER_ASSETS is not set. Install Go, or set KUBEBUILDER_ASSETS to a directory with etcd, kube-apiserver, kube-controller-manager and kubectl.';

/** `go version`, or a clear error (what to install or point at instead) when there is no Go. */
function goVersion(noGo = NO_GO_FOR_CONTROL_PLANE): string {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error || go.status !== 0) throw new HarnessError('NoGoToolchain', noGo);
  return go.stdout.trim();
}

function runGoBuild(args: string[], cwd: string, what: string, log: Log): Promise<void> {
  const started = Date.now();
  log(`building ${what} (first run only; cached in ${cacheRoot()})`);
  return new Promise((resolve, reject) => {
    const child = spawn('go', args, {
      cwd,
      // Never switch toolchains (that would download one); modules come from the configured proxy.
      env: { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=readonly -buildvcs=false' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let packages = 0;
    let tail = '';
    const timer = setInterval(
      () => log(`building ${what}: ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)}s`),
      15_000,
    );
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      packages += chunk.split('\n').filter((l) => l && !l.startsWith('go: ') && !l.startsWith('#')).length;
      tail = (tail + chunk).slice(-4000);
    });
    child.on('error', (error) => {
      clearInterval(timer);
      reject(new HarnessError('GoBuildFailed', `could not run go build for ${what}`, { cause: error }));
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      if (code === 0) {
        log(`built ${what} in ${Math.round((Date.now() - started) / 1000)}s`);
        resolve();
      } else {
        reject(new HarnessError('GoBuildFailed', `go build for ${what} failed (exit ${code}):\n${tail}`));
      }
    });
  });
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
