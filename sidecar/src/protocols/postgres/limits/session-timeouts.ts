/**
 * The three clocks of an agent session that end it when the agent stops making progress:
 *
 * - idle session: nothing in flight, no transaction open, no bytes from the agent (SQLSTATE 57P05,
 *   as PostgreSQL's idle_session_timeout). An idle session still holds an upstream connection.
 * - idle in transaction: the same, inside a transaction (25P03, as PostgreSQL's
 *   idle_in_transaction_session_timeout). Closing the upstream rolls the transaction back and
 *   releases its locks.
 * - partial frame: a message that started arriving did not complete (08P01). Counted from the
 *   first byte of the message, not reset by progress, so a frame trickled a byte at a time is cut
 *   too. Time while the sidecar itself stopped reading (backpressure) does not count.
 *
 * A waiting approval is not idleness: the session only becomes idle when the upstream says
 * ReadyForQuery with nothing else owed, and any agent byte makes it busy again.
 */
import { fatalError } from '../session/denials.ts';

export interface SessionTimeoutLimits {
  readonly idleSessionTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly partialFrameTimeoutMs: number;
}

export type SessionTimeoutKind = 'idleSession' | 'idleInTransaction' | 'partialFrame';

export interface SessionTimeoutEvent {
  readonly kind: SessionTimeoutKind;
  /** FATAL ErrorResponse for the agent. */
  readonly fatal: Buffer;
  /** For logs and the recording. */
  readonly reason: string;
}

export class SessionTimeouts {
  readonly #limits: SessionTimeoutLimits;
  readonly #onTimeout: (event: SessionTimeoutEvent) => void;
  readonly #isReading: () => boolean;
  #idle: NodeJS.Timeout | undefined;
  #frame: NodeJS.Timeout | undefined;
  #stopped = false;

  /** @param isReading whether the sidecar is reading the agent's socket (false while it applies backpressure). */
  constructor(limits: SessionTimeoutLimits, onTimeout: (event: SessionTimeoutEvent) => void, isReading: () => boolean) {
    this.#limits = limits;
    this.#onTimeout = onTimeout;
    this.#isReading = isReading;
  }

  /** Agent bytes arrived; `partial` says whether an incomplete message is now buffered. */
  agentData(partial: boolean): void {
    this.#clearIdle();
    if (!partial) this.#clearFrame();
    else if (!this.#frame) this.#startFrame();
  }

  /** The upstream said ReadyForQuery and nothing else is owed or queued. */
  idle(transactionStatus: number): void {
    if (this.#stopped) return;
    this.#clearIdle();
    const inTransaction = transactionStatus !== 0x49; // 'I'
    const ms = inTransaction ? this.#limits.idleInTransactionTimeoutMs : this.#limits.idleSessionTimeoutMs;
    if (ms <= 0) return;
    this.#idle = setTimeout(() => this.#fire(inTransaction ? 'idleInTransaction' : 'idleSession'), ms);
    this.#idle.unref();
  }

  stop(): void {
    this.#stopped = true;
    this.#clearIdle();
    this.#clearFrame();
  }

  #startFrame(): void {
    const ms = this.#limits.partialFrameTimeoutMs;
    if (ms <= 0 || this.#stopped) return;
    this.#frame = setTimeout(() => {
      this.#frame = undefined;
      // The sidecar paused the socket itself: the agent cannot complete the frame, so wait again.
      if (!this.#isReading()) this.#startFrame();
      else this.#fire('partialFrame');
    }, ms);
    this.#frame.unref();
  }

  #fire(kind: SessionTimeoutKind): void {
    if (this.#stopped) return;
    this.stop();
    this.#onTimeout(timeoutEvent(kind, this.#limits));
  }

  #clearIdle(): void {
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  #clearFrame(): void {
    if (this.#frame) clearTimeout(this.#frame);
    this.#frame = undefined;
  }
}

function timeoutEvent(kind: SessionTimeoutKind, limits: SessionTimeoutLimits): SessionTimeoutEvent {
  switch (kind) {
    case 'idleSession': {
      const reason = `terminating connection due to idle-session timeout (limits.idleSessionTimeoutMs, ${limits.idleSessionTimeoutMs} ms)`;
      return { kind, reason, fatal: fatalError('57P05', reason, 'Reconnect when you need the database again.') };
    }
    case 'idleInTransaction': {
      const reason = `terminating connection due to idle-in-transaction timeout (limits.idleInTransactionTimeoutMs, ${limits.idleInTransactionTimeoutMs} ms)`;
      return {
        kind,
        reason,
        fatal: fatalError('25P03', reason, 'The open transaction was rolled back. Commit or roll back before pausing.'),
      };
    }
    case 'partialFrame': {
      const reason = `a message was started but not completed within ${limits.partialFrameTimeoutMs} ms (limits.partialFrameTimeoutMs)`;
      return { kind, reason, fatal: fatalError('08P01', `protocol violation: ${reason}`) };
    }
  }
}
