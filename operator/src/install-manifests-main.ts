/**
 * `node operator/src/install-manifests-main.ts [--namespace NS] [--service-account NAME] [--service NAME]`
 * (`make manifests`): prints, as one YAML stream in apply order, every object airlock needs in a
 * cluster besides the operator's Deployment and Service (contracts/src/install/install-manifest.ts):
 * CRDs, RBAC, the admission policy, the webhook configurations. The names must match the flags the
 * operator runs with (--namespace, --service).
 */
import { parseArgs } from 'node:util';
import { installManifest, OPERATOR_SERVICE } from '@airlock/contracts/install';
import { DEFAULT_OPERATOR_NAMESPACE, DEFAULT_OPERATOR_SERVICE_ACCOUNT } from '@airlock/crds';
import { stringify } from 'yaml';

const USAGE = `usage: install-manifests [--namespace NS] [--service-account NAME] [--service NAME]
  --namespace NS           the operator's namespace (default ${DEFAULT_OPERATOR_NAMESPACE})
  --service-account NAME   the operator's service account (default ${DEFAULT_OPERATOR_SERVICE_ACCOUNT})
  --service NAME           the operator's Service the webhooks call (default ${OPERATOR_SERVICE})`;

export function renderInstallManifests(argv: readonly string[]): string {
  const { values } = parseArgs({
    args: [...argv],
    options: { namespace: { type: 'string' }, 'service-account': { type: 'string' }, service: { type: 'string' } },
    strict: true,
  });
  const objects = installManifest({
    namespace: values.namespace ?? DEFAULT_OPERATOR_NAMESPACE,
    serviceAccount: values['service-account'] ?? DEFAULT_OPERATOR_SERVICE_ACCOUNT,
    service: { name: values.service ?? OPERATOR_SERVICE },
  });
  return objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n');
}

if (import.meta.main) {
  try {
    process.stdout.write(renderInstallManifests(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exitCode = 2;
  }
}
