/**
 * Where the broker puts the session records sidecars send. An interface so a database-backed store
 * can replace the default JSONL files; every implementation keeps the same promises: records are
 * stored in order and durably before append resolves, a batch that does not continue the stored
 * hash chain is refused, and records already held (same session and seq) are dropped, so a retried
 * batch is harmless.
 */
import type { StoredRecord } from '@airlock/contracts/recording';

/** One session of one pod. namespace and pod come from the authenticated pod, never from the sidecar. */
export interface SessionKey {
  readonly namespace: string;
  readonly pod: string;
  readonly sessionId: string;
}

export interface AppendOptions {
  /** The sidecar gave records up before these (onStoreFailure Continue): accept a gap before them. */
  readonly afterLoss?: boolean;
}

export interface RecordingIngestStore {
  /** Stores the records that continue the session; resolves the highest seq held afterwards (-1: none). Throws IngestError. */
  append(session: SessionKey, records: readonly unknown[], options?: AppendOptions): Promise<number>;
  /** The session ended: release what the store holds for it. A later append (a late retry) still works. */
  close(session: SessionKey): Promise<void>;
}

export type IngestErrorCode =
  /** The batch does not continue the stored chain (a gap, a fork, a changed record). */
  | 'ChainBroken'
  /** A record names another session than the one it was sent for. */
  | 'WrongSession'
  /** Not a record, or its hash does not match its content. */
  | 'InvalidRecord'
  /** A session id, namespace or pod name that cannot be a path segment. */
  | 'InvalidSessionKey'
  /** Another operator replica is storing records of the session right now: retry shortly. */
  | 'Busy';

export class IngestError extends Error {
  readonly code: IngestErrorCode;
  constructor(code: IngestErrorCode, message: string) {
    super(message);
    this.name = 'IngestError';
    this.code = code;
  }
}

export type { StoredRecord };
