/** Records kept in memory: for tests and local runs. */

import type { StoredRecord } from '@airlock/contracts/recording';
import { RecordingError } from '@airlock/contracts/recording';
import type { RecordingSink, RecordingStore } from './sink.ts';

export class InMemorySink implements RecordingSink {
  readonly records: StoredRecord[] = [];
  /** How many append() calls stored something: the batches. */
  batches = 0;
  closed = false;

  async append(records: readonly StoredRecord[]): Promise<void> {
    if (this.closed) throw new RecordingError('SinkClosed', 'append to an in-memory sink after close()');
    if (records.length === 0) return;
    this.records.push(...records);
    this.batches++;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class InMemoryRecordingStore implements RecordingStore {
  readonly sessions = new Map<string, InMemorySink>();

  open(sessionId: string): InMemorySink {
    const sink = new InMemorySink();
    this.sessions.set(sessionId, sink);
    return sink;
  }
}
