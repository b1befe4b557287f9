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

import type { AgentPrincipal, ApprovalDraft, ApprovalOutcome, SidecarConfig } from '../broker/served-config.ts';
import type { StoredRecord } from '../recording/hash-chain.ts';
import type { TargetCredentials } from '../targets/credentials.ts';

export const BROKER_API = '/v1';
export const HEARTBEAT_SECONDS = 15;
/** The audience the projected token is minted for; the broker's TokenReview asks for it. */
export const BROKER_AUDIENCE = 'airlock';
/** The broker ends a stream after this long; the sidecar re-opens it and re-authenticates with its current token. */
export const STREAM_MAX_SECONDS = 600;
/** Largest request body the broker reads for recordings (413 TooLarge beyond); the sidecar splits batches below it. */
export const MAX_RECORDING_BODY_BYTES = 32 * 1024 * 1024;
/** What a recording batch aims for, so one post stays well under the limit. */
export const RECORDING_BATCH_TARGET_BYTES = 4 * 1024 * 1024;
/** Largest body of every other request: an ApprovalRequest must fit in etcd anyway. */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

export const BROKER_PATHS = {
  /** GET: stream of ConfigStreamLine; the first line is the current config. */
  config: `${BROKER_API}/config`,
  /**
   * POST AgentTokenRequest → AgentTokenResponse: who an agent is that presented this token to the
   * sidecar (verified, mapped to an AgentIdentity, checked to be usable from this pod).
   */
  agentTokens: `${BROKER_API}/agent-tokens`,
  /** POST DelegationRequest → DelegationResponse (201): a narrower token for a sub-agent. */
  delegations: `${BROKER_API}/delegations`,
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

/**
 * The password an agent sends, where a listener asks for a token, to be its pod's own identity
 * instead (a pod whose identity needs no token, running agents that carry none). Anything else
 * must be a token.
 */
export const POD_IDENTITY_PASSWORD = 'pod-identity';

export interface AgentTokenRequest {
  /** The token exactly as the agent sent it. The broker never logs it. */
  readonly token: string;
}

export interface AgentTokenResponse {
  /** The agent's principal: identity, groups, onBehalfOf from the token, its Targets, expiresAt. */
  readonly principal: AgentPrincipal;
}

/**
 * A parent agent asks, through its sidecar, for a token to hand a sub-agent it spawns (token
 * exchange in the spirit of RFC 8693). The parent is the session's principal: its own token when
 * it presented one, else the pod's own identity. The answer is never broader than the parent.
 */
export interface DelegationRequest {
  /** The parent's token, when the parent presented one; absent: the parent is the pod's own identity. */
  readonly agentToken?: string;
  /** The sub-agent's name, as reviewers will see it in the chain: lowercase letters, digits, '-', '.'. */
  readonly name: string;
  /** Targets the sub-agent may use; a subset of the parent's. Absent: all of the parent's. */
  readonly targets?: readonly string[];
  /** Requested lifetime; capped by the identity's delegation.maxTTL and the parent's own expiry. */
  readonly ttlSeconds?: number;
}

export interface DelegationResponse {
  /** The sub-agent's token: present it as the password / bearer token to this pod's sidecar. */
  readonly token: string;
  readonly expiresAt: string;
  readonly targets: readonly string[];
  readonly depth: number;
}

export type ConfigStreamLine = { readonly type: 'config'; readonly config: SidecarConfig } | { readonly type: 'heartbeat' };

export interface CredentialsRequest {
  readonly target: string;
  /**
   * ssh: the public key (`ssh-ed25519 AAAA...`) of a key pair the sidecar made for this one
   * upstream connection and keeps in memory. A Target whose Secret holds a certificateAuthorityKey
   * answers with a user certificate for it; the others ignore it. The sidecar cannot tell which
   * Target is which (the Secret decides), so it sends one for every ssh connect: one request, one
   * Secret read, and no window where the Secret changes between a question and a second request.
   */
  readonly publicKey?: string;
  /** ssh, with publicKey: the sidecar's session the login is for; it becomes part of the certificate's key id, which sshd logs. */
  readonly sessionId?: string;
  /** The token the session's agent presented, if it did: the broker answers only for a Target of the identity it maps to. */
  readonly agentToken?: string;
}

/** By target type (contracts/src/targets/credentials.ts). */
export type CredentialsResponse = TargetCredentials;

export interface CreateApprovalRequest {
  /** Chosen by the sidecar per held command; a retry with the same key returns the same request. */
  readonly idempotencyKey: string;
  readonly draft: ApprovalDraft;
  /**
   * The token the session's agent presented, if it did. The broker verifies it again and makes its
   * identity (and the human it names) the requester; without it the requester is the pod's own
   * identity. An expired token holds nothing: the agent reconnects with a fresh one.
   */
  readonly agentToken?: string;
}

export interface CreateApprovalResponse {
  readonly name: string;
  readonly namespace: string;
}

export type OutcomeStreamLine =
  | { readonly type: 'pending'; readonly approvals: string }
  /** `message` says why when the outcome is not a reviewer's (the request was deleted). */
  | { readonly type: 'outcome'; readonly outcome: ApprovalOutcome; readonly message?: string }
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
  /**
   * The sidecar gave records up before this batch (recording.onStoreFailure Continue): store it
   * after a gap instead of refusing it as a broken chain. The stored file then shows the gap to the
   * verifier, as a local file would.
   */
  readonly afterLoss?: boolean;
}

export interface RecordingAck {
  /** Highest seq the broker holds for the session after this batch. */
  readonly storedThrough: number;
}

/** Every error body. `code` is stable; `message` says what to do. */
export interface BrokerErrorBody {
  readonly code: BrokerErrorCode;
  readonly message: string;
  /** For AgentTokenRefused: which check refused the token (AgentTokenRefusal). */
  readonly reason?: AgentTokenRefusal;
}

/**
 * Why an agent's token was refused: the OIDC checks (docs/adr/0027), which identity it maps to
 * (NoIdentity, AmbiguousIdentity), whether this pod may use that identity (NotForThisPod), and
 * for delegation: the identity does not allow it, the chain would be too deep, or the sub-agent
 * asked for more than its parent has.
 */
/** The checks of a token itself (docs/adr/0027): the operator's OidcTokenError codes. */
export const TOKEN_CHECK_REFUSALS = [
  'Malformed',
  'UnsupportedAlgorithm',
  'WrongIssuer',
  'WrongAudience',
  'Expired',
  'NotYetValid',
  'TooOld',
  'UnknownKey',
  'BadSignature',
  'IssuerUnavailable',
  'MissingClaim',
] as const;
export type TokenCheckRefusal = (typeof TOKEN_CHECK_REFUSALS)[number];

export const AGENT_TOKEN_REFUSALS = [
  ...TOKEN_CHECK_REFUSALS,
  'NoIdentity',
  'AmbiguousIdentity',
  'NotForThisPod',
  'DelegationNotAllowed',
  'DelegationTooDeep',
  'DelegationTooBroad',
] as const;
export type AgentTokenRefusal = (typeof AGENT_TOKEN_REFUSALS)[number];

export type BrokerErrorCode =
  | 'Unauthenticated' // 401: no token, invalid, expired, wrong audience, or its pod is gone
  | 'NoIdentity' // 403: the pod matches no AgentIdentity (or more than one)
  | 'AgentTokenRefused' // 403: the token the agent presented is not valid, maps to no single identity, or not one this pod may use; `reason` says which
  | 'Forbidden' // 403: the target or request is not this pod's
  | 'NotFound' // 404
  | 'CredentialsUnavailable' // 503: the Target's Secret is missing or lacks keys
  | 'Invalid' // 400: body does not match the protocol
  | 'Conflict' // 409: the request's state does not allow this (already executed, a reused idempotency key)
  | 'ChainBroken' // 409: the recording batch does not continue the stored hash chain
  | 'TooLarge' // 413: the body is over the limit
  | 'Unavailable'; // 503: the API server or store cannot answer now; retry

/** The HTTP status each error code travels with. */
export const BROKER_ERROR_STATUS: Readonly<Record<BrokerErrorCode, number>> = {
  Unauthenticated: 401,
  NoIdentity: 403,
  AgentTokenRefused: 403,
  Forbidden: 403,
  NotFound: 404,
  CredentialsUnavailable: 503,
  Invalid: 400,
  Conflict: 409,
  ChainBroken: 409,
  TooLarge: 413,
  Unavailable: 503,
};

export const NDJSON_CONTENT_TYPE = 'application/x-ndjson';
