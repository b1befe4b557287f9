/**
 * Installs airlock the way an admin does, with the chart (charts/airlock: the one source of the
 * install objects), rendered by the real `helm template` and applied: the operator's service
 * account and RBAC, the admission parameters, policy and binding, its Deployment, Services and
 * volume. Waits until the API server enforces RBAC and the admission policy, and returns a
 * kubeconfig for the operator's service account, so the operator runs with exactly the rights it
 * has in a cluster. Call installCrds first. Two things differ from `helm install`, because the test
 * cluster has no node and no cluster network: the webhook configurations are left out (a test
 * that runs the operator registers its own, pointing at it on loopback: installWebhooks), and
 * nothing runs the Deployment (tests start the operator themselves). The chart's own path,
 * `helm install` on the test node with the operator pods from the image, is
 * e2e/tests/node-install.test.ts.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubernetesVersion } from '@airlock/build';
import { REVIEWER_ROLE } from '@airlock/contracts/install';
import { APPROVAL_REVIEWS_POLICY, DEFAULT_OPERATOR_NAMESPACE, DEFAULT_OPERATOR_SERVICE_ACCOUNT, GROUP, VERSION } from '@airlock/crds';
import { parseAllDocuments, stringify } from 'yaml';
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';
import { CHART_DIR, runHelm } from './helm.ts';
import { waitUntilReady } from './readiness.ts';
import { type ServiceAccountKubeconfig, serviceAccountKubeconfig } from './service-account-kubeconfig.ts';

/** Registered by the test that runs the operator (installWebhooks), at a URL on loopback. */
const LEFT_OUT = new Set(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']);

export interface InstallAirlockOptions {
  /** Default airlock-system. */
  namespace?: string;
  /** Default airlock-operator. */
  serviceAccount?: string;
  /** Lifetime of the operator's token; default 24h, longer than any test. */
  tokenDuration?: string;
}

export interface AirlockInstallation {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The operator, authenticated as its service account. */
  readonly operator: ServiceAccountKubeconfig;
}

const ENFORCED_TIMEOUT_MS = 60_000;

export async function installAirlock(plane: ControlPlane, options: InstallAirlockOptions = {}): Promise<AirlockInstallation> {
  const namespace = options.namespace ?? DEFAULT_OPERATOR_NAMESPACE;
  const serviceAccount = options.serviceAccount ?? DEFAULT_OPERATOR_SERVICE_ACCOUNT;
  const rendered = await runHelm(
    [
      'template',
      'airlock',
      CHART_DIR,
      '--namespace',
      namespace,
      '--no-hooks',
      '--kube-version',
      kubernetesVersion(),
      '--set',
      `operator.serviceAccount.name=${serviceAccount}`,
    ],
    { home: join(plane.dir, 'helm') },
  );
  if (rendered.code !== 0) throw new HarnessError('InstallFailed', `helm template of charts/airlock failed:\n${rendered.stderr}`);
  const objects = parseAllDocuments(rendered.stdout)
    .map((document) => document.toJS() as { kind?: string } | null)
    .filter((object): object is { kind: string } => object?.kind !== undefined && !LEFT_OUT.has(object.kind));
  const manifest = join(plane.dir, `airlock-install-${namespace}.yaml`);
  writeFileSync(manifest, objects.map((object) => stringify(object)).join('---\n'));
  // helm install --create-namespace does this; the chart does not own its namespace.
  const namespaced = await plane.kubectl(['create', 'namespace', namespace]);
  if (namespaced.code !== 0 && !namespaced.stderr.includes('AlreadyExists'))
    throw new HarnessError('InstallFailed', `creating namespace ${namespace} failed:\n${namespaced.stderr}`);
  // --force-conflicts: the binding from crds/manifests names airlock-system; this install may move it.
  const applied = await plane.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=airlock-e2e', '-f', manifest]);
  if (applied.code !== 0) throw new HarnessError('InstallFailed', `kubectl apply of the chart's objects failed:\n${applied.stderr}`);
  const operator = await serviceAccountKubeconfig(plane, namespace, serviceAccount, { duration: options.tokenDuration ?? '24h' });
  await waitUntilEnforced(plane, namespace, operator);
  return { namespace, serviceAccount, operator };
}

/**
 * RBAC and admission policies reach the API server's authorizer and admission chain through
 * informers, a moment after the objects are stored. Waits until that happened, so a test never
 * runs in the gap: the reviewer role is aggregated, an admin may not create an ApprovalRequest
 * (the policy is live), and the operator may (its parameters and RBAC are live). Dry runs only.
 */
async function waitUntilEnforced(plane: ControlPlane, namespace: string, operator: ServiceAccountKubeconfig): Promise<void> {
  const probe = join(plane.dir, `airlock-admission-probe-${namespace}.yaml`);
  writeFileSync(probe, stringify(probeRequest(namespace)));
  const dryRun = ['create', '--dry-run=server', '-o', 'name', '-f', probe];
  let last = 'not checked yet';
  await waitUntilReady('the airlock RBAC and admission policy', {
    exited: new Promise(() => {}),
    timeoutMs: ENFORCED_TIMEOUT_MS,
    intervalMs: 200,
    logTail: () => last,
    ready: async () => {
      const reviewer = await plane.kubectl(['get', 'clusterrole', REVIEWER_ROLE, '-o', 'jsonpath={.rules[*].resources}']);
      if (!reviewer.stdout.includes('approvalrequests')) {
        last = `ClusterRole ${REVIEWER_ROLE} has no rules yet (is clusterrole-aggregation-controller running?) ${reviewer.stderr}`;
        return false;
      }
      const asAdmin = await plane.kubectl(dryRun);
      if (asAdmin.code === 0 || !asAdmin.stderr.includes(APPROVAL_REVIEWS_POLICY)) {
        last = `an admin could still create an ApprovalRequest: ${asAdmin.stdout}${asAdmin.stderr}`;
        return false;
      }
      const asOperator = await plane.kubectl(dryRun, { kubeconfigPath: operator.kubeconfigPath });
      last = `the operator could not create an ApprovalRequest: ${asOperator.stderr}`;
      return asOperator.code === 0;
    },
  });
}

function probeRequest(namespace: string): Record<string, unknown> {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ApprovalRequest',
    metadata: { name: 'airlock-admission-probe', namespace },
    spec: {
      requester: { identity: 'probe', serviceAccount: 'system:serviceaccount:probe:probe', pod: { name: 'probe', uid: 'probe' } },
      target: { name: 'probe', type: 'postgres' },
      operation: { text: 'SELECT 1', summary: 'SELECT 1', digest: `sha256:${'0'.repeat(64)}`, sessionID: 'probe' },
      policy: { name: 'probe' },
      requiredApprovals: 1,
      approvers: { groups: ['probe'] },
      scope: 'once',
      expiresAt: '2099-01-01T00:00:00Z',
    },
  };
}
