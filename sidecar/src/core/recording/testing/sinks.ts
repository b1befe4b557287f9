/** Sinks that fail or hang, for the recorder's store-failure tests. */
import type { StoredRecord } from '@airlock/contracts/recording';
import { InMemorySink } from '../memory-sink.ts';

/** An in-memory sink whose appends fail while `failing` is set, with `error` (a plain Error by default). */
export class FlakySink extends InMemorySink {
  failing = false;
  attempts = 0;
  error: Error = new Error('store unavailable');

  override async append(records: readonly StoredRecord[]): Promise<void> {
    this.attempts++;
    if (this.failing) throw this.error;
    await super.append(records);
  }
}

/** An error as the file system reports it: `ENOSPC`, `EROFS`, ... */
export function errnoError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** A sink whose appends and close never settle: a hung network store or file system. */
export class HangingSink extends InMemorySink {
  attempts = 0;

  override append(): Promise<void> {
    this.attempts++;
    return new Promise<void>(() => undefined);
  }

  override close(): Promise<void> {
    return new Promise<void>(() => undefined);
  }
}
