/** Waiting for a started process to become ready, failing fast with its log when it exits. */
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.ts';

export interface ReadinessCheck {
  /** Resolves when the process exits. */
  exited: Promise<number | null>;
  /** True once the process serves; a throw counts as not yet. */
  ready: () => boolean | Promise<boolean>;
  /** The end of the process's log, for the error message. */
  logTail: () => string;
  timeoutMs: number;
  intervalMs?: number;
}

/** Throws HarnessError `ComponentExited` or `ComponentNotReady`; the message ends with the log tail. */
export async function waitUntilReady(component: string, check: ReadinessCheck): Promise<void> {
  const deadline = Date.now() + check.timeoutMs;
  let died: number | null | undefined;
  void check.exited.then((code) => (died = code));
  for (;;) {
    try {
      if (await check.ready()) return;
    } catch {
      // not serving yet
    }
    // Let an exit that already happened settle before deciding it did not.
    await sleep(check.intervalMs ?? 25);
    if (died !== undefined) {
      throw new HarnessError('ComponentExited', `${component} exited with ${died} while starting; its log ends:\n${check.logTail()}`);
    }
    if (Date.now() > deadline) {
      throw new HarnessError(
        'ComponentNotReady',
        `${component} was not ready after ${check.timeoutMs / 1000}s; its log ends:\n${check.logTail()}`,
      );
    }
  }
}
