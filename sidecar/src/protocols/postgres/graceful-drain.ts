/**
 * The listener's part of a graceful shutdown, once it has stopped accepting: every session is
 * asked to end at its next idle moment (PgSession.shutdown), sessions that finish their startup
 * during the grace period are asked as they appear (the listener does that), and at the deadline
 * whatever is still open is told and closed. FATALs only ever go between whole messages: the
 * session writes to the agent in whole messages only.
 */
import type { Socket } from 'node:net';
import { pause } from '@airlock/runtime';
import { closeAfterFatal } from './limits/close-after-fatal.ts';
import { SHUTDOWN_CUT_FATAL, SHUTDOWN_FATAL } from './session/shutdown-notice.ts';

export interface DrainableSession {
  readonly closed: Promise<void>;
  shutdown(fatal: Buffer): void;
  terminate(fatal: Buffer): void;
}

export interface DrainInput {
  /** Live: sessions created during the grace period show up here (already asked to shut down). */
  readonly sessions: ReadonlySet<DrainableSession>;
  /** Every agent socket, sessions' and those still in startup. */
  readonly sockets: ReadonlySet<Socket>;
  readonly graceMs: number;
}

export async function drainSessions(input: DrainInput): Promise<void> {
  const deadline = Date.now() + input.graceMs;
  for (const session of input.sessions) session.shutdown(SHUTDOWN_FATAL);
  // Sockets still in startup either become sessions (and are shut down at once) or fail on their own.
  while ((input.sessions.size > 0 || input.sockets.size > 0) && Date.now() < deadline) {
    const open = [...input.sessions].map((session) => session.closed);
    await Promise.race([Promise.all(open), pause(Math.max(0, Math.min(POLL_MS, deadline - Date.now())))]);
  }
  for (const session of input.sessions) session.terminate(SHUTDOWN_CUT_FATAL);
  for (const socket of input.sockets) if (!socket.writableEnded) closeAfterFatal(socket, SHUTDOWN_FATAL);
}

/** How often the drain looks again for sockets that have not become sessions yet. */
const POLL_MS = 100;
