/** Reconciles AgentIdentities: which Targets each resolves to, and whether all of them are Ready. */
import type { AgentIdentity, AgentIdentityStatus, Target } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import type { ReconcileFunction } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { splitObjectKey } from '../kube/object-key.ts';
import { planReadyStatus, writeStatusReport } from '../kube/status-report.ts';
import { resolveIdentityTargets } from './identity-status.ts';

export interface IdentityReconcilerDeps {
  readonly client: KubeClient;
  readonly identities: Informer<AgentIdentity>;
  readonly targets: Informer<Target>;
  readonly events: EventRecorder;
  readonly clock?: () => Date;
}

export function identityReconciler(deps: IdentityReconcilerDeps): ReconcileFunction {
  const clock = deps.clock ?? (() => new Date());
  return async (key) => {
    const { namespace = '', name } = splitObjectKey(key);
    const identity = deps.identities.get(namespace, name);
    if (!identity) return;
    const resolution = resolveIdentityTargets(identity, deps.targets.list(namespace));
    // The Warning's reason is the condition's (TargetsMissing, PortClash, ...).
    const report = planReadyStatus<AgentIdentityStatus>(identity, { targets: resolution.targets }, resolution, clock());
    await writeStatusReport(deps, KINDS.agentIdentity, identity, report);
  };
}

/** Identities to look at again when a Target changes: those in its namespace that name it. */
export function identitiesUsing(identities: Informer<AgentIdentity>, target: Target): string[] {
  const namespace = target.metadata.namespace ?? '';
  return identities
    .list(namespace)
    .filter((identity) => identity.spec.targets.includes(target.metadata.name ?? ''))
    .map((identity) => `${namespace}/${identity.metadata.name}`);
}
