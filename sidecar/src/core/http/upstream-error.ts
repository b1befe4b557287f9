/**
 * Why a request could not be carried to the upstream, with a stable code a protocol maps to its
 * own answer (Kubernetes: a Status with 502/503/504). Messages name the server and what to check;
 * they never carry a credential or a header value.
 */

export type UpstreamErrorCode =
  /** Connect, TLS (certificate not verified, client certificate refused) or connect timeout: nothing was sent. */
  | 'UpstreamUnavailable'
  /** The response head did not arrive within responseTimeoutMs; the request was sent and may have been applied. */
  | 'UpstreamTimeout'
  /** The connection broke after the request was sent and before the response head: it may have been applied. */
  | 'UpstreamLost'
  /** The caller's signal aborted the request. */
  | 'UpstreamAborted'
  /** The authorization callback failed: nothing was sent. */
  | 'UpstreamCredentialsUnavailable'
  /** The request cannot be sent as given (a path without a leading /, a header node refuses): a bug in the caller. */
  | 'UpstreamInvalidRequest';

export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  constructor(code: UpstreamErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.code = code;
  }
}

/** TLS failures that surface after the handshake looked done (TLS 1.3 sends a refused client certificate as an alert later). */
const TLS_ERROR = /^(ERR_SSL_|ERR_TLS_|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

/** What failed, in the words of the error code, without the error's own message (which may quote server text). */
export function upstreamFailure(
  server: string,
  error: unknown,
  phase: { readonly connected: boolean; readonly aborted: boolean },
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (phase.aborted) return new UpstreamError('UpstreamAborted', `the request to ${server} was aborted`, { cause: error });
  if (TLS_ERROR.test(code)) {
    return new UpstreamError(
      'UpstreamUnavailable',
      `cannot reach ${server}: TLS failed (${code}); check the target's CA, its serving certificate's names and the client certificate`,
      { cause: error },
    );
  }
  if (!phase.connected) {
    return new UpstreamError(
      'UpstreamUnavailable',
      `cannot reach ${server}: ${code || (error as Error).message}; check that the server runs and is reachable`,
      {
        cause: error,
      },
    );
  }
  return new UpstreamError(
    'UpstreamLost',
    `the connection to ${server} broke before its answer (${code || 'closed'}); the request may have been applied`,
    {
      cause: error,
    },
  );
}
