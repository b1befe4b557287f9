/**
 * Records what passes on one channel that runs a command: a `terminal` event when it starts, the
 * bytes as coalesced `output` events within the session's budget (core/recording/terminal-output.ts),
 * `terminal.resize` for window changes, and at the end the `result` with the exit and the byte
 * counts. The channel pipe (channel-pipe.ts) calls it for every chunk.
 *
 * Recording Block (docs/adr/0012) for bytes that are already flowing: events go to the session's
 * recorder without waiting for the store, so output is not slowed by one store round trip per
 * chunk. Instead a checkpoint is taken after every quarter of maxUnstoredBytes (a promise that
 * everything recorded so far is stored), and the pipe waits only for the checkpoint four behind:
 * the store works on one part while the next ones flow, so under Block the agent is at most
 * maxUnstoredBytes (plus one chunk) ahead of the store without stopping at each checkpoint. A
 * stop-and-wait at every checkpoint held bulk output to the store's batch delay (68 MB/s for a
 * 64 MB `cat`, bench/src/ssh-bench.ts). The command's exit status reaches the agent only after its
 * output and result are stored; a checkpoint that failed fails the next chunk at once. A store that does not catch up within the Target's
 * recording.blockTimeout rejects the wait: the pipe stops and the channel is closed without an exit
 * status (recorded-pipe.ts). Under Continue nothing waits (beforeForward is undefined).
 */
import type { OutputStream, RecordedEvent } from '@airlock/contracts/recording';
import type { BatchLimits } from '../../../core/recording/output-batcher.ts';
import type { RecordingBudget } from '../../../core/recording/recording-budget.ts';
import { TerminalOutput, type TerminalTraffic } from '../../../core/recording/terminal-output.ts';

/** How an upstream command ended. */
export interface CommandExit {
  readonly code?: number;
  /** Without the SIG prefix: TERM, KILL. */
  readonly signal?: string;
  readonly coreDumped?: boolean;
}

/** What passed on the channel, for the result event. */
export type ChannelTraffic = TerminalTraffic;

export interface CaptureDeps {
  /** Records one event of the session (nothing after session.close). */
  readonly record: (event: RecordedEvent) => void;
  /** Records the command's result. */
  readonly exited: (exit: CommandExit, traffic: ChannelTraffic) => void;
  /** The session's recording budget, shared by its channels. */
  readonly budget: RecordingBudget;
  /** Block: resolves once every record so far is stored (rejects after blockTimeout); undefined: nothing to wait for. */
  readonly beforeForward: () => Promise<void> | undefined;
  /** Monotonic milliseconds (performance.now by default): offsets must not jump with the wall clock. */
  readonly now?: () => number;
  readonly batch?: BatchLimits;
  /** Block: bytes the agent may be ahead of the store (default 4 MiB). */
  readonly maxUnstoredBytes?: number;
}

export interface TerminalSize {
  readonly term?: string | undefined;
  readonly cols?: number | undefined;
  readonly rows?: number | undefined;
}

export const DEFAULT_MAX_UNSTORED_BYTES = 4 * 1024 * 1024;
/** Checkpoints in flight: the pipe waits for the oldest when one more is taken. */
const CHECKPOINTS_AHEAD = 4;

export class ChannelCapture {
  readonly statementIndex: number;
  readonly #deps: CaptureDeps;
  readonly #output: TerminalOutput;
  readonly #maxUnstored: number;
  #sinceWait = 0;
  /** Block: promises that what was recorded up to a point is stored, oldest first. */
  readonly #checkpoints: Promise<void>[] = [];
  #storeFailure: Error | undefined;

  constructor(statementIndex: number, pty: TerminalSize | undefined, deps: CaptureDeps) {
    this.statementIndex = statementIndex;
    this.#deps = deps;
    const now = deps.now ?? (() => performance.now());
    this.#output = new TerminalOutput(statementIndex, now(), {
      record: deps.record,
      budget: deps.budget,
      now,
      ...(deps.batch ? { batch: deps.batch } : {}),
    });
    this.#maxUnstored =
      deps.maxUnstoredBytes !== undefined && deps.maxUnstoredBytes > 0 ? deps.maxUnstoredBytes : DEFAULT_MAX_UNSTORED_BYTES;
    deps.record({
      type: 'terminal',
      statementIndex,
      ...(pty ? { pty: { term: pty.term ?? '', cols: pty.cols ?? 0, rows: pty.rows ?? 0 } } : {}),
    });
  }

  /**
   * A chunk passed (stdin: from the agent; stdout, stderr: to it). A promise means: forward nothing
   * more until it settles; a rejection means the session's records cannot be stored.
   */
  data(stream: OutputStream, chunk: Buffer): Promise<void> | undefined {
    if (this.#output.ended || chunk.length === 0) return undefined;
    this.#output.push(stream, chunk);
    if (this.#storeFailure) return Promise.reject(this.#storeFailure);
    this.#sinceWait += chunk.length;
    if (this.#sinceWait < this.#maxUnstored / CHECKPOINTS_AHEAD) {
      this.#output.schedule();
      return undefined;
    }
    this.#sinceWait = 0;
    this.#output.flush();
    const stored = this.#deps.beforeForward();
    if (stored === undefined) return undefined;
    const checkpoint = stored.catch((error: unknown) => {
      this.#storeFailure ??= error instanceof Error ? error : new Error(String(error));
      throw this.#storeFailure;
    });
    // Awaited later (or never, when the channel ends first: ended() waits for everything anyway).
    checkpoint.catch(() => undefined);
    this.#checkpoints.push(checkpoint);
    return this.#checkpoints.length > CHECKPOINTS_AHEAD ? this.#checkpoints.shift() : undefined;
  }

  /** The agent changed the terminal size (window-change). */
  resized(cols: number, rows: number): void {
    this.#output.resized(cols, rows);
  }

  /** The channel ended: what is batched is recorded, then the result. Block: resolves once all of it is stored. Once. */
  ended(exit: CommandExit): Promise<void> | undefined {
    if (this.#output.ended) return undefined;
    this.#deps.exited(exit, this.#output.end());
    return this.#deps.beforeForward();
  }
}
