/** Reconciles AgentIdentities: which Targets each resolves to, and whether all of them are Ready. */
import type { AgentIdentity, AgentIdentityStatus, Target } from '@airlock/crds';
import type { KubeClient } from '../kube/client.ts';
import { findCondition, setCondition } from '../kube/conditions.ts';
import type { ReconcileFunction } from '../kube/controller.ts';
import type { EventRecorder } from '../kube/events.ts';
import type { Informer } from '../kube/informer.ts';
import { KINDS } from '../kube/kinds.ts';
import { splitObjectKey } from '../kube/object-key.ts';
import { writeStatusIfChanged } from '../kube/status-writer.ts';
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
    const generation = identity.metadata.generation ?? 1;
    const before = findCondition(identity.status?.conditions, 'Ready');
    const status: AgentIdentityStatus = {
      ...identity.status,
      observedGeneration: generation,
      targets: resolution.targets,
      conditions: setCondition(
        identity.status?.conditions,
        { type: 'Ready', status: resolution.ready ? 'True' : 'False', reason: resolution.reason, message: resolution.message },
        generation,
        clock(),
      ),
    };
    const written = await writeStatusIfChanged(deps.client, KINDS.agentIdentity, identity, status);
    if (written === 'written' && !resolution.ready && before?.reason !== resolution.reason) {
      deps.events.record(identity, 'Warning', resolution.reason, resolution.message);
    }
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
