/**
 * Reconciles Targets: Ready when the credentials Secret exists with the keys the type needs (and
 * not two keys of which the type logs in with one).
 * The operator may only `get` Secrets (no list/watch: it must not cache every Secret in the
 * cluster), so a Target that is not Ready is looked at again on a timer, and a Ready one less often.
 */
import type { Target, TargetStatus } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import type { ReconcileFunction } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { splitObjectKey } from '../kube/object-key.ts';
import { readSecret } from '../kube/secrets.ts';
import { planReadyStatus, writeStatusReport } from '../kube/status-report.ts';
import { endpointText, type SecretKeys, targetReadiness } from './target-status.ts';

export interface TargetReconcilerDeps {
  readonly client: KubeClient;
  readonly targets: Informer<Target>;
  readonly events: EventRecorder;
  readonly recheck?: { readonly notReadyMs: number; readonly readyMs: number };
  readonly clock?: () => Date;
}

export function targetReconciler(deps: TargetReconcilerDeps): ReconcileFunction {
  const clock = deps.clock ?? (() => new Date());
  const recheck = deps.recheck ?? { notReadyMs: 30_000, readyMs: 300_000 };
  return async (key) => {
    const { namespace = '', name } = splitObjectKey(key);
    const target = deps.targets.get(namespace, name);
    if (!target) return;
    const ref = target.spec.credentialsSecretRef;
    const caRef = target.spec.postgres?.tls?.caSecretRef ?? target.spec.http?.tls?.caSecretRef ?? target.spec.kubernetes?.tls?.caSecretRef;
    const credentials = ref ? await keysOf(deps.client, namespace, ref.name) : undefined;
    const ca = caRef ? await keysOf(deps.client, namespace, caRef.name) : undefined;
    const readiness = targetReadiness(target, credentials, ca);
    // Every not-Ready reason is about the Secrets a Target needs: one Warning reason for all of them.
    const report = planReadyStatus<TargetStatus>(target, { endpoint: endpointText(target) }, readiness, clock(), 'CredentialsMissing');
    await writeStatusReport(deps, KINDS.target, target, report);
    return { requeueAfterMs: readiness.ready ? recheck.readyMs : recheck.notReadyMs };
  };
}

/** Key names only: readiness never needs the values. A key with an empty value is left out: the broker treats it as missing. */
async function keysOf(client: KubeClient, namespace: string, name: string): Promise<SecretKeys> {
  const data = await readSecret(client, namespace, name);
  return data === undefined ? { found: false } : { found: true, keys: Object.keys(data).filter((key) => data[key] !== '') };
}
