/**
 * The output half of a recorded terminal (an SSH channel, a Kubernetes exec): bytes of each stream
 * coalesced into `output` events (output-batcher.ts) within the session's budget
 * (recording-budget.ts), a batch left open recorded at its deadline by a timer, `terminal.resize`
 * after what was drawn at the old size, and the byte counts for the `result`. The protocol records
 * the `terminal` event when the stream starts (offsets count from `startedAt`) and the `result`
 * when it ends, and decides when to wait for the store.
 */
import type { OutputStream, RecordedEvent } from '@airlock/contracts/recording';
import { type BatchLimits, DEFAULT_BATCH_LIMITS, type OutputBatch, OutputBatcher } from './output-batcher.ts';
import type { RecordingBudget } from './recording-budget.ts';

export interface TerminalOutputDeps {
  /** Records one event of the session. */
  readonly record: (event: RecordedEvent) => void;
  /** The session's recording budget, shared by its terminals. */
  readonly budget: RecordingBudget;
  /** Monotonic milliseconds: offsets must not jump with the wall clock. */
  readonly now: () => number;
  readonly batch?: BatchLimits;
}

/** What passed, for the result event. */
export interface TerminalTraffic {
  readonly bytes: Readonly<Record<OutputStream, number>>;
  readonly unrecordedBytes: number;
}

export class TerminalOutput {
  readonly statementIndex: number;
  readonly #deps: TerminalOutputDeps;
  readonly #startedAt: number;
  readonly #batcher: OutputBatcher;
  readonly #bytes: Record<OutputStream, number> = { stdin: 0, stdout: 0, stderr: 0 };
  #unrecorded = 0;
  #timer: NodeJS.Timeout | undefined;
  #ended = false;

  /** `startedAt`: when the terminal event was recorded (deps.now's clock). */
  constructor(statementIndex: number, startedAt: number, deps: TerminalOutputDeps) {
    this.statementIndex = statementIndex;
    this.#deps = deps;
    this.#startedAt = startedAt;
    this.#batcher = new OutputBatcher(deps.batch ?? DEFAULT_BATCH_LIMITS);
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * A chunk passed on `stream`: counted, and recorded as its batch closes. The caller then either
   * flushes or calls `schedule()`, so that a batch left open is recorded by its deadline.
   */
  push(stream: OutputStream, chunk: Buffer): void {
    if (this.#ended || chunk.length === 0) return;
    this.#bytes[stream] += chunk.length;
    this.#emit(this.#batcher.push(stream, chunk, this.offset()));
  }

  /** Bytes that passed on `stream` but are not recorded (a message too large to decode). */
  passedUnrecorded(stream: OutputStream, count: number): void {
    if (this.#ended) return;
    this.#bytes[stream] += count;
    this.#unrecorded += count;
  }

  /** Records what is batched now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#emit(this.#batcher.flush());
  }

  /** The terminal was resized: output drawn at the old size goes first. */
  resized(cols: number, rows: number): void {
    if (this.#ended) return;
    this.flush();
    this.#deps.record({ type: 'terminal.resize', statementIndex: this.statementIndex, offsetMs: this.offset(), cols, rows });
  }

  /** The stream ended: what is batched is recorded; the counts for the result. Nothing is recorded after. */
  end(): TerminalTraffic {
    if (!this.#ended) {
      this.flush();
      this.#ended = true;
    }
    return { bytes: { ...this.#bytes }, unrecordedBytes: this.#unrecorded };
  }

  /** Milliseconds since the terminal started. */
  offset(): number {
    return Math.max(0, Math.round(this.#deps.now() - this.#startedAt));
  }

  /** A batch left open is recorded at its deadline even when nothing more passes. */
  schedule(): void {
    const deadline = this.#batcher.deadlineMs;
    if (deadline === undefined || this.#timer !== undefined) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        if (!this.#ended) this.#emit(this.#batcher.flush());
      },
      Math.max(0, deadline - this.offset()),
    );
    this.#timer.unref();
  }

  #emit(batches: readonly OutputBatch[]): void {
    for (const batch of batches) {
      const { recorded, reachedNow } = this.#deps.budget.take(batch.bytes.length);
      this.#unrecorded += batch.bytes.length - recorded;
      const base = { statementIndex: this.statementIndex, offsetMs: batch.atMs };
      if (recorded > 0) {
        this.#deps.record({ type: 'output', ...base, stream: batch.stream, data: batch.bytes.subarray(0, recorded).toString('base64') });
      }
      if (reachedNow) this.#deps.record({ type: 'output.truncated', ...base, limitBytes: this.#deps.budget.limitBytes });
    }
  }
}
