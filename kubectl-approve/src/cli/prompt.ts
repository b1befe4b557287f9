/** Questions on the terminal, one line per answer. Only used when stdin and stdout are terminals. */
import { createInterface, type Interface } from 'node:readline/promises';
import type { Readable, Writable } from 'node:stream';

export class Prompter {
  readonly #rl: Interface;
  #closed = false;

  /** `onInterrupt`: Ctrl-C, which the terminal in raw mode sends here instead of as a signal. */
  constructor(input: Readable, output: Writable, onInterrupt: () => void = () => {}) {
    this.#rl = createInterface({ input, output, terminal: true });
    this.#rl.on('close', () => (this.#closed = true));
    this.#rl.on('SIGINT', () => {
      this.close();
      onInterrupt();
    });
  }

  /** The answer, trimmed; undefined when the terminal closed (Ctrl-D, Ctrl-C) or `signal` aborted. */
  ask(question: string, signal?: AbortSignal): Promise<string | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    // readline's question() never settles when the interface closes under it: settle here.
    return new Promise((resolve) => {
      const closed = () => resolve(undefined);
      this.#rl.once('close', closed);
      this.#rl.question(question, signal ? { signal } : {}).then(
        (answer) => {
          this.#rl.off('close', closed);
          resolve(answer.trim());
        },
        () => {
          this.#rl.off('close', closed);
          resolve(undefined);
        },
      );
    });
  }

  close(): void {
    if (!this.#closed) this.#rl.close();
    this.#closed = true;
  }
}
