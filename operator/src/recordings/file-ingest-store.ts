/**
 * The default ingest store: one JSONL file per session, `<directory>/<namespace>/<pod>/<sessionId>.jsonl`,
 * the same canonical lines the sidecar's file sink writes, so the sidecar's verifier checks them.
 * Each accepted batch is appended and fdatasync'ed before append resolves; a failed write is cut
 * back to the last complete batch. Appends to one session run one at a time. Where a session's
 * chain stands is kept in memory and, after a restart, read from the file's last line (a torn
 * last line is cut off first).
 */
import { type FileHandle, mkdir, open, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { CHAIN_START, type ChainHead, serializeRecord } from '@airlock/contracts/recording';
import { syncDirectory } from '@airlock/runtime';
import { continueChain } from './chain-continuation.ts';
import { type AppendOptions, IngestError, type RecordingIngestStore, type SessionKey } from './ingest-store.ts';

export interface FileIngestStoreOptions {
  /** `batch` (default): fdatasync every batch; `never`: leave it to the kernel (tests). */
  readonly fsync?: 'batch' | 'never';
  /** Sessions whose chain position stays in memory (default 4096); others are read back from their file. */
  readonly maxCachedSessions?: number;
  /** Told about every gap a sidecar declared (records it gave up), for the log. */
  readonly onGap?: (session: SessionKey, gap: { from: number; to: number }) => void;
}

interface SessionState {
  head: ChainHead;
  /** Bytes of complete batches. */
  size: number;
}

const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const READ_BLOCK = 64 * 1024;

export class FileIngestStore implements RecordingIngestStore {
  readonly directory: string;
  readonly #options: FileIngestStoreOptions;
  readonly #states = new Map<string, SessionState>();
  /** The tail of each session's queue of appends: one at a time per file. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(directory: string, options: FileIngestStoreOptions = {}) {
    this.directory = directory;
    this.#options = options;
  }

  /** Where a session's records are. Throws IngestError (InvalidSessionKey) for names that are not safe path segments. */
  pathOf(session: SessionKey): string {
    checkKey(session);
    return join(this.directory, session.namespace, session.pod, `${session.sessionId}.jsonl`);
  }

  async append(session: SessionKey, records: readonly unknown[], options: AppendOptions = {}): Promise<number> {
    const path = this.pathOf(session);
    return this.#serialized(path, () => this.#append(session, path, records, options));
  }

  async close(session: SessionKey): Promise<void> {
    const path = this.pathOf(session);
    await this.#serialized(path, async () => {
      this.#states.delete(path);
    });
  }

  async #append(session: SessionKey, path: string, records: readonly unknown[], options: AppendOptions): Promise<number> {
    const state = await this.#state(path);
    const continuation = continueChain(state.head, session.sessionId, records, options.afterLoss ?? false);
    if (continuation.toStore.length === 0) return state.head.seq - 1;
    const data = Buffer.from(`${continuation.toStore.map(serializeRecord).join('\n')}\n`, 'utf8');
    const created = state.size === 0;
    if (created) await mkdir(join(this.directory, session.namespace, session.pod), { recursive: true });
    const handle = await open(path, 'a');
    try {
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await handle.write(data, written, data.length - written);
        if (bytesWritten === 0) throw new Error(`no progress writing ${path}`);
        written += bytesWritten;
      }
      if (this.#options.fsync !== 'never') await handle.datasync();
    } catch (error) {
      // Leave only complete batches behind; the sidecar retries this one.
      await handle.truncate(state.size).catch(() => this.#states.delete(path));
      throw error;
    } finally {
      await handle.close();
    }
    if (created && this.#options.fsync !== 'never') await syncDirectory(join(this.directory, session.namespace, session.pod));
    state.head = continuation.head;
    state.size += data.length;
    if (continuation.gap) this.#options.onGap?.(session, continuation.gap);
    return state.head.seq - 1;
  }

  async #state(path: string): Promise<SessionState> {
    const cached = this.#states.get(path);
    if (cached) {
      // Most recently used last, so eviction drops the quietest session.
      this.#states.delete(path);
      this.#states.set(path, cached);
      return cached;
    }
    const state = await readState(path);
    this.#states.set(path, state);
    const max = this.#options.maxCachedSessions ?? 4096;
    for (const key of this.#states.keys()) {
      if (this.#states.size <= max) break;
      if (!this.#queues.has(key)) this.#states.delete(key);
    }
    return state;
  }

  #serialized<T>(path: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(path) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.#queues.set(path, tail);
    void tail.then(() => {
      if (this.#queues.get(path) === tail) this.#queues.delete(path);
    });
    return run;
  }
}

function checkKey(session: SessionKey): void {
  const bad = (what: string, value: string) =>
    new IngestError('InvalidSessionKey', `${what} ${JSON.stringify(value)} cannot name a recording file; use [A-Za-z0-9._-]`);
  if (!SESSION_ID.test(session.sessionId) || session.sessionId === '.' || session.sessionId === '..') {
    throw bad('session id', session.sessionId);
  }
  if (!NAME.test(session.namespace)) throw bad('namespace', session.namespace);
  if (!NAME.test(session.pod)) throw bad('pod name', session.pod);
}

/** Where a session's file stands: its last record, after cutting off a torn last line. */
async function readState(path: string): Promise<SessionState> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { head: CHAIN_START, size: 0 };
    throw error;
  }
  const handle = await open(path, 'r');
  let tail: { line: Buffer | undefined; end: number };
  try {
    tail = await lastLine(handle, size);
  } finally {
    await handle.close();
  }
  if (tail.end < size) await truncate(path, tail.end);
  if (tail.line === undefined) return { head: CHAIN_START, size: tail.end };
  const record = JSON.parse(tail.line.toString('utf8')) as { seq: number; hash: string };
  return { head: { seq: record.seq + 1, hash: record.hash }, size: tail.end };
}

/** The last complete line (without its newline) and where complete lines end. */
async function lastLine(handle: FileHandle, size: number): Promise<{ line: Buffer | undefined; end: number }> {
  const lastNewline = await newlineBefore(handle, size);
  if (lastNewline === -1) return { line: undefined, end: 0 };
  const start = (await newlineBefore(handle, lastNewline)) + 1;
  const length = lastNewline - start;
  if (length === 0) return { line: undefined, end: lastNewline + 1 };
  const line = Buffer.alloc(length);
  await handle.read(line, 0, length, start);
  return { line, end: lastNewline + 1 };
}

/** The offset of the last newline before `before`, or -1; reads backwards a block at a time. */
async function newlineBefore(handle: FileHandle, before: number): Promise<number> {
  let position = before;
  while (position > 0) {
    const length = Math.min(READ_BLOCK, position);
    position -= length;
    const block = Buffer.alloc(length);
    await handle.read(block, 0, length, position);
    const index = block.lastIndexOf(0x0a);
    if (index !== -1) return position + index;
  }
  return -1;
}
