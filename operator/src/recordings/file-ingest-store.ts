/**
 * The default ingest store: one JSONL file per session, `<directory>/<namespace>/<pod>/<sessionId>.jsonl`,
 * the same canonical lines the sidecar's file sink writes, so the sidecar's verifier checks them.
 * Each accepted batch is appended and durable (O_DSYNC write) before append resolves; a failed write is cut
 * back to the last complete batch.
 *
 * Several operator replicas may share the directory (a ReadWriteMany volume), and a session's
 * batches may reach any of them. So each append holds the session file's lock
 * (session-file-lock.ts) while it finds where the chain stands, decides and writes. Where a
 * session's chain stands is kept in memory, but trusted only while the file still has the size
 * (and inode) this store left it with; otherwise, and once more before refusing a batch as
 * ChainBroken, it is read from the file's last line, cutting off a torn last line a replica that
 * died mid-append left. Within this process, appends to one session run one at a time.
 * See docs/adr/0019-shared-recordings-volume.md.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { CHAIN_START, type ChainHead, serializeRecord } from '@airlock/contracts/recording';
import { appendOpenFlags, syncDirectory } from '@airlock/runtime';
import { type Continuation, continueChain } from './chain-continuation.ts';
import { type AppendOptions, IngestError, type RecordingIngestStore, type SessionKey } from './ingest-store.ts';
import { type HeldLock, SessionFileLocks } from './session-file-lock.ts';

export interface FileIngestStoreOptions {
  /** `batch` (default): every batch durable (O_DSYNC) before append resolves; `never`: leave it to the kernel (tests). */
  readonly fsync?: 'batch' | 'never';
  /** Sessions whose chain position stays in memory (default 4096); others are read back from their file. */
  readonly maxCachedSessions?: number;
  /** Told about every gap a sidecar declared (records it gave up), for the log. */
  readonly onGap?: (session: SessionKey, gap: { from: number; to: number }) => void;
  /** How long an append waits for another replica's lock on the session file before IngestError Busy (default 2000 ms). */
  readonly lockWaitMs?: number;
  /** A session file lock nobody renewed for this long is taken over (default 15000 ms); holders renew every third of it. */
  readonly lockLeaseMs?: number;
}

interface SessionState {
  readonly head: ChainHead;
  /** Bytes of complete batches. */
  readonly size: number;
  /** The file's inode (0: no file yet); a different one means the file was replaced. */
  readonly ino: number;
}

const SESSION_ID = /^[A-Za-z0-9._-]{1,128}$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const READ_BLOCK = 64 * 1024;
const NO_FILE: SessionState = { head: CHAIN_START, size: 0, ino: 0 };

export class FileIngestStore implements RecordingIngestStore {
  readonly directory: string;
  readonly #options: FileIngestStoreOptions;
  readonly #locks: SessionFileLocks;
  readonly #states = new Map<string, SessionState>();
  /** The tail of each session's queue of appends: one at a time per file. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(directory: string, options: FileIngestStoreOptions = {}) {
    this.directory = directory;
    this.#options = options;
    this.#locks = new SessionFileLocks({
      owner: { host: hostname(), pid: process.pid, start: performance.timeOrigin },
      waitMs: options.lockWaitMs ?? 2000,
      leaseMs: options.lockLeaseMs ?? 15_000,
    });
  }

  /** Where a session's records are. Throws IngestError (InvalidSessionKey) for names that are not safe path segments. */
  pathOf(session: SessionKey): string {
    checkKey(session);
    return join(this.directory, session.namespace, session.pod, `${session.sessionId}.jsonl`);
  }

  async append(session: SessionKey, records: readonly unknown[], options: AppendOptions = {}): Promise<number> {
    const path = this.pathOf(session);
    return this.#serialized(path, async () => {
      const lock = await this.#locks.acquire(`${path}.lock`);
      try {
        return await this.#append(session, path, records, options, lock);
      } finally {
        await lock.release();
      }
    });
  }

  async close(session: SessionKey): Promise<void> {
    const path = this.pathOf(session);
    await this.#serialized(path, async () => {
      this.#states.delete(path);
    });
  }

  /** Under the session file's lock. */
  async #append(session: SessionKey, path: string, records: readonly unknown[], options: AppendOptions, lock: HeldLock): Promise<number> {
    const afterLoss = options.afterLoss ?? false;
    const fsync = this.#options.fsync ?? 'batch';
    let handle = await openIfExists(path, fsync);
    try {
      const known = await this.#state(path, handle);
      let state = known.state;
      let continuation: Continuation;
      try {
        continuation = continueChain(state.head, session.sessionId, records, afterLoss);
      } catch (error) {
        // Refuse on what the file says, never on memory alone.
        if (!(known.cached && error instanceof IngestError && error.code === 'ChainBroken')) throw error;
        state = await this.#read(path, handle);
        continuation = continueChain(state.head, session.sessionId, records, afterLoss);
      }
      if (continuation.toStore.length === 0) return state.head.seq - 1;
      const data = Buffer.from(`${continuation.toStore.map(serializeRecord).join('\n')}\n`, 'utf8');
      lock.assertHeld();
      const created = handle === undefined;
      // Only a lock holder creates the file, so it exists here only if a lock was broken: refuse (EEXIST), the sidecar retries.
      handle ??= await open(path, appendOpenFlags('create', fsync));
      const ino = created ? (await handle.stat()).ino : state.ino;
      try {
        let written = 0;
        while (written < data.length) {
          const { bytesWritten } = await handle.write(data, written, data.length - written, state.size + written);
          if (bytesWritten === 0) throw new Error(`no progress writing ${path}`);
          written += bytesWritten;
        }
      } catch (error) {
        // Leave only complete batches behind; the sidecar retries this one.
        this.#states.delete(path);
        await handle.truncate(state.size).catch(() => undefined);
        throw error;
      }
      if (created && fsync === 'batch') await syncDirectory(dirname(path));
      this.#remember(path, { head: continuation.head, size: state.size + data.length, ino });
      if (continuation.gap) this.#options.onGap?.(session, continuation.gap);
      return continuation.head.seq - 1;
    } finally {
      await handle?.close();
    }
  }

  /** Where the chain stands: the cached state while the file is as this store left it, else read from the file. */
  async #state(path: string, handle: FileHandle | undefined): Promise<{ state: SessionState; cached: boolean }> {
    const cached = this.#states.get(path);
    if (cached) {
      const current = handle ? await handle.stat() : undefined;
      if ((current?.size ?? 0) === cached.size && (current?.ino ?? 0) === cached.ino) {
        // Most recently used last, so eviction drops the quietest session.
        this.#remember(path, cached);
        return { state: cached, cached: true };
      }
    }
    return { state: await this.#read(path, handle), cached: false };
  }

  /** Reads where the chain stands from the file, cutting off a torn last line, and caches it. */
  async #read(path: string, handle: FileHandle | undefined): Promise<SessionState> {
    const state = handle ? await readState(handle) : NO_FILE;
    this.#remember(path, state);
    return state;
  }

  #remember(path: string, state: SessionState): void {
    this.#states.delete(path);
    this.#states.set(path, state);
    const max = this.#options.maxCachedSessions ?? 4096;
    for (const key of this.#states.keys()) {
      if (this.#states.size <= max) break;
      if (!this.#queues.has(key)) this.#states.delete(key);
    }
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

/** The session file opened for reading and writing (O_DSYNC unless fsync is 'never'), or undefined when there is none yet. */
async function openIfExists(path: string, fsync: 'batch' | 'never'): Promise<FileHandle | undefined> {
  try {
    return await open(path, appendOpenFlags('existing', fsync));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
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
async function readState(handle: FileHandle): Promise<SessionState> {
  const { size, ino } = await handle.stat();
  const tail = await lastLine(handle, size);
  if (tail.end < size) await handle.truncate(tail.end);
  if (tail.line === undefined) return { head: CHAIN_START, size: tail.end, ino };
  const record = JSON.parse(tail.line.toString('utf8')) as { seq: number; hash: string };
  return { head: { seq: record.seq + 1, hash: record.hash }, size: tail.end, ino };
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
