/**
 * One agent connection to a Kubernetes listener: the protocol-neutral session context (recorder,
 * metrics, the gate; core/session) plus what the Kubernetes requests on it share. Unlike a
 * PostgreSQL or SSH session, which decides with the policies it opened with, an HTTP connection
 * is kept alive across many unrelated requests (kubectl, controllers with client-go keep theirs
 * for hours), so each request is decided with the policies of the config current at that moment:
 * a tightened policy applies to the next request, not the next connection.
 */
import type { KubernetesFacts } from '@airlock/contracts/policy';
import { compileKubernetesMatch } from '@airlock/contracts/policy';
import { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { AgentPrincipal, ConfigSource } from '../../../core/ports.ts';
import {
  compileForSession,
  createSessionContexts,
  type SessionContext,
  type SessionContextDeps,
  type SessionPolicy,
} from '../../../core/session/session-context.ts';
import { KubernetesRecording } from './kubernetes-recording.ts';

export interface KubernetesSession {
  readonly context: SessionContext<KubernetesFacts>;
  readonly recording: KubernetesRecording;
  /** Approvals with scope session: they cover this agent connection only. */
  readonly sessionGrants: ApprovalGrants;
  /** The policies and masking rules of the config current now. */
  policy(): SessionPolicy<KubernetesFacts>;
}

export type KubernetesSessionFactoryDeps = Omit<SessionContextDeps<KubernetesFacts>, 'protocol' | 'compileMatch'>;

export type KubernetesSessionFactory = (input: {
  readonly sessionId: string;
  readonly principal: AgentPrincipal;
  readonly clientAddress: string;
}) => KubernetesSession;

export function createKubernetesSessionFactory(deps: KubernetesSessionFactoryDeps): KubernetesSessionFactory {
  const contexts = createSessionContexts<KubernetesFacts>({ ...deps, protocol: 'kubernetes', compileMatch: compileKubernetesMatch });
  const current = currentPolicy(deps.config, deps.target);
  return (input) => {
    const context = contexts(input);
    const recording = new KubernetesRecording({ record: context.record, metrics: context.metrics, targetNamespace: deps.target.namespace });
    return {
      context,
      recording,
      sessionGrants: new ApprovalGrants(context.clock),
      policy: () => current(context.principal),
    };
  };
}

/** Compiles once per (config, principal): a principal's connections share it until the config changes. */
function currentPolicy(
  config: ConfigSource,
  target: SessionContextDeps<KubernetesFacts>['target'],
): (principal: AgentPrincipal) => SessionPolicy<KubernetesFacts> {
  const cache = new WeakMap<AgentPrincipal, SessionPolicy<KubernetesFacts>>();
  return (principal) => {
    const now = config.current();
    let policy = cache.get(principal);
    if (policy?.config !== now) {
      policy = compileForSession(now, principal, target, compileKubernetesMatch);
      cache.set(principal, policy);
    }
    return policy;
  };
}
