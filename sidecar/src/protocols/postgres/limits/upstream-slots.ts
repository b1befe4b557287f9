/**
 * The cap on upstream connections one sidecar opens to a target (one per agent session). It sits
 * below the server's max_connections so the sidecar refuses with 53300 itself — naming the cap —
 * before the server refuses everyone, including sessions that were already working (ADR: refuse,
 * do not queue; see the sidecar README's limits table).
 */
export class UpstreamSlots {
  readonly #max: number;
  #used = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get used(): number {
    return this.#used;
  }

  get max(): number {
    return this.#max;
  }

  /** A release function (idempotent), or undefined when every slot is taken. */
  acquire(): (() => void) | undefined {
    if (this.#used >= this.#max) return undefined;
    this.#used += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#used -= 1;
    };
  }
}
