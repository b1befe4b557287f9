/**
 * List, then watch from the list's resourceVersion, keeping a local copy of every object and
 * telling handlers what changed. It survives what a long-running controller meets:
 * - the server ends the watch (timeoutSeconds) or the connection drops: re-watch from the last
 *   resourceVersion seen (bookmarks keep it fresh on quiet collections), so no event is lost;
 * - 410 Gone / "too old resource version" (the API server restarted, or the watch was away longer
 *   than the server's watch cache remembers): re-list, and diff against the copy so handlers hear
 *   about deletions that happened while nobody was watching;
 * - the API server is down or restarting: retry with capped exponential backoff.
 * Watch settings follow ADR 0003 (server timeout, bookmarks, client inactivity timeout above it);
 * why this exists next to client-node's own ListWatch is ADR 0007.
 */
import { type Backoff, cappedDelay, DEFAULT_BACKOFF, pause } from '@airlock/runtime';
import { Watch } from '@kubernetes/client-node';
import { collectionPath, isGone, KubeApiError, type KubeClient, type KubeList, type KubeObject, type ResourceKind } from './client.ts';
import { KubeMachineryError } from './errors.ts';
import { objectKey } from './object-key.ts';

export { objectKey } from './object-key.ts';

export type InformerEvent = 'add' | 'update' | 'delete';
/** `old` is the previous copy on update, and the last known copy on delete. */
export type InformerHandler<T> = (event: InformerEvent, object: T, old?: T) => void;

export interface InformerOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Server-side watch lifetime in seconds (ADR 0003); default 600. */
  readonly watchSeconds?: number;
  /** Pause between failed attempts, doubling from initialMs to maxMs (no jitter); default 200 ms to 10 s. */
  readonly backoff?: Backoff;
  /** Hears list and watch failures (which are retried) and handler exceptions (which are swallowed). */
  readonly onError?: (error: unknown, phase: 'list' | 'watch' | 'handler') => void;
}

const WATCH_SECONDS = 600;
const INACTIVITY_SLACK_MS = 30_000;
const PAGE_SIZE = 500;
/** A watch that lasted this long, or delivered anything, was healthy: the next one starts at once. */
const HEALTHY_WATCH_MS = 5_000;

interface WatchOutcome {
  readonly gone: boolean;
  /** False when the watch ended at once without delivering anything: pause before the next. */
  readonly healthy: boolean;
}

type WatchStatus = { code?: number; reason?: string; message?: string };

export class Informer<T extends KubeObject> {
  readonly kind: ResourceKind;
  /** Counters for tests and metrics: lists and watches opened, 410s met, failures retried. */
  readonly stats = { lists: 0, watches: 0, gone: 0, errors: 0 };
  readonly #client: KubeClient;
  readonly #options: InformerOptions;
  readonly #store = new Map<string, T>();
  readonly #handlers = new Set<InformerHandler<T>>();
  readonly #stop = new AbortController();
  readonly #synced = Promise.withResolvers<void>();
  #isSynced = false;
  #resourceVersion = '';
  #running: Promise<void> | undefined;
  /** Ends the current watch; the loop then decides what comes next. */
  #watch: AbortController | undefined;

  constructor(client: KubeClient, kind: ResourceKind, options: InformerOptions = {}) {
    this.#client = client;
    this.kind = kind;
    this.#options = options;
    // stop() before the first list rejects hasSynced(); nobody may be listening.
    this.#synced.promise.catch(() => {});
  }

  /** Starts the list/watch loop; resolves after the first list is in the store, rejects if stopped first. */
  start(): Promise<void> {
    this.#running ??= this.#run();
    return this.#synced.promise;
  }

  hasSynced(): Promise<void> {
    return this.#synced.promise;
  }

  get synced(): boolean {
    return this.#isSynced;
  }

  stop(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#watch?.abort();
    this.#synced.reject(new KubeMachineryError('InformerStopped', `the ${this.kind.plural} informer was stopped before its first list`));
  }

  /** Registers a handler; it first hears `add` for everything already in the store. */
  onChange(handler: InformerHandler<T>): () => void {
    this.#handlers.add(handler);
    for (const object of this.#store.values()) this.#call(handler, 'add', object);
    return () => this.#handlers.delete(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): T[] {
    const all = [...this.#store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Drops the watch without stopping, as a broken connection would: the loop re-watches from the last resourceVersion. */
  interruptWatch(): void {
    this.#watch?.abort();
  }

  /** For tests: forget progress so the next watch starts from `resourceVersion` (e.g. one the server no longer has). */
  resumeFrom(resourceVersion: string): void {
    this.#resourceVersion = resourceVersion;
    this.#watch?.abort();
  }

  get #stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  async #run(): Promise<void> {
    const backoff = this.#options.backoff ?? DEFAULT_BACKOFF;
    // Failed or unhealthy attempts since the last healthy watch: the next pause is cappedDelay(backoff, failures).
    let failures = 0;
    let needList = true;
    let goneInARow = 0;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
          this.#isSynced = true;
          this.#synced.resolve();
        }
        const outcome = await this.#watchOnce();
        if (outcome.gone) {
          this.stats.gone++;
          needList = true;
          // The first 410 is routine (re-list at once); a fresh list's version expiring again is not.
          if (++goneInARow === 1) continue;
        } else {
          goneInARow = 0;
          if (outcome.healthy) {
            failures = 0;
            continue;
          }
        }
      } catch (error) {
        if (this.#stopped) break;
        if (isGone(error)) {
          // A list continue token expired: start the list over.
          this.stats.gone++;
          needList = true;
        } else {
          this.stats.errors++;
          this.#options.onError?.(error, needList ? 'list' : 'watch');
        }
      }
      await pause(cappedDelay(backoff, ++failures), this.#stop.signal);
    }
  }

  async #list(): Promise<void> {
    this.stats.lists++;
    const path = collectionPath(this.kind, this.#options.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page: KubeList<T> & { apiVersion?: string; kind?: string } = await this.#client.list<T>(
        path,
        { limit: PAGE_SIZE, continue: cont, labelSelector: this.#options.labelSelector, fieldSelector: this.#options.fieldSelector },
        this.#stop.signal,
      );
      // Items of built-in lists (PodList) carry no apiVersion/kind, watch events do: give handlers one shape.
      const itemKind = page.kind?.replace(/List$/, '');
      for (const item of page.items) {
        items.push(item.kind || !itemKind ? item : { ...item, apiVersion: page.apiVersion, kind: itemKind });
      }
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    if (this.#stopped) return;
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      this.#upsert(key, item);
    }
    for (const [key, object] of [...this.#store]) {
      if (!seen.has(key)) {
        this.#store.delete(key);
        this.#emit('delete', object, object);
      }
    }
    this.#resourceVersion = resourceVersion;
  }

  /** One watch, until it ends. Events that arrive after this informer decided to end it are dropped: the next watch replays them. */
  #watchOnce(): Promise<WatchOutcome> {
    this.stats.watches++;
    const abort = new AbortController();
    this.#watch = abort;
    if (this.#stopped) abort.abort();
    const watchSeconds = this.#options.watchSeconds ?? WATCH_SECONDS;
    const watch = new Watch(this.#client.kubeConfig);
    // client-node keeps the inactivity timeout private; ADR 0003 and the e2e watch test pin it.
    const knob = watch as unknown as { requestTimeoutMs: unknown };
    if (typeof knob.requestTimeoutMs !== 'number') {
      return Promise.reject(new Error('client-node Watch no longer has requestTimeoutMs: revisit ADR 0003 before upgrading'));
    }
    knob.requestTimeoutMs = watchSeconds * 1000 + INACTIVITY_SLACK_MS;
    const path = collectionPath(this.kind, this.#options.namespace);
    const query: Record<string, string | number | boolean> = {
      allowWatchBookmarks: true,
      timeoutSeconds: watchSeconds,
      resourceVersion: this.#resourceVersion,
    };
    if (this.#options.labelSelector) query.labelSelector = this.#options.labelSelector;
    if (this.#options.fieldSelector) query.fieldSelector = this.#options.fieldSelector;
    const opened = Date.now();
    let received = 0;
    let gone = false;
    let serverError: KubeApiError | undefined;
    return new Promise<WatchOutcome>((resolve, reject) => {
      let settled = false;
      const finish = (error: unknown) => {
        if (settled) return;
        settled = true;
        const endedByUs = abort.signal.aborted;
        abort.abort(); // closes the connection if the server ended the stream first
        if (this.#watch === abort) this.#watch = undefined;
        if (gone || statusCodeOf(error) === 410) return resolve({ gone: true, healthy: true });
        if (serverError) return reject(serverError);
        if (error && !endedByUs && !isTimeout(error)) return reject(error);
        resolve({ gone: false, healthy: endedByUs || received > 0 || Date.now() - opened >= HEALTHY_WATCH_MS });
      };
      const onEvent = (type: string, object: T) => {
        if (abort.signal.aborted) return;
        received++;
        if (type === 'ERROR') {
          const status = object as WatchStatus;
          if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') gone = true;
          else {
            const code = status.code ?? 500;
            serverError = new KubeApiError(code, status.reason ?? String(code), `watch ${path}: ${status.message ?? 'error'}`, status);
          }
          abort.abort();
          return;
        }
        const rv = object.metadata?.resourceVersion;
        if (type === 'BOOKMARK') {
          if (rv) this.#resourceVersion = rv;
          return;
        }
        const key = objectKey(object);
        if (type === 'DELETED') {
          const old = this.#store.get(key);
          if (old) {
            this.#store.delete(key);
            this.#emit('delete', object, old);
          }
        } else if (type === 'ADDED' || type === 'MODIFIED') {
          this.#upsert(key, object);
        }
        if (rv) this.#resourceVersion = rv;
      };
      watch.watch(path, query, onEvent, finish).then(
        // client-node hands out its AbortController once the response started (or failed).
        (controller) => {
          if (abort.signal.aborted) controller.abort();
          else abort.signal.addEventListener('abort', () => controller.abort(), { once: true });
        },
        finish,
      );
    });
  }

  #upsert(key: string, object: T): void {
    const old = this.#store.get(key);
    this.#store.set(key, object);
    if (!old) this.#emit('add', object);
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.#emit('update', object, old);
  }

  #emit(event: InformerEvent, object: T, old?: T): void {
    for (const handler of this.#handlers) this.#call(handler, event, object, old);
  }

  #call(handler: InformerHandler<T>, event: InformerEvent, object: T, old?: T): void {
    try {
      handler(event, object, old);
    } catch (error) {
      this.#options.onError?.(error, 'handler');
    }
  }
}

/** client-node reports a non-200 watch response as an Error with `statusCode`. */
const statusCodeOf = (error: unknown): number | undefined =>
  typeof error === 'object' && error !== null
    ? ((error as { statusCode?: number }).statusCode ?? (error as { status?: number }).status)
    : undefined;

/** client-node's inactivity timeout: the connection went silent; reconnecting is the cure, not backoff. */
const isTimeout = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: string }).name === 'TimeoutError';
