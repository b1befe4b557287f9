/**
 * What a start-up has started so far, stopped in reverse order. Every step runs even when an
 * earlier one fails (a failed start must not leave the rest running), and the failures are thrown
 * together afterwards, so a caller never reports a clean stop that was not.
 */
import { HarnessError } from './errors.ts';

export class StopStack {
  readonly #steps: { what: string; stop: () => Promise<unknown> }[] = [];
  #stopped: Promise<void> | undefined;

  push(what: string, stop: () => Promise<unknown>): void {
    this.#steps.push({ what, stop });
  }

  /** Runs once; later calls wait for the first. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  /** After a failed start: stops, then throws `error` — or, when stopping failed too, an error that says both. */
  async stopAndThrow(error: unknown): Promise<never> {
    try {
      await this.stop();
    } catch (stopError) {
      throw new HarnessError('StopFailed', `${(error as Error).message}\nand then ${(stopError as Error).message}`, { cause: error });
    }
    throw error;
  }

  async #stop(): Promise<void> {
    const failures: string[] = [];
    for (const step of this.#steps.reverse()) {
      try {
        await step.stop();
      } catch (error) {
        failures.push(`${step.what}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new HarnessError('StopFailed', `stopping failed for\n${failures.join('\n')}`);
  }
}
