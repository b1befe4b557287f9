/**
 * Registers the airlock admission webhooks with a control plane, pointing at an operator that
 * runs on this machine (a URL, not a Service: there is no cluster network). The caBundle is left
 * for the operator's certificate manager to fill in, as it does in a cluster.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '@airlock/contracts/install';
import { stringify } from 'yaml';
import type { ControlPlane } from './control-plane.ts';
import { HarnessError } from './errors.ts';

export async function installWebhooks(plane: ControlPlane, options: { url: string; operatorNamespace: string }): Promise<void> {
  const endpoint = { url: options.url };
  const file = join(plane.dir, 'airlock-webhooks.yaml');
  writeFileSync(
    file,
    [
      mutatingWebhookConfiguration({ endpoint, operatorNamespace: options.operatorNamespace }),
      validatingWebhookConfiguration({ endpoint, operatorNamespace: options.operatorNamespace }),
    ]
      .map((object) => stringify(object))
      .join('---\n'),
  );
  const applied = await plane.kubectl(['apply', '--server-side', '--field-manager=airlock-install', '-f', file]);
  if (applied.code !== 0)
    throw new HarnessError('WebhookInstallFailed', `kubectl apply of the webhook configurations failed:\n${applied.stderr}`);
}

/** A token for `serviceAccount` bound to a pod, with the audience the broker checks: what the kubelet would mount. */
export async function podBoundToken(
  plane: ControlPlane,
  pod: { namespace: string; name: string; uid: string; serviceAccount: string },
  options: { audience?: string; duration?: string } = {},
): Promise<string> {
  const created = await plane.kubectl([
    'create',
    'token',
    pod.serviceAccount,
    '-n',
    pod.namespace,
    `--audience=${options.audience ?? 'airlock'}`,
    '--bound-object-kind=Pod',
    `--bound-object-name=${pod.name}`,
    `--bound-object-uid=${pod.uid}`,
    `--duration=${options.duration ?? '1h'}`,
  ]);
  if (created.code !== 0) throw new HarnessError('TokenRequestFailed', `kubectl create token failed:\n${created.stderr}`);
  return created.stdout.trim();
}
