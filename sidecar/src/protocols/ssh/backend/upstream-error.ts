/** Why the sidecar could not run a command on the SSH host. Messages never carry credentials. */
export type SshUpstreamErrorCode =
  /** The Target names no usable endpoint or host key. */
  | 'TargetMisconfigured'
  /** The credentials could not be had, or are not SSH credentials. */
  | 'CredentialsUnavailable'
  | 'UpstreamUnreachable'
  /** The server presented a host key the Target does not list. */
  | 'HostKeyMismatch'
  | 'UpstreamAuthFailed'
  /** The server refused to open a channel or to run the request on it. */
  | 'UpstreamRefused'
  | 'UpstreamLost';

export class SshUpstreamError extends Error {
  readonly code: SshUpstreamErrorCode;
  constructor(code: SshUpstreamErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SshUpstreamError';
    this.code = code;
  }
}
