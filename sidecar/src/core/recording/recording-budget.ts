/**
 * How many terminal bytes (SSH channels, Kubernetes exec streams) one session (agent connection)
 * may put into its recording. Terminal data
 * is unbounded while the store, the broker's ingest and a reviewer's disk are not: `cat` of a large
 * file, a `tar` over stdout or a command left running would fill them at the agent's pace. Past the
 * bound bytes are still forwarded and counted, never recorded; one `output.truncated` event says
 * where the recording stops. The trade-off: a session that prints much first and does damage
 * later keeps only its decisions, exit statuses and byte counts for the later commands, so the
 * bound is large (64 MiB by default) and one budget is shared by all streams and channels, in the
 * order the bytes passed. Pure.
 */
export interface BudgetTake {
  /** How many of the bytes may be recorded (the first ones). */
  readonly recorded: number;
  /** This take is the one that reached the bound: record `output.truncated` now. */
  readonly reachedNow: boolean;
}

export class RecordingBudget {
  readonly limitBytes: number;
  #used = 0;
  #reached = false;

  constructor(limitBytes: number) {
    this.limitBytes = Math.max(0, Math.floor(limitBytes));
  }

  /** Bytes recorded so far in the session. */
  get used(): number {
    return this.#used;
  }

  take(count: number): BudgetTake {
    const recorded = Math.min(count, this.limitBytes - this.#used);
    this.#used += recorded;
    const reachedNow = !this.#reached && recorded < count;
    if (reachedNow) this.#reached = true;
    return { recorded, reachedNow };
  }
}
