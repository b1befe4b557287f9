/**
 * `node operator/src/remove-webhooks-main.ts [--kubeconfig FILE] [--timeout DURATION]`: deletes the
 * airlock Mutating- and ValidatingWebhookConfiguration. The chart runs it as a pre-delete hook, so
 * `helm uninstall` removes the webhooks before the operator and its Service: with
 * `failurePolicy: Fail`, a webhook left pointing at nobody would refuse every pod created in an
 * opted-in namespace. Idempotent (already gone is success); retries transient errors until the
 * timeout. Exit codes: 0 when both are gone, 2 for invalid flags, 1 when it could not delete them.
 */
import { parseArgs } from 'node:util';
import { WEBHOOK_CONFIGURATION_NAME } from '@airlock/contracts/install';
import { backoffDelay, DEFAULT_BACKOFF, pause } from '@airlock/runtime/backoff';
import { KubeConfig } from '@kubernetes/client-node';
import { isNotFound, KubeApiError, KubeClient, objectPath } from './kube/client.ts';
import { KINDS } from './kube/kinds.ts';

const USAGE = `usage: remove-webhooks [--kubeconfig FILE] [--timeout SECONDS]
  --kubeconfig FILE   kubeconfig (default: in-cluster, then $KUBECONFIG)
  --timeout SECONDS   give up after this long (default 60)
`;

const CONFIGURATIONS = [KINDS.mutatingWebhookConfiguration, KINDS.validatingWebhookConfiguration];

/** Deletes both configurations; resolves with what it did, rejects with the last error after the deadline. */
export async function removeWebhookConfigurations(
  client: KubeClient,
  options: { readonly name?: string; readonly deadline: number; readonly log?: (line: string) => void },
): Promise<string[]> {
  const name = options.name ?? WEBHOOK_CONFIGURATION_NAME;
  const done: string[] = [];
  for (const kind of CONFIGURATIONS) {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.request('DELETE', objectPath(kind, undefined, name));
        done.push(`deleted ${kind.plural}/${name}`);
        break;
      } catch (error) {
        if (isNotFound(error)) {
          done.push(`${kind.plural}/${name} was already gone`);
          break;
        }
        // Forbidden or invalid will not change by retrying; everything else (network, 5xx, 429) may.
        const permanent = error instanceof KubeApiError && [400, 401, 403, 422].includes(error.status);
        if (permanent || Date.now() + backoffDelay(DEFAULT_BACKOFF, attempt) > options.deadline) throw error;
        options.log?.(`deleting ${kind.plural}/${name} failed, retrying: ${(error as Error).message}`);
        await pause(backoffDelay(DEFAULT_BACKOFF, attempt));
      }
    }
  }
  return done;
}

async function main(): Promise<number> {
  let values: { kubeconfig?: string; timeout?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { kubeconfig: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const timeoutSeconds = Number(values.timeout ?? '60');
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds <= 0) {
    process.stderr.write(`--timeout: "${values.timeout}" is not a whole number of seconds\n\n${USAGE}`);
    return 2;
  }
  const kubeConfig = new KubeConfig();
  try {
    if (values.kubeconfig) kubeConfig.loadFromFile(values.kubeconfig);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    process.stderr.write(`--kubeconfig: cannot load ${values.kubeconfig ?? 'the default kubeconfig'}: ${(error as Error).message}\n`);
    return 2;
  }
  const client = new KubeClient(kubeConfig, { fieldManager: 'airlock-uninstall' });
  try {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    for (const line of await removeWebhookConfigurations(client, { deadline: Date.now() + timeoutSeconds * 1000, log })) {
      process.stdout.write(`${line}\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`could not remove the airlock webhook configurations: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

if (import.meta.main) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: Error) => {
      process.stderr.write(`remove-webhooks failed: ${error.stack ?? error.message}\n`);
      process.exitCode = 1;
    },
  );
}
