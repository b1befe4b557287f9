/**
 * Runs a reconcile function over keys from a work queue, controller-runtime style:
 * - level-triggered: informer events only enqueue keys; reconcile reads current state itself;
 * - a key is never reconciled by two workers at once (the queue's processing set);
 * - a thrown error requeues the key with per-key exponential backoff; success resets it;
 *   `{ requeueAfterMs }` asks for another pass later (deadlines, expiry) without counting as failure;
 *   a TerminalReconcileError is logged and not retried, since retrying cannot fix it;
 * - stop() stops handing out keys, aborts the signal in-flight reconciles got, and waits for them.
 */
import type { Logger } from 'pino';
import { isConflict, type KubeObject } from './client.ts';
import type { ControllerMetrics, ReconcileResult } from './controller-metrics.ts';
import { KubeMachineryError } from './errors.ts';
import type { Informer, InformerEvent } from './informer.ts';
import { objectKey } from './object-key.ts';
import { WorkQueue, type WorkQueueBackoff } from './work-queue.ts';

export interface ReconcileOutcome {
  /** Reconcile this key again after this many milliseconds (the earliest request wins). */
  readonly requeueAfterMs?: number;
}

// biome-ignore lint/suspicious/noConfusingVoidType: lets a plain `async () => {}` be a reconcile function
export type ReconcileFunction = (key: string, signal: AbortSignal) => Promise<ReconcileOutcome | undefined | void>;

/** Which keys an informer event concerns: the object's own key by default, or keys it maps to. */
export type KeyMapper<T> = (object: T, event: InformerEvent, old?: T) => string | readonly string[] | undefined;

export interface ControllerOptions {
  /** Names the controller in logs and metrics, e.g. `target`. */
  readonly name: string;
  readonly reconcile: ReconcileFunction;
  /** Keys reconciled in parallel (never the same key twice at once); default 1. */
  readonly workers?: number;
  readonly logger: Logger;
  readonly metrics?: ControllerMetrics;
  /** Retry delays of failing keys; default 100 ms doubling to 60 s. */
  readonly backoff?: WorkQueueBackoff;
}

/** Thrown by a reconcile when retrying cannot help (the object itself is wrong); the key is not retried. */
export class TerminalReconcileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TerminalReconcileError';
  }
}

export class Controller {
  readonly name: string;
  readonly #reconcile: ReconcileFunction;
  readonly #workers: number;
  readonly #logger: Logger;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #queue: WorkQueue;
  readonly #stopping = new AbortController();
  readonly #unsubscribes: (() => void)[] = [];
  #running: Promise<void>[] = [];
  #started = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.#reconcile = options.reconcile;
    this.#workers = Math.max(1, options.workers ?? 1);
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#queue = new WorkQueue(options.backoff ? { backoff: options.backoff } : {});
    this.#unsubscribes.push(this.#metrics?.trackQueue(this.name, () => this.#queue.length) ?? (() => {}));
  }

  /** Keys waiting for a worker. */
  get queueLength(): number {
    return this.#queue.length;
  }

  /**
   * Enqueues the keys of everything the informer has and of every later change. Works before
   * and after start(); keys enqueued before start() wait for the workers.
   */
  watch<T extends KubeObject>(informer: Informer<T>, keyOf?: KeyMapper<T>): () => void {
    const unsubscribe = informer.onChange((event, object, old) => {
      const keys = keyOf ? keyOf(object, event, old) : objectKey(object);
      if (keys === undefined) return;
      for (const key of typeof keys === 'string' ? [keys] : keys) this.#queue.add(key);
    });
    this.#unsubscribes.push(unsubscribe);
    return unsubscribe;
  }

  enqueue(key: string): void {
    this.#queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.#queue.addAfter(key, ms);
  }

  start(): void {
    if (this.#started) {
      throw new KubeMachineryError(
        'ControllerAlreadyStarted',
        `controller ${this.name} was already started; create a new Controller instead`,
      );
    }
    this.#started = true;
    this.#running = Array.from({ length: this.#workers }, () => this.#work());
    this.#logger.info({ workers: this.#workers }, 'controller started');
  }

  /** Stops taking keys, tells in-flight reconciles through their signal, and waits until they returned. */
  async stop(): Promise<void> {
    if (this.#stopping.signal.aborted) {
      await Promise.all(this.#running);
      return;
    }
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.#queue.shutDown();
    this.#stopping.abort();
    await Promise.all(this.#running);
    this.#logger.info('controller stopped');
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        await this.#process(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #process(key: string): Promise<void> {
    const started = performance.now();
    let result: ReconcileResult;
    try {
      const outcome = await this.#reconcile(key, this.#stopping.signal);
      this.#queue.forget(key);
      const after = outcome?.requeueAfterMs;
      if (after !== undefined && Number.isFinite(after)) {
        this.#queue.addAfter(key, Math.max(0, after));
        result = 'requeue';
      } else {
        result = 'success';
      }
      this.#logger.debug({ key, result, requeueAfterMs: after }, 'reconciled');
    } catch (error) {
      result = 'error';
      if (this.#stopping.signal.aborted) {
        this.#logger.debug({ key, err: error }, 'reconcile ended by stop');
      } else if (error instanceof TerminalReconcileError) {
        this.#queue.forget(key);
        this.#logger.error({ key, err: error }, 'reconcile failed and will not be retried until the object changes');
      } else {
        const retryInMs = this.#queue.addRateLimited(key);
        const failures = this.#queue.numRequeues(key);
        // A conflict means the object changed since it was read: routine, the retry reads it fresh.
        const level = isConflict(error) ? 'debug' : 'error';
        this.#logger[level]({ key, err: error, retryInMs, failures }, 'reconcile failed; retrying with backoff');
      }
    }
    this.#metrics?.reconciled(this.name, result, (performance.now() - started) / 1000);
  }
}
