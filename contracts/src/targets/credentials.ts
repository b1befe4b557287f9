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

/**
 * An SSH Target's login: the user and exactly one of a private key (OpenSSH or PEM format,
 * unencrypted: the Secret is the protection), a password, or a certificate. The host keys the
 * server must present are not credentials: they come with the Target's config (spec.ssh.hostKeys).
 */
export interface SshTargetCredentials {
  readonly type: 'ssh';
  readonly username: string;
  readonly privateKey?: string;
  readonly password?: string;
  /**
   * For a Target whose Secret holds a certificateAuthorityKey: an OpenSSH user certificate line
   * (`ssh-ed25519-cert-v01@openssh.com AAAA...`) the broker signed just now for the public key the
   * sidecar sent with its request. Its private key never left the sidecar, so this answer carries
   * no private key; the certificate alone logs nobody in.
   */
  readonly certificate?: string;
}

export type TargetCredentials = PostgresTargetCredentials | SshTargetCredentials;
