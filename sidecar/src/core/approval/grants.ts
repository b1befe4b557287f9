/**
 * Approvals that outlive one execution. Scope `session` lets the same digest run again in the
 * same session; scope `window` lets it run again for the same identity and target (the digest
 * covers both) until the window closes. Scope `once` is never stored here.
 */
export class ApprovalGrants {
  readonly #clock: () => number;
  readonly #expiry = new Map<string, number>();
  /** Grants used up by the first operation they cover (a retry of an approved operation that never ran). */
  readonly #single = new Map<string, number>();

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  grant(digest: string, untilMs: number): void {
    this.#expiry.set(digest, Math.max(untilMs, this.#expiry.get(digest) ?? 0));
  }

  /**
   * Lets the digest run once more before `untilMs`: for an approved operation the target refused
   * before it started (a Kubernetes exec whose upgrade failed, which kubectl retries over another
   * transport). The first operation it covers uses it up.
   */
  grantOnce(digest: string, untilMs: number): void {
    this.#single.set(digest, untilMs);
  }

  /** The name of the rule is not needed: the digest already binds text, parameters, target and identity. */
  covers(digest: string): boolean {
    const now = this.#clock();
    const single = this.#single.get(digest);
    if (single !== undefined) {
      this.#single.delete(digest);
      if (single > now) return true;
    }
    const until = this.#expiry.get(digest);
    if (until === undefined) return false;
    if (until <= now) {
      this.#expiry.delete(digest);
      return false;
    }
    return true;
  }
}
