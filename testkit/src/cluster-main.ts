/**
 * `make cluster`: starts a control plane with the airlock CRDs, prints how to reach it, and stops
 * everything on Ctrl-C.
 */
import { join } from 'node:path';
import { ControlPlane } from './control-plane.ts';
import { installCrds } from './crds.ts';
import { type AirlockInstallation, installAirlock } from './install.ts';
import { TEST_USERS, type TestUserName } from './users.ts';

const log = (line: string) => process.stderr.write(`[cluster] ${line}\n`);
const plane = await ControlPlane.start({ log });
let stopping = false;
const stop = async (reason: string, exitCode = 0) => {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping`);
  await plane.stop();
  log('stopped; nothing left behind');
  process.exit(exitCode);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));

let install: AirlockInstallation | undefined;
try {
  await installCrds(plane);
  install = await installAirlock(plane);
} catch (error) {
  log((error as Error).message);
  await stop('error', 1);
}

const users = (Object.keys(TEST_USERS) as TestUserName[])
  .filter((u) => u !== 'controllerManager')
  .map(
    (u) => `  ${TEST_USERS[u].name.padEnd(22)} groups ${TEST_USERS[u].groups.join(',').padEnd(30)} KUBECONFIG=${plane.kubeconfigPath(u)}`,
  )
  .join('\n');
process.stdout.write(`
airlock test cluster: Kubernetes ${plane.binaries.kubernetesVersion} at ${plane.server}
The airlock CRDs, RBAC and admission policy are installed. kubectl: ${plane.binaries.kubectl}

  export KUBECONFIG=${plane.kubeconfigPath('admin')}
  export PATH=${join(plane.binaries.kubectl, '..')}:$PATH
  kubectl get airlock -A

Users (static tokens):
${users}

The operator's service account, ${install?.operator.username}:
  KUBECONFIG=${install?.operator.kubeconfigPath}
Reviewers need the airlock-reviewer role, for example:
  kubectl create clusterrolebinding reviewers --clusterrole=airlock-reviewer --group=airlock-reviewers

Press Ctrl-C to stop; everything started is stopped and ${plane.dir} removed.
`);
