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

/**
 * A Kubernetes Target's login: where the API server is as the sidecar reaches it, the CA to check
 * it with, and exactly one of a bearer token and a client certificate with its key. A token the
 * operator minted with the TokenRequest API (spec.kubernetes.serviceAccountName) carries its
 * expiry, so the sidecar asks for a new one before it stops working.
 */
export interface KubernetesTargetCredentials {
  readonly type: 'kubernetes';
  /** https URL of the API server as the sidecar reaches it (no trailing slash). */
  readonly server: string;
  /** PEM CA bundle the server certificate must chain to; absent: the system's roots. */
  readonly caBundle?: string;
  /** Exactly one login: a bearer token, or a client certificate and key (PEM). */
  readonly token?: string;
  readonly clientCertificate?: string;
  readonly clientKey?: string;
  /** RFC 3339; when the token stops working (a minted token). Absent: no known expiry (a Secret's token). */
  readonly expiresAt?: string;
}

export type TargetCredentials = PostgresTargetCredentials | SshTargetCredentials | KubernetesTargetCredentials;
