/** AgentIdentity status as a pure function of the identity and the Targets in its namespace. */
import type { AgentIdentity, ResolvedTarget, Target } from '@airlock/crds';

export interface IdentityResolution {
  readonly targets: ResolvedTarget[];
  readonly ready: boolean;
  readonly reason: 'TargetsReady' | 'TargetsMissing' | 'TargetsNotReady' | 'PortClash';
  readonly message: string;
}

const isReady = (target: Target): boolean => target.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

export function resolveIdentityTargets(identity: AgentIdentity, targets: readonly Target[]): IdentityResolution {
  const byName = new Map(targets.map((t) => [t.metadata.name ?? '', t] as const));
  const resolved: ResolvedTarget[] = identity.spec.targets.map((name) => {
    const target = byName.get(name);
    return target ? { name, type: target.spec.type, localPort: target.spec.localPort, ready: isReady(target) } : { name, ready: false };
  });
  const missing = resolved.filter((t) => t.type === undefined).map((t) => t.name);
  if (missing.length > 0) {
    return {
      targets: resolved,
      ready: false,
      reason: 'TargetsMissing',
      message: `Target ${missing.join(', ')} not found in this namespace`,
    };
  }
  const ports = new Map<number, string>();
  for (const t of resolved) {
    const other = ports.get(t.localPort!);
    if (other) {
      return {
        targets: resolved,
        ready: false,
        reason: 'PortClash',
        message: `Targets ${other} and ${t.name} both use localPort ${t.localPort}: one pod cannot reach both; change one port`,
      };
    }
    ports.set(t.localPort!, t.name);
  }
  const notReady = resolved.filter((t) => !t.ready).map((t) => t.name);
  if (notReady.length > 0) {
    return { targets: resolved, ready: false, reason: 'TargetsNotReady', message: `Target ${notReady.join(', ')} is not Ready` };
  }
  return { targets: resolved, ready: true, reason: 'TargetsReady', message: `Resolves to ${resolved.map((t) => t.name).join(', ')}.` };
}
