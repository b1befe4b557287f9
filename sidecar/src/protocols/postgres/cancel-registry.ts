/**
 * The cancel keys the sidecar hands to agents, mapped to their sessions. The agent never sees the
 * upstream's BackendKeyData: its cancel reaches its own upstream backend through the session that
 * owns the key, and a guessed or stale key reaches nothing.
 */
import { randomBytes, randomInt } from 'node:crypto';

export interface Cancellable {
  cancel(): void;
}

export class CancelRegistry {
  readonly #sessions = new Map<string, Cancellable>();

  issue(session: Cancellable): { processId: number; secretKey: Buffer; release: () => void } {
    for (;;) {
      const processId = randomInt(1, 2 ** 31 - 1);
      const secretKey = randomBytes(4);
      const key = `${processId}:${secretKey.toString('hex')}`;
      if (this.#sessions.has(key)) continue;
      this.#sessions.set(key, session);
      return { processId, secretKey, release: () => this.#sessions.delete(key) };
    }
  }

  /** True when the key named a live session. */
  cancel(processId: number, secretKey: Buffer): boolean {
    const session = this.#sessions.get(`${processId}:${secretKey.toString('hex')}`);
    session?.cancel();
    return session !== undefined;
  }
}
