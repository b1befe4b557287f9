/**
 * What the broker serves a sidecar (its principal, targets, policies and masking keys) and what an
 * approval asks and answers: the data both ends of the broker protocol and the policy language read.
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
  /** Issuer of the token this principal was verified from; absent for pod identity. */
  readonly issuer?: string;
  /**
   * Names of the Targets this principal may use; a session on any other is refused. The broker
   * always sets it (a pod may reach Targets through token identities that its own identity may
   * not); absent only in static configs, where it means every Target of the config.
   */
  readonly targets?: readonly string[];
  /** When the token this principal was verified from expires (RFC 3339); absent for pod identity. */
  readonly expiresAt?: string;
  /**
   * Present for a sub-agent presenting a token delegated to it: the chain of sub-agents from the
   * identity (whose authority it carries, narrowed) down to this one. Absent: depth 0, the agent itself.
   */
  readonly delegation?: PrincipalDelegation;
}

export interface PrincipalDelegation {
  /** 1 for a sub-agent of the agent, 2 for its sub-agent, ... (the chain's length). */
  readonly depth: number;
  /** Sub-agent names, from the first delegate to the one presenting the token. */
  readonly chain: readonly string[];
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
  /**
   * The pod's own identity: who a session is when the agent presents no token. Absent when every
   * AgentIdentity that selects the pod has `oidc.required`: then every session must present one.
   */
  readonly principal?: AgentPrincipal;
  /**
   * Targets an AgentIdentity with `spec.oidc` that selects this pod may use: their listeners ask
   * the agent for a token (the PostgreSQL password, the SSH password, an HTTP bearer token). Absent
   * or empty: no listener asks.
   */
  readonly tokenTargets?: readonly string[];
  readonly targets: readonly TargetConfig[];
  /** Only policies that compiled; the control plane never sends one with rule errors. */
  readonly policies: readonly PolicyConfig[];
  /** Keys for the hash masking strategy, by `<secret>/<key>` of `masking.hashKeySecretRef`. */
  readonly maskingKeys: Readonly<Record<string, string>>;
}

/** What the sidecar asks the control plane to hold; the control plane adds the requester. */
export type ApprovalDraft = Omit<ApprovalRequestSpec, 'requester' | 'expiresAt'> & { readonly ttlSeconds: number };

export type ApprovalOutcome =
  | { readonly phase: 'Approved'; readonly approvers: readonly string[] }
  | { readonly phase: 'Denied'; readonly reviewer: string; readonly reason: string }
  | { readonly phase: 'Expired' }
  | { readonly phase: 'Withdrawn'; readonly reason: string };
