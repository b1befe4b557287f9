/**
 * Admission for one listener's agent connections: how many are open, how many are still in
 * startup (a slowloris holds sockets there), and how fast new ones arrive (a token bucket with one
 * second of burst). Pure bookkeeping with an injected clock; the listener turns a refusal into
 * FATAL 53300 (too_many_connections), which is what PostgreSQL answers and what clients retry on.
 */
export interface ConnectionGateLimits {
  readonly maxConnections: number;
  readonly maxStartupConnections: number;
  readonly acceptRatePerSecond: number;
}

export type RefusalReason = 'maxConnections' | 'maxStartupConnections' | 'acceptRatePerSecond';

export interface ConnectionTicket {
  /** The startup finished (or failed): the socket no longer counts as in startup. Idempotent. */
  startupDone(): void;
  /** The socket closed. Idempotent; implies startupDone. */
  release(): void;
}

export type Admission =
  | { readonly ok: true; readonly ticket: ConnectionTicket }
  | { readonly ok: false; readonly reason: RefusalReason; readonly message: string };

export class ConnectionGate {
  readonly #limits: ConnectionGateLimits;
  readonly #clock: () => number;
  readonly #what: string;
  #open = 0;
  #inStartup = 0;
  #tokens: number;
  #refilledAt: number;

  /** @param what names the listener in refusals ("target orders-db"). */
  constructor(limits: ConnectionGateLimits, what: string, clock: () => number = Date.now) {
    this.#limits = limits;
    this.#clock = clock;
    this.#what = what;
    this.#tokens = limits.acceptRatePerSecond;
    this.#refilledAt = clock();
  }

  get open(): number {
    return this.#open;
  }

  get inStartup(): number {
    return this.#inStartup;
  }

  admit(): Admission {
    const limits = this.#limits;
    if (this.#open >= limits.maxConnections) {
      return this.#refuse(
        'maxConnections',
        `too many connections to ${this.#what}: ${this.#open} are open, the limit (limits.maxConnections) is ${limits.maxConnections}; close idle connections or raise the limit`,
      );
    }
    if (this.#inStartup >= limits.maxStartupConnections) {
      return this.#refuse(
        'maxStartupConnections',
        `too many connections to ${this.#what} still starting up: ${this.#inStartup}, the limit (limits.maxStartupConnections) is ${limits.maxStartupConnections}; retry shortly`,
      );
    }
    this.#refill();
    if (this.#tokens < 1) {
      return this.#refuse(
        'acceptRatePerSecond',
        `too many new connections to ${this.#what}: more than ${limits.acceptRatePerSecond} per second (limits.acceptRatePerSecond); retry with backoff or reuse connections`,
      );
    }
    this.#tokens -= 1;
    this.#open += 1;
    this.#inStartup += 1;
    let starting = true;
    let released = false;
    const startupDone = (): void => {
      if (!starting) return;
      starting = false;
      this.#inStartup -= 1;
    };
    return {
      ok: true,
      ticket: {
        startupDone,
        release: () => {
          if (released) return;
          released = true;
          startupDone();
          this.#open -= 1;
        },
      },
    };
  }

  #refill(): void {
    const now = this.#clock();
    const elapsed = Math.max(0, now - this.#refilledAt) / 1000;
    this.#refilledAt = now;
    this.#tokens = Math.min(this.#limits.acceptRatePerSecond, this.#tokens + elapsed * this.#limits.acceptRatePerSecond);
  }

  #refuse(reason: RefusalReason, message: string): Admission {
    return { ok: false, reason, message };
  }
}
