/**
 * The Kubernetes API as the protocol registry serves it (core/protocol.ts): for each kubernetes
 * Target a listener (kubernetes-listener.ts) that decides every request. That module and what it
 * needs (masking, evidence, exec recording) are loaded when the first kubernetes Target is served:
 * a sidecar without one never pays for them at start.
 */
import type { AgentKubernetesListener } from '@airlock/contracts/targets';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../../core/http/http-limits.ts';
import type { Protocol } from '../../core/protocol.ts';

/** What the Kubernetes protocol needs beyond the services every protocol shares; all optional. */
export interface KubernetesProtocolOptions {
  /** Over DEFAULT_HTTP_LIMITS. */
  readonly limits?: Partial<HttpLimits>;
  /** Largest non-watch answer read whole to be masked; default 64 MiB. */
  readonly maxMaskedBodyBytes?: number;
  /** How long the dry runs of a held request may take; default 5 s. */
  readonly evidenceTimeoutMs?: number;
}

export function kubernetesProtocol(options: KubernetesProtocolOptions = {}): Protocol {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const listening: AgentKubernetesListener[] = [];
  return {
    type: 'kubernetes',
    listen: async (request) => {
      const { listenKubernetes } = await import('./kubernetes-listener.ts');
      return listenKubernetes(request, limits, options, listening);
    },
  };
}
