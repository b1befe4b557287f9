/**
 * The broker API between a sidecar and the operator: HTTPS + JSON, one source for both ends.
 *
 * Every request carries `Authorization: Bearer <projected service-account token>` (audience
 * `airlock`, bound to the sidecar's pod). The broker checks it with a TokenReview, finds the pod
 * and its AgentIdentity, and answers only for that pod: its config, its targets' credentials,
 * its own approval requests. Nothing the sidecar says about who it is is believed.
 *
 * Streams are NDJSON (`application/x-ndjson`): one JSON object per line, a heartbeat line every
 * HEARTBEAT_SECONDS so both ends notice a dead connection. A sidecar re-opens a stream that ends;
 * the first line of a re-opened stream is always the current state, so nothing is lost between.
 */
import type { ApprovalDraft, ApprovalOutcome, SidecarConfig } from '../ports.ts';
import type { StoredRecord } from '../recording/hash-chain.ts';

export const BROKER_API = '/v1';
export const HEARTBEAT_SECONDS = 15;
/** The audience the projected token is minted for; the broker's TokenReview asks for it. */
export const BROKER_AUDIENCE = 'airlock';

export const BROKER_PATHS = {
  /** GET: stream of ConfigStreamLine; the first line is the current config. */
  config: `${BROKER_API}/config`,
  /** POST CredentialsRequest → CredentialsResponse. */
  credentials: `${BROKER_API}/credentials`,
  /** POST CreateApprovalRequest → CreateApprovalResponse (201, or 200 when the key was seen). */
  approvals: `${BROKER_API}/approvals`,
  /** GET: stream of OutcomeStreamLine for one request of this pod; ends after the outcome. */
  outcome: (name: string) => `${BROKER_API}/approvals/${encodeURIComponent(name)}/outcome`,
  /** POST WithdrawRequest → 204. */
  withdraw: (name: string) => `${BROKER_API}/approvals/${encodeURIComponent(name)}/withdraw`,
  /** POST ExecutionReport → 204. */
  execution: (name: string) => `${BROKER_API}/approvals/${encodeURIComponent(name)}/execution`,
  /** POST RecordingBatch → RecordingAck. Idempotent per (session, seq). */
  recordings: (sessionId: string) => `${BROKER_API}/recordings/${encodeURIComponent(sessionId)}`,
  /** POST → 204: the session ended. */
  recordingClose: (sessionId: string) => `${BROKER_API}/recordings/${encodeURIComponent(sessionId)}/close`,
} as const;

export type ConfigStreamLine = { readonly type: 'config'; readonly config: SidecarConfig } | { readonly type: 'heartbeat' };

export interface CredentialsRequest {
  readonly target: string;
}

/** By target type; only postgres is served today. */
export type CredentialsResponse = {
  readonly type: 'postgres';
  readonly username: string;
  readonly password: string;
  readonly caBundle?: string;
};

export interface CreateApprovalRequest {
  /** Chosen by the sidecar per held command; a retry with the same key returns the same request. */
  readonly idempotencyKey: string;
  readonly draft: ApprovalDraft;
}

export interface CreateApprovalResponse {
  readonly name: string;
  readonly namespace: string;
}

export type OutcomeStreamLine =
  | { readonly type: 'pending'; readonly approvals: string }
  | { readonly type: 'outcome'; readonly outcome: ApprovalOutcome }
  | { readonly type: 'heartbeat' };

export interface WithdrawRequest {
  readonly reason: string;
}

export interface ExecutionReport {
  readonly ok: boolean;
  readonly result: string;
}

export interface RecordingBatch {
  readonly records: readonly StoredRecord[];
}

export interface RecordingAck {
  /** Highest seq the broker holds for the session after this batch. */
  readonly storedThrough: number;
}

/** Every error body. `code` is stable; `message` says what to do. */
export interface BrokerErrorBody {
  readonly code: BrokerErrorCode;
  readonly message: string;
}

export type BrokerErrorCode =
  | 'Unauthenticated' // 401: no token, invalid, expired, wrong audience, or its pod is gone
  | 'NoIdentity' // 403: the pod matches no AgentIdentity (or more than one)
  | 'Forbidden' // 403: the target or request is not this pod's
  | 'NotFound' // 404
  | 'CredentialsUnavailable' // 503: the Target's Secret is missing or lacks keys
  | 'Invalid' // 400: body does not match the protocol
  | 'Unavailable'; // 503: the API server or store cannot answer now; retry
