/**
 * A kubeconfig that authenticates as a service account, with a token from the TokenRequest API
 * (`kubectl create token`), so a test or a process acts exactly as that account would in a pod.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';
import { kubeconfigYaml } from './kubeconfig.ts';

export interface ServiceAccountKubeconfig {
  /** The API server username: system:serviceaccount:<namespace>:<name>. */
  readonly username: string;
  readonly kubeconfig: string;
  /** A file under the control plane's directory; stop() removes it. */
  readonly kubeconfigPath: string;
  kubeConfig(): KubeConfig;
}

export async function serviceAccountKubeconfig(
  plane: ControlPlane,
  namespace: string,
  name: string,
  options: { duration?: string } = {},
): Promise<ServiceAccountKubeconfig> {
  const created = await plane.kubectl(['create', 'token', name, '-n', namespace, `--duration=${options.duration ?? '24h'}`]);
  if (created.code !== 0) {
    throw new HarnessError(
      'TokenRequestFailed',
      `could not get a token for service account ${namespace}/${name}; does it exist?\n${created.stderr}`,
    );
  }
  const username = `system:serviceaccount:${namespace}:${name}`;
  const kubeconfig = kubeconfigYaml({ server: plane.server, caPem: plane.caPem, user: username, token: created.stdout.trim() });
  const kubeconfigPath = join(plane.dir, `kubeconfig-sa-${namespace}-${name}.yaml`);
  writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });
  return {
    username,
    kubeconfig,
    kubeconfigPath,
    kubeConfig() {
      const kc = new KubeConfig();
      kc.loadFromString(kubeconfig);
      return kc;
    },
  };
}
