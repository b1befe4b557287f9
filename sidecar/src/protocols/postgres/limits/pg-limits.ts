import { POSTGRES_DEFAULT_LIMITS } from '@airlock/contracts/targets';

/**
 * Every bound the PostgreSQL data path enforces, in one place: the sidecar settings (`limits`)
 * override these defaults, and the sidecar README has the table of what each does at the limit.
 * The defaults are sized for the memory limit the webhook injects: per-session bounds times
 * `maxConnections` must stay well inside it. A timeout of 0 turns that timeout off (as in PostgreSQL).
 */
export interface PgLimits {
  /** Largest protocol message, either direction. */
  readonly maxFrameBytes: number;
  /**
   * Largest SQL text the sidecar classifies. Classifying runs on the event loop, so a long text
   * stalls every session of the pod for as long as it takes: tens of ms to ~0.2 s at 64 KiB, up to
   * 3-4 s at 1 MiB (bench/src/classify-long-statements.ts; sidecar README, Limits). Bulk data goes by COPY.
   */
  readonly maxStatementBytes: number;
  readonly connectTimeoutMs: number;
  /** From accept to ReadyForQuery: a startup that takes longer gets FATAL 08P01. */
  readonly startupTimeoutMs: number;
  /** Open agent connections per target listener. */
  readonly maxConnections: number;
  /** Agent connections per listener still in startup (slowloris bound). */
  readonly maxStartupConnections: number;
  /** New agent connections per second per listener; a burst of one second's worth is allowed. */
  readonly acceptRatePerSecond: number;
  /** Agent messages received but not yet forwarded, per session; above it the sidecar stops reading. */
  readonly maxPendingBytes: number;
  /** A message that has started arriving must be complete within this. */
  readonly partialFrameTimeoutMs: number;
  /** A session with nothing in flight and no transaction open is closed after this. */
  readonly idleSessionTimeoutMs: number;
  /** A session idle inside a transaction is closed after this (PostgreSQL's idle_in_transaction_session_timeout). */
  readonly idleInTransactionTimeoutMs: number;
  /** TCP keepalive idle time on agent and upstream sockets; 0 turns it off. */
  readonly keepAliveMs: number;
  /** Named prepared statements per session (extended-protocol Parse and SQL PREPARE each). */
  readonly maxPreparedStatements: number;
  /** Named portals per session. */
  readonly maxPortals: number;
  /** SQL text of named prepared statements plus parameters of named portals, per session. */
  readonly maxPreparedBytes: number;
}

/**
 * The limits when settings do not say otherwise (the settings schema's defaults). The values are
 * the postgres entry's in @airlock/contracts/targets; this checks they cover every field above.
 */
export const DEFAULT_PG_LIMITS: PgLimits = POSTGRES_DEFAULT_LIMITS;

/** A Target's upstream connection cap when `spec.postgres.maxConnections` is not set. */
export const DEFAULT_MAX_UPSTREAM_CONNECTIONS = 20;
