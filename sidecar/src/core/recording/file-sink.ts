/**
 * Sessions as JSONL files in one directory: `<sessionId>.jsonl`, one canonical-JSON record per
 * line. Each batch is written at the end of what was stored before and, with `fsync: 'batch'`,
 * made durable before append() resolves: the file is opened O_DSYNC (appendOpenFlags), so the
 * write is the fdatasync. A failed append truncates the file back to its last
 * complete batch, so a retry never leaves a torn line or a duplicate behind. Errors reach the
 * caller as they came from the file system.
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordingError, type StoredRecord, serializeRecord } from '@airlock/contracts/recording';
import { appendOpenFlags, type FsyncMode, syncDirectory } from '@airlock/runtime';
import type { RecordingSink, RecordingStore } from './sink.ts';

export type { FsyncMode };

export interface FileRecordingStoreOptions {
  /** Created (with parents) on the first append. */
  readonly directory: string;
  /** `batch` (default): every batch durable (O_DSYNC) before append resolves; `never`: leave it to the kernel (tests, local runs). */
  readonly fsync?: FsyncMode;
}

export class FileRecordingStore implements RecordingStore {
  readonly #options: FileRecordingStoreOptions;

  constructor(options: FileRecordingStoreOptions) {
    this.#options = options;
  }

  /** Throws RecordingError (InvalidSessionId) for an id that is not a plain file name. */
  open(sessionId: string): FileSink {
    return new FileSink({ ...this.#options, sessionId });
  }
}

const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Session ids become file names: only `[A-Za-z0-9._-]`, never `.` or `..`. */
export function assertSessionId(sessionId: string): void {
  if (!SESSION_ID.test(sessionId) || sessionId === '.' || sessionId === '..') {
    throw new RecordingError(
      'InvalidSessionId',
      `session id ${JSON.stringify(sessionId)} is not a safe file name; use [A-Za-z0-9._-], at most 128 characters`,
    );
  }
}

export class FileSink implements RecordingSink {
  readonly path: string;
  readonly #directory: string;
  readonly #fsync: FsyncMode;
  #handle: FileHandle | undefined;
  /** The file exists (we created it); reopen it rather than create it. */
  #created = false;
  /** Bytes of complete batches: where the next batch goes, and what a failed one is cut back to. */
  #committed = 0;
  /** A failed append could not be cut back yet: do it before the next write. */
  #dirty = false;
  #directorySynced = false;
  #closed = false;

  constructor(options: FileRecordingStoreOptions & { readonly sessionId: string }) {
    assertSessionId(options.sessionId);
    this.#directory = options.directory;
    this.#fsync = options.fsync ?? 'batch';
    this.path = join(options.directory, `${options.sessionId}.jsonl`);
  }

  async append(records: readonly StoredRecord[]): Promise<void> {
    if (this.#closed) throw new RecordingError('SinkClosed', `append to ${this.path} after close()`);
    if (records.length === 0) return;
    const data = Buffer.from(`${records.map(serializeRecord).join('\n')}\n`, 'utf8');
    const handle = await this.#ready();
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written, this.#committed + written);
        if (bytesWritten === 0) throw new Error(`no progress writing ${this.path}`);
        written += bytesWritten;
      }
    } catch (error) {
      await this.#cutBack();
      throw error;
    }
    this.#committed += data.length;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close();
  }

  async #ready(): Promise<FileHandle> {
    if (this.#handle === undefined) {
      if (this.#created) {
        this.#handle = await open(this.path, appendOpenFlags('existing', this.#fsync));
      } else {
        await mkdir(this.#directory, { recursive: true });
        try {
          // Exclusive: a session's file has exactly one writer.
          this.#handle = await open(this.path, appendOpenFlags('create', this.#fsync));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new RecordingError('SessionFileExists', `${this.path} already exists; session ids must be unique`, { cause: error });
          }
          throw error;
        }
        this.#created = true;
      }
    }
    if (this.#fsync === 'batch' && !this.#directorySynced) {
      // The new directory entry must survive a crash too, not only the file's data.
      await syncDirectory(this.#directory);
      this.#directorySynced = true;
    }
    if (this.#dirty) {
      await this.#handle.truncate(this.#committed);
      this.#dirty = false;
    }
    return this.#handle;
  }

  /** Drops whatever a failed write left past the last complete batch; if even that fails, reopen later and retry. */
  async #cutBack(): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    try {
      await handle.truncate(this.#committed);
    } catch {
      this.#dirty = true;
      this.#handle = undefined;
      await handle.close().catch(() => undefined);
    }
  }
}
