/**
 * The session's record as a protocol session uses it: one call per event, in order, and the waits
 * that make recording Block mean block. SessionRecorder implements it; tests can drive a session
 * with a narrower fake.
 */
import type { RecordedEvent } from '@airlock/contracts/recording';

/** The waits reject with RecordingError StoreUnavailable after the target's recording.blockTimeout (see docs/adr/0012). */
export interface SessionRecord {
  record(event: RecordedEvent): void;
  /** False while the store cannot keep up and the target says Block: forward nothing until true. */
  readonly writable: boolean;
  whenWritable(): Promise<void>;
  /** Before the first byte goes upstream: the session-open record is stored. */
  opened(): Promise<void>;
  /** Block: before bytes go upstream, the records that decided them are stored. Undefined: nothing to wait for. */
  beforeForward(): Promise<void> | undefined;
  /** After session.close: flush what is buffered and release the sink (bounded by recording.flushTimeout). */
  close(): Promise<void>;
}
