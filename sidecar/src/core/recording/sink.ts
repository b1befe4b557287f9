/**
 * Where records go. A seam: this package ships a JSONL file store and an in-memory one; the
 * operator-backed store (HTTPS to the broker's recording ingest) implements the same two
 * interfaces, and main.ts picks one.
 */
import type { StoredRecord } from '@airlock/contracts/recording';

/** One session's record stream. */
export interface RecordingSink {
  /**
   * Stores `records` after those of every earlier call. The caller never calls again before the
   * previous call settled, and on rejection it either retries the same records or gives them up.
   * So a rejected append must leave nothing of the batch stored (the file sink truncates back), or
   * the store must drop records whose (session, seq) it already holds.
   */
  append(records: readonly StoredRecord[]): Promise<void>;
  /** The session ended: release what the sink holds. No append follows. */
  close(): Promise<void>;
}

/** Opens a sink per session. */
export interface RecordingStore {
  open(sessionId: string): RecordingSink;
}
