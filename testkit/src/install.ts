/**
 * Installs what airlock needs in a cluster besides the CRDs — the operator's namespace and
 * ServiceAccount, RBAC, the admission parameters, policy and binding — as an admin would with
 * Helm, waits until the API server enforces them, and returns a kubeconfig for the operator's
 * service account, so the operator runs with exactly the rights it has in a real cluster.
 * Call installCrds first.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installObjects, REVIEWER_ROLE } from '@airlock/contracts/install';
import { APPROVAL_REVIEWS_POLICY, DEFAULT_OPERATOR_NAMESPACE, DEFAULT_OPERATOR_SERVICE_ACCOUNT, GROUP, VERSION } from '@airlock/crds';
import { stringify } from 'yaml';
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';
import { waitUntilReady } from './readiness.ts';
import { type ServiceAccountKubeconfig, serviceAccountKubeconfig } from './service-account-kubeconfig.ts';

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
  const manifest = join(plane.dir, `airlock-install-${namespace}.yaml`);
  writeFileSync(
    manifest,
    installObjects({ namespace, serviceAccount })
      .map((o) => stringify(o))
      .join('---\n'),
  );
  // --force-conflicts: the binding from crds/manifests names airlock-system; this install may move it.
  const applied = await plane.kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=airlock-e2e', '-f', manifest]);
  if (applied.code !== 0)
    throw new HarnessError('InstallFailed', `kubectl apply of the airlock install objects failed:\n${applied.stderr}`);
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
