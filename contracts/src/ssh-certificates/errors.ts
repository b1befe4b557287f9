export type SshKeyErrorCode =
  /** Bytes that are not the SSH structure they should be (cut short, trailing data, a bad length). */
  | 'Malformed'
  /** A key or certificate of a type this code does not sign or read (DSA, a security key, RSA below 2048 bits). */
  | 'UnsupportedKey'
  /** A private key protected by a passphrase: the Secret is the protection, the key is stored without one. */
  | 'EncryptedKey'
  /** A certificate request outside what OpenSSH accepts (no principal, an empty validity window). */
  | 'InvalidRequest';

/**
 * The one error of SSH key and certificate handling; `code` is stable, the message says what is
 * wrong and never quotes key material (a message may end up in a Target's status or a log).
 */
export class SshKeyError extends Error {
  readonly code: SshKeyErrorCode;
  constructor(code: SshKeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SshKeyError';
    this.code = code;
  }
}
