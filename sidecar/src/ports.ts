/**
 * The sidecar's seams to the control plane. Each is a narrow interface: this package ships
 * in-process implementations (tests and local runs drive them); the operator-backed ones talk to
 * the broker. Swapping one for the other is a wiring change in main.ts, nothing else.
 */
import type { ApprovalPolicySpec, ApprovalRequestSpec, TargetSpec } from '@airlock/crds';

/** The workload the sidecar serves, as the control plane authenticated it. */
export interface AgentPrincipal {
  /** AgentIdentity name. */
  readonly identity: string;
  readonly namespace: string;
  /** system:serviceaccount:<namespace>:<name>. */
  readonly serviceAccount: string;
  readonly pod: { readonly name: string; readonly uid: string };
  readonly groups: readonly string[];
  /** The AgentIdentity's labels, for ApprovalPolicy `identities.matchLabels`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** The human an OIDC-carrying agent acts for; that person can never approve. */
  readonly onBehalfOf?: string;
  readonly issuer?: string;
}

export interface TargetConfig {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly spec: TargetSpec;
}

export interface PolicyConfig {
  readonly name: string;
  readonly namespace: string;
  readonly spec: ApprovalPolicySpec;
}

/** Everything the sidecar needs to decide: its identity, its targets and the policies that apply. */
export interface SidecarConfig {
  readonly principal: AgentPrincipal;
  readonly targets: readonly TargetConfig[];
  /** Only policies that compiled; the control plane never sends one with rule errors. */
  readonly policies: readonly PolicyConfig[];
  /** Keys for the hash masking strategy, by `<secret>/<key>` of `masking.hashKeySecretRef`. */
  readonly maskingKeys: Readonly<Record<string, string>>;
}

export interface ConfigSource {
  current(): SidecarConfig;
  /** Called with every new config; returns an unsubscribe function. */
  subscribe(listener: (config: SidecarConfig) => void): () => void;
}

export interface PostgresCredentials {
  readonly username: string;
  readonly password: string;
  /** PEM CA bundle for verify-ca / verify-full, when the target names one through a Secret. */
  readonly caBundle?: string;
}

/** Target credentials, fetched just in time per session; never logged, never stored. */
export interface CredentialSource {
  postgres(target: TargetConfig): Promise<PostgresCredentials>;
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

/** What the sidecar asks the control plane to hold; the control plane adds the requester. */
export type ApprovalDraft = Omit<ApprovalRequestSpec, 'requester' | 'expiresAt'> & { readonly ttlSeconds: number };

export type ApprovalOutcome =
  | { readonly phase: 'Approved'; readonly approvers: readonly string[] }
  | { readonly phase: 'Denied'; readonly reviewer: string; readonly reason: string }
  | { readonly phase: 'Expired' }
  | { readonly phase: 'Withdrawn'; readonly reason: string };

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
