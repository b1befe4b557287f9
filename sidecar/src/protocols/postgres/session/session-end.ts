/**
 * How the parts of a session end it. PgSession implements each way (pg-session.ts): the agent
 * gets a FATAL that says why, the recording gets an error, and both sockets close. The directions
 * and the flow control call these instead of holding the sockets or the cancel key themselves.
 */
import type { PinnedSettingName } from '../sql/pinned-settings.ts';

export interface SessionEnd {
  close(reason: string): void;
  /**
   * Handling agent input failed: a RecordingError StoreUnavailable (the records that would decide
   * it cannot be stored) or anything else, which is the agent breaking the protocol.
   */
  failed(error: unknown): void;
  /** The connection to the target closed, failed or broke the protocol. */
  upstreamLost(reason: string): void;
  /** A pinned setting moved on the server (the backstop of docs/adr/0014). */
  pinBroken(setting: PinnedSettingName, value: string): void;
  /** Nothing more is owed in this direction for now: a graceful shutdown may end the session here. */
  settled(): void;
}
