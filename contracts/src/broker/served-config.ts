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

/** What the sidecar asks the control plane to hold; the control plane adds the requester. */
export type ApprovalDraft = Omit<ApprovalRequestSpec, 'requester' | 'expiresAt'> & { readonly ttlSeconds: number };

export type ApprovalOutcome =
  | { readonly phase: 'Approved'; readonly approvers: readonly string[] }
  | { readonly phase: 'Denied'; readonly reviewer: string; readonly reason: string }
  | { readonly phase: 'Expired' }
  | { readonly phase: 'Withdrawn'; readonly reason: string };
