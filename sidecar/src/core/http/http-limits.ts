/**
 * The bounds every HTTP listener of the sidecar enforces on what an agent sends, and on how long
 * the sidecar waits for an upstream. One place, so that the Kubernetes, plain-HTTP and MCP
 * protocols start from the same defaults; a protocol passes its own values where its peer differs.
 */

export interface HttpLimits {
  /** Request line plus headers, in bytes (node's maxHeaderSize for this server); more is answered 431. */
  readonly maxHeaderBytes: number;
  /** A request body, in bytes; more is refused (413) before it is forwarded. The API server's own limit is 3 MiB. */
  readonly maxRequestBodyBytes: number;
  /** A client that has not sent its whole request head within this is cut (slowloris). */
  readonly headersTimeoutMs: number;
  /** The whole request body must arrive within this once the handler starts reading it. */
  readonly requestBodyTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Open agent connections at once; one more is closed at once and logged. */
  readonly maxConnections: number;
  /** TCP connect plus TLS handshake to the upstream. */
  readonly upstreamConnectTimeoutMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  maxHeaderBytes: 32 * 1024,
  maxRequestBodyBytes: 3 * 1024 * 1024,
  headersTimeoutMs: 30_000,
  requestBodyTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 128,
  upstreamConnectTimeoutMs: 10_000,
});
