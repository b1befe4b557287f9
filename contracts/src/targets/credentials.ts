/**
 * The credentials the broker hands a sidecar for one target, tagged by the target's type: one
 * variant per served type. The broker builds them from the Target's Secret, the sidecar's protocol
 * narrows them to its own type and fails closed on another; nothing else ever holds them.
 */
export interface PostgresTargetCredentials {
  readonly type: 'postgres';
  readonly username: string;
  readonly password: string;
  /** PEM CA bundle for verify-ca / verify-full, when the target names one through a Secret. */
  readonly caBundle?: string;
}

export type TargetCredentials = PostgresTargetCredentials;
