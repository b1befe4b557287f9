/** Why the upstream connection could not be opened or was lost. Messages never carry credentials. */
export type UpstreamErrorCode =
  | 'UpstreamUnreachable'
  | 'UpstreamTlsFailed'
  | 'UpstreamAuthFailed'
  | 'UpstreamRefused'
  | 'UpstreamProtocol'
  /** The target does not keep a setting airlock pins (sql/pinned-settings.ts) at its pinned value. */
  | 'UpstreamSettingUnpinned'
  | 'UpstreamLost';

export class UpstreamError extends Error {
  readonly code: UpstreamErrorCode;
  /** SQLSTATE to send the agent. */
  readonly sqlState: string;
  constructor(code: UpstreamErrorCode, message: string, options?: { cause?: unknown; sqlState?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.code = code;
    this.sqlState = options?.sqlState ?? (code === 'UpstreamAuthFailed' ? '28000' : '08006');
  }
}
