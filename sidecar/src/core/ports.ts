/**
 * The sidecar's seams to the control plane. Each is a narrow interface: this package ships
 * in-process implementations (tests and local runs drive them); the operator-backed ones talk to
 * the broker. Swapping one for the other is a wiring change in main.ts, nothing else.
 */
import type { AgentPrincipal, ApprovalDraft, ApprovalOutcome, SidecarConfig, TargetConfig } from '@airlock/contracts/broker';
import type { PostgresTargetCredentials, TargetCredentials } from '@airlock/contracts/targets';

export type { AgentPrincipal, ApprovalDraft, ApprovalOutcome, PolicyConfig, SidecarConfig, TargetConfig } from '@airlock/contracts/broker';
export type { TargetCredentials } from '@airlock/contracts/targets';

export interface ConfigSource {
  current(): SidecarConfig;
  /** Called with every new config; returns an unsubscribe function. */
  subscribe(listener: (config: SidecarConfig) => void): () => void;
}

/** PostgreSQL's variant of the credentials, without its type tag. */
export type PostgresCredentials = Omit<PostgresTargetCredentials, 'type'>;

/**
 * What an ssh login sends with its request: the public key of a key pair made for this one
 * connection, and the session it is for. A Target with a certificate authority answers with a
 * certificate for that key (contracts/src/broker/protocol.ts, CredentialsRequest).
 */
export interface LoginKey {
  readonly publicKey: string;
  readonly sessionId: string;
}

/**
 * Target credentials, fetched just in time per session; never logged, never stored. The protocol
 * narrows the answer to its own type and fails closed when it is another. `principal` is the
 * session's, as the AgentAuthenticator returned it: an agent that presented its own token gets
 * credentials only for a Target of that token's identity (the broker checks the token again).
 */
export interface CredentialSource {
  forTarget(target: TargetConfig, login?: LoginKey, principal?: AgentPrincipal): Promise<TargetCredentials>;
}

/**
 * How an agent proves who it is to the sidecar's listener. Pod identity needs nothing (the
 * listener is on the pod's loopback); an agent that carries its own OIDC token sends it as the
 * password, and the identity interface verifies it.
 */
export interface AgentAuthenticator {
  /** `token` is undefined when the agent sent no password. Throws AgentAuthError to refuse. */
  authenticate(request: { readonly target: TargetConfig; readonly user: string; readonly token?: string }): Promise<AgentPrincipal>;
  /** Whether the listener must ask the agent for a password (token) at all. */
  requiresToken(target: TargetConfig): boolean;
}

export interface PendingApproval {
  readonly name: string;
  readonly namespace: string;
  /** Settles once, with the first final phase. Rejects only when the control plane is unreachable. */
  readonly outcome: Promise<ApprovalOutcome>;
  /** The agent cancelled or disconnected: the request is withdrawn, its outcome settles Withdrawn. */
  withdraw(reason: string): Promise<void>;
  /** After an approved command ran: what the target answered. */
  reportExecution(result: { readonly ok: boolean; readonly result: string }): Promise<void>;
}

export interface ApprovalGate {
  request(principal: AgentPrincipal, draft: ApprovalDraft): Promise<PendingApproval>;
}
