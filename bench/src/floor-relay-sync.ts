/**
 * The synced floor's agent→upstream direction: the floor relay keeping the one promise the
 * sidecar's recording keeps with `onStoreFailure: Block` and `fsync: batch` — what the agent sent
 * is stored before it is forwarded (docs/adr/0012-recording-block-means-block.md) — and nothing
 * else. Each chunk read from the agent becomes one line in the connection's file (sequence number,
 * length, SHA-256: about the size of one recording record); the line is written at its explicit
 * offset through an O_DSYNC descriptor (written and synced in one call), and only then does the
 * chunk go upstream. Chunks that arrive while a sync is pending queue in order behind it and
 * share the next write and sync. The difference
 * between this relay and the plain floor is the price of that promise alone, which any relay
 * keeping it pays too.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { constants, type FileHandle, open } from 'node:fs/promises';
import type { Socket } from 'node:net';

/** The prefix of the synced floor's temp directory (made under the system temp dir, removed at exit). */
export const SYNC_DIRECTORY_PREFIX = 'airlock-bench-floor-sync-';

/** The file of the n-th agent connection (from 1) in that directory. */
export const connectionFileName = (connection: number): string => `connection-${connection}.jsonl`;

/** Above this many queued bytes, while a sync is pending, the agent socket is paused (backpressure). */
export const SYNC_QUEUE_HIGH_WATER_BYTES = 1024 * 1024;

/** One line of a connection's file: the record of one chunk, written and synced before the chunk is forwarded. */
export interface SyncedChunkLine {
  readonly seq: number;
  readonly length: number;
  readonly sha256: string;
}

export class SyncedChunkForwarder {
  readonly #agent: Socket;
  readonly #upstream: Socket;
  readonly #file: Promise<FileHandle>;
  readonly #onFailure: (error: unknown) => void;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #offset = 0;
  #seq = 0;
  #flushing: Promise<void> | undefined;
  #agentEnded = false;
  #closed = false;

  /** Opens `path` (created, truncated) for the connection's lines; `onFailure` gets a failed write or sync. */
  constructor(agent: Socket, upstream: Socket, path: string, onFailure: (error: unknown) => void) {
    this.#agent = agent;
    this.#upstream = upstream;
    this.#onFailure = onFailure;
    // O_DSYNC, as the sidecar's file store opens its files: the write is the fdatasync, one system
    // call per batch — the cheapest way Node has to keep the promise.
    this.#file = open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_DSYNC);
    // Until the first flush awaits it, a failed open must not be an unhandled rejection.
    this.#file.catch(() => {});
  }

  /** A chunk read from the agent: queued, stored, then forwarded in order. */
  push(chunk: Buffer): void {
    if (this.#closed) return;
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    if (this.#flushing) {
      if (this.#queuedBytes > SYNC_QUEUE_HIGH_WATER_BYTES) this.#agent.pause();
      return;
    }
    this.#flushing = this.#flush().then(
      () => {
        this.#flushing = undefined;
        if (this.#agentEnded) this.#endUpstream();
      },
      (error: unknown) => {
        this.#flushing = undefined;
        this.#fail(error);
      },
    );
  }

  /** The agent sent its last byte: upstream is ended once everything queued was stored and forwarded. */
  end(): void {
    this.#agentEnded = true;
    if (!this.#flushing) this.#endUpstream();
  }

  /** The connection is gone: nothing more is forwarded, the file handle is closed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    void (this.#flushing ?? Promise.resolve())
      .then(() => this.#file)
      .then((file) => file.close())
      .catch(() => {});
  }

  async #flush(): Promise<void> {
    const file = await this.#file;
    while (this.#queue.length > 0 && !this.#closed) {
      const batch = this.#queue;
      this.#queue = [];
      this.#queuedBytes = 0;
      const lines = Buffer.from(batch.map((chunk) => `${JSON.stringify(this.#line(chunk))}\n`).join(''), 'utf8');
      await file.write(lines, 0, lines.length, this.#offset);
      this.#offset += lines.length;
      if (this.#closed) return;
      for (const chunk of batch) this.#upstream.write(chunk);
      if (this.#agent.isPaused() && this.#queuedBytes <= SYNC_QUEUE_HIGH_WATER_BYTES) this.#agent.resume();
      // The plain pipe waits for upstream to drain before reading more; so does this loop.
      if (this.#upstream.writableNeedDrain) await drainedOrClosed(this.#upstream);
    }
  }

  #line(chunk: Buffer): SyncedChunkLine {
    this.#seq += 1;
    return { seq: this.#seq, length: chunk.length, sha256: createHash('sha256').update(chunk).digest('hex') };
  }

  #endUpstream(): void {
    if (!this.#closed && !this.#upstream.destroyed) this.#upstream.end();
  }

  #fail(error: unknown): void {
    this.close();
    this.#onFailure(error);
  }
}

async function drainedOrClosed(socket: Socket): Promise<void> {
  const controller = new AbortController();
  try {
    await Promise.race([once(socket, 'drain', { signal: controller.signal }), once(socket, 'close', { signal: controller.signal })]);
  } catch {
    // 'error' rejects once(); the socket's own error handler ends the connection.
  } finally {
    controller.abort();
  }
}
