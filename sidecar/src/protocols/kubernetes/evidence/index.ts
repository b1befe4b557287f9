/** What the Kubernetes protocol needs to attach dry-run evidence to a held request. */
export {
  collectEvidence,
  DEFAULT_EVIDENCE_TIMEOUT_MS,
  DEFAULT_MAX_OBJECTS,
  type EvidenceOptions,
  type EvidenceRequest,
} from './collect-evidence.ts';
export type { Evidence } from './evidence.ts';
export {
  type EvidenceMethod,
  type EvidenceUpstream,
  type EvidenceUpstreamRequest,
  type EvidenceUpstreamResponse,
  MAX_EVIDENCE_RESPONSE_BYTES,
} from './evidence-upstream.ts';
