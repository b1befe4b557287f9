/**
 * Approvals that outlive one execution. Scope `session` lets the same digest run again in the
 * same session; scope `window` lets it run again for the same identity and target (the digest
 * covers both) until the window closes. Scope `once` is never stored here.
 */
export class ApprovalGrants {
  readonly #clock: () => number;
  readonly #expiry = new Map<string, number>();

  constructor(clock: () => number = Date.now) {
    this.#clock = clock;
  }

  grant(digest: string, untilMs: number): void {
    this.#expiry.set(digest, Math.max(untilMs, this.#expiry.get(digest) ?? 0));
  }

  /** The name of the rule is not needed: the digest already binds text, parameters, target and identity. */
  covers(digest: string): boolean {
    const until = this.#expiry.get(digest);
    if (until === undefined) return false;
    if (until <= this.#clock()) {
      this.#expiry.delete(digest);
      return false;
    }
    return true;
  }
}
