/**
 * Coalesces a terminal stream's chunks (an SSH channel, a Kubernetes exec) into output events, so
 * that a chatty command (a progress bar, `yes`, a byte-at-a-time echo) makes tens of events a
 * second, not one per chunk. Pure: chunks and the time they passed in, batches out; the caller owns
 * the timer that flushes at `deadlineMs`.
 *
 * One batch is open at a time, for one stream. A chunk of another stream closes it first, so the
 * events keep the order in which stdout and stderr (and, on a pty, keystrokes and their echo)
 * passed: a replay shows them interleaved as the agent saw them. A batch also closes when it holds
 * maxEventBytes (a chunk larger than the room left is split) or maxDelayMs after its first byte;
 * its offset is its first byte's, so a replay shows a coalesced batch at most maxDelayMs early.
 */
import type { OutputStream } from '@airlock/contracts/recording';

export interface OutputBatch {
  readonly stream: OutputStream;
  /** When the batch's first byte passed, in the caller's milliseconds. */
  readonly atMs: number;
  readonly bytes: Buffer;
}

export interface BatchLimits {
  readonly maxEventBytes: number;
  readonly maxDelayMs: number;
}

/**
 * 32 KiB is ssh2's largest data packet and Go's io.Copy buffer (in which the kubelet copies a
 * container's output), so bulk output makes one event per packet or message; 50 ms is below what
 * a viewer notices.
 */
export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxEventBytes: 32 * 1024, maxDelayMs: 50 };

interface OpenBatch {
  readonly stream: OutputStream;
  readonly atMs: number;
  readonly chunks: Buffer[];
  size: number;
}

export class OutputBatcher {
  readonly #limits: BatchLimits;
  #open: OpenBatch | undefined;

  constructor(limits: BatchLimits = DEFAULT_BATCH_LIMITS) {
    this.#limits = { maxEventBytes: Math.max(1, limits.maxEventBytes), maxDelayMs: Math.max(0, limits.maxDelayMs) };
  }

  /** When the open batch must be flushed; undefined when none is open. */
  get deadlineMs(): number | undefined {
    return this.#open === undefined ? undefined : this.#open.atMs + this.#limits.maxDelayMs;
  }

  /** Adds a chunk that passed at `atMs`; returns the batches it completed, oldest first. */
  push(stream: OutputStream, chunk: Buffer, atMs: number): OutputBatch[] {
    const done: OutputBatch[] = [];
    const open = this.#open;
    if (open !== undefined && (open.stream !== stream || atMs >= open.atMs + this.#limits.maxDelayMs)) done.push(...this.flush());
    let rest = chunk;
    while (rest.length > 0) {
      this.#open ??= { stream, atMs, chunks: [], size: 0 };
      const batch = this.#open;
      const room = this.#limits.maxEventBytes - batch.size;
      const part = rest.length <= room ? rest : rest.subarray(0, room);
      batch.chunks.push(part);
      batch.size += part.length;
      rest = rest.subarray(part.length);
      if (batch.size >= this.#limits.maxEventBytes) done.push(...this.flush());
    }
    return done;
  }

  /** Closes the open batch, if any. */
  flush(): OutputBatch[] {
    const open = this.#open;
    this.#open = undefined;
    if (open === undefined || open.size === 0) return [];
    return [{ stream: open.stream, atMs: open.atMs, bytes: open.chunks.length === 1 ? open.chunks[0]! : Buffer.concat(open.chunks) }];
  }
}
