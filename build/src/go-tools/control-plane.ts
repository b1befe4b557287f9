/**
 * The control-plane binaries the tests run: from KUBEBUILDER_ASSETS when set (the envtest
 * convention), otherwise built once from the wrapper modules build/go-tools/{kubernetes,etcd} with
 * the machine's Go and cached outside the repository. The node binaries (kubelet, kube-proxy,
 * kube-scheduler) come from the same module, built only when a test runs a node.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../cache-root.ts';
import { BuildError } from '../errors.ts';
import type { Log } from '../log.ts';
import { buildGoTool, GO_TOOLS } from './go-build.ts';
import { requiredVersion } from './module-version.ts';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  /** The Kubernetes version the binaries report, for example v1.35.4. */
  kubernetesVersion: string;
}

/** What a test node runs besides containerd and runc (Debian packages): the same release as the control plane. */
export interface NodeBinaries {
  kubelet: string;
  kubeProxy: string;
  kubeScheduler: string;
}

const KUBERNETES_MODULE = join(GO_TOOLS, 'kubernetes');
const ETCD_MODULE = join(GO_TOOLS, 'etcd');

/** The pinned Kubernetes release, for example v1.35.4. */
export const kubernetesVersion = (): string => requiredVersion(KUBERNETES_MODULE, 'k8s.io/kubernetes');
/** The pinned etcd release. */
export const etcdVersion = (): string => requiredVersion(ETCD_MODULE, 'go.etcd.io/etcd/server/v3');

const NO_GO =
  'cannot get the control-plane binaries: Go is not installed and KUBEBUILDER_ASSETS is not set. Install Go, or set KUBEBUILDER_ASSETS to a directory with etcd, kube-apiserver, kube-controller-manager and kubectl.';

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

/** kubelet, kube-proxy and kube-scheduler, built once (envtest assets have none of them). */
export async function nodeBinaries(log: Log = () => {}): Promise<NodeBinaries> {
  const k8s = await kubernetesBinaries(['kubelet', 'kube-proxy', 'kube-scheduler'], log);
  return { kubelet: k8s.kubelet, kubeProxy: k8s['kube-proxy'], kubeScheduler: k8s['kube-scheduler'] };
}

async function fromAssets(assets: string, log: Log): Promise<ControlPlaneBinaries> {
  const at = (name: string) => join(assets, name);
  for (const name of ['etcd', 'kube-apiserver', 'kubectl']) {
    if (!existsSync(at(name))) {
      throw new BuildError(
        'AssetsIncomplete',
        `KUBEBUILDER_ASSETS=${assets} has no ${name}; point it at a directory with etcd, kube-apiserver and kubectl, or unset it to build them with Go`,
      );
    }
  }
  const version = /v\d+\.\d+\.\d+\S*/.exec(spawnSync(at('kube-apiserver'), ['--version'], { encoding: 'utf8' }).stdout)?.[0];
  if (!version) throw new BuildError('AssetsBroken', `${at('kube-apiserver')} --version printed no version`);
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
  const [major, minor] = version.replace(/^v/, '').split('.');
  const stamp = 'k8s.io/component-base/version';
  const ldflags = [
    '-s -w',
    `-X ${stamp}.gitVersion=${version}`,
    `-X ${stamp}.gitMajor=${major}`,
    `-X ${stamp}.gitMinor=${minor}`,
    `-X ${stamp}.gitTreeState=clean`,
    // A fixed date: the same module version builds the same bytes (the agent image carries kubectl).
    `-X ${stamp}.buildDate=1970-01-01T00:00:00Z`,
  ].join(' ');
  await buildGoTool(
    {
      module: KUBERNETES_MODULE,
      names,
      dir,
      what: `Kubernetes ${version} (${names.join(', ')})`,
      args: (out) => ['build', '-v', '-trimpath', '-ldflags', ldflags, '-o', `${out}/`, ...names.map((n) => `k8s.io/kubernetes/cmd/${n}`)],
      noGo: NO_GO,
    },
    log,
  );
  return Object.fromEntries(names.map((n) => [n, join(dir, n)])) as Record<N, string>;
}

async function etcdBinary(log: Log): Promise<string> {
  const version = etcdVersion();
  const dir = join(cacheRoot(), `etcd-${version}`);
  await buildGoTool(
    {
      module: ETCD_MODULE,
      names: ['etcd'],
      dir,
      what: `etcd ${version}`,
      args: (out) => ['build', '-v', '-trimpath', '-ldflags', '-s -w', '-o', join(out, 'etcd'), '.'],
      noGo: NO_GO,
    },
    log,
  );
  return join(dir, 'etcd');
}
