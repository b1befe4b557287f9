/** The broker client's one error class: the broker's own codes, and what can go wrong before it answers. */
import type { BrokerErrorCode } from '@airlock/contracts/broker';

export type BrokerClientErrorCode =
  | BrokerErrorCode
  /** No connection, a reset, a timeout, a stream without heartbeats: retry later. */
  | 'Unreachable'
  /** The broker answered something that is not the protocol. */
  | 'BadResponse'
  /** The projected service-account token file cannot be read. */
  | 'TokenUnavailable'
  /** The caller gave up (close(), abort). */
  | 'Aborted';

export class BrokerError extends Error {
  readonly code: BrokerClientErrorCode;
  /** The HTTP status, when the broker answered. */
  readonly status: number | undefined;
  /**
   * AgentTokenRefused: which check refused the agent's token, as the broker named it (one of the
   * contract's AgentTokenRefusal values; a single word, anything else from the wire is dropped).
   */
  readonly reason: string | undefined;

  constructor(code: BrokerClientErrorCode, message: string, options: { status?: number; reason?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrokerError';
    this.code = code;
    this.status = options.status;
    this.reason = options.reason;
  }

  /** Worth trying again: the broker or the path to it is down for now. */
  get retryable(): boolean {
    return this.code === 'Unreachable' || this.code === 'Unavailable';
  }
}
