/**
 * How the evidence builder talks to the API server: one JSON request with the sidecar's
 * credential. The Kubernetes protocol adapts its upstream client to this, so the evidence code
 * needs no TLS, credential or connection handling of its own.
 */

export type EvidenceMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface EvidenceUpstreamRequest {
  readonly method: EvidenceMethod;
  /** Path and query, percent-encoded as on a request line. */
  readonly path: string;
  readonly body?: Buffer;
  readonly contentType?: string;
  /**
   * The Accept header; absent means `application/json`. Dependents are listed as
   * `PartialObjectMetadataList` (metadata only: small, and never a Secret's data).
   */
  readonly accept?: string;
  readonly signal: AbortSignal;
}

export interface EvidenceUpstreamResponse {
  readonly status: number;
  readonly body: Buffer;
  readonly contentType: string | undefined;
}

export interface EvidenceUpstream {
  /**
   * Sends one request and reads the whole answer. An adapter should stop reading an answer
   * larger than MAX_EVIDENCE_RESPONSE_BYTES and reject: the evidence refuses such answers anyway.
   */
  request(input: EvidenceUpstreamRequest): Promise<EvidenceUpstreamResponse>;
}

/** Answers larger than this are not read: evidence is a preview, and a reviewer reads none of that size. */
export const MAX_EVIDENCE_RESPONSE_BYTES = 8 * 1024 * 1024;
