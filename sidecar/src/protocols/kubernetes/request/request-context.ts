/**
 * What the request handlers of one Kubernetes listener share: the upstream, discovery, the HTTP
 * limits, and how evidence is collected. Built once per listener (kubernetes-protocol.ts).
 */
import type { Logger } from 'pino';
import type { HttpLimits } from '../../../core/http/http-limits.ts';
import type { ResourceScopes } from '../discovery/resource-scopes.ts';
import type { KubernetesUpstream } from '../upstream/kubernetes-upstream.ts';

export interface KubernetesListenerServices {
  readonly upstream: KubernetesUpstream;
  readonly scopes: ResourceScopes;
  readonly limits: HttpLimits;
  readonly logger: Logger;
  readonly clock: () => number;
  /** Largest answer the sidecar reads whole to mask it (a watch is masked event by event instead). */
  readonly maxMaskedBodyBytes: number;
  /** How long the dry runs of a held request's evidence may take in all. */
  readonly evidenceTimeoutMs: number;
}
