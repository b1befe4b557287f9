/**
 * List, then watch from the list's resourceVersion, keeping a local copy of every object and
 * telling handlers what changed. It survives what a long-running controller meets:
 * - the server ends the watch (timeoutSeconds) or the connection drops: re-watch from the last
 *   resourceVersion seen (bookmarks keep it fresh on quiet collections);
 * - 410 Gone / "too old resource version": re-list, and diff against the copy so handlers hear
 *   about deletions that happened while nobody was watching;
 * - the API server is down or restarting: retry with capped exponential backoff.
 * Watch settings follow ADR 0003 (server timeout, bookmarks, client inactivity timeout above it).
 */
import { Watch } from '@kubernetes/client-node';
import { collectionPath, isGone, type KubeClient, type KubeObject, type ResourceKind } from './client.ts';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, object: T, old?: T) => void;

export interface InformerOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Server-side watch lifetime in seconds (ADR 0003). */
  readonly watchSeconds?: number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly onError?: (error: unknown, phase: 'list' | 'watch') => void;
}

const WATCH_SECONDS = 600;
const INACTIVITY_SLACK_MS = 30_000;

export const objectKey = (object: KubeObject): string =>
  object.metadata?.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : `${object.metadata?.name}`;

export class Informer<T extends KubeObject> {
  readonly kind: ResourceKind;
  readonly #client: KubeClient;
  readonly #options: InformerOptions;
  readonly #store = new Map<string, T>();
  readonly #handlers = new Set<InformerHandler<T>>();
  #resourceVersion = '';
  #stopped = false;
  #watchAbort: AbortController | undefined;
  #wake: (() => void) | undefined;
  #synced!: () => void;
  readonly #syncedPromise = new Promise<void>((resolve) => (this.#synced = resolve));
  /** Counters for tests and metrics: how often the informer had to re-list or re-watch. */
  readonly stats = { lists: 0, watches: 0, gone: 0, errors: 0 };

  constructor(client: KubeClient, kind: ResourceKind, options: InformerOptions = {}) {
    this.#client = client;
    this.kind = kind;
    this.#options = options;
  }

  /** Starts the list/watch loop; resolves after the first list is in the store. */
  async start(): Promise<void> {
    void this.#run();
    await this.#syncedPromise;
  }

  hasSynced(): Promise<void> {
    return this.#syncedPromise;
  }

  stop(): void {
    this.#stopped = true;
    this.#watchAbort?.abort();
    this.#wake?.();
  }

  /** Registers a handler; it first hears `add` for everything already in the store. */
  onChange(handler: InformerHandler<T>): () => void {
    this.#handlers.add(handler);
    for (const object of this.#store.values()) handler('add', object);
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

  /** Drops the watch without stopping: the loop reconnects from the last resourceVersion. */
  interruptWatch(): void {
    this.#watchAbort?.abort();
  }

  /** For tests: forget progress so the next watch starts from `resourceVersion` (e.g. a compacted one). */
  resumeFrom(resourceVersion: string): void {
    this.#resourceVersion = resourceVersion;
    this.#watchAbort?.abort();
  }

  async #run(): Promise<void> {
    const backoff = this.#options.backoff ?? { initialMs: 200, maxMs: 10_000 };
    let delay = backoff.initialMs;
    let needList = true;
    while (!this.#stopped) {
      try {
        if (needList) {
          await this.#list();
          needList = false;
          this.#synced();
        }
        const outcome = await this.#watch();
        if (outcome === 'gone') {
          this.stats.gone++;
          needList = true;
          continue;
        }
        delay = backoff.initialMs; // a watch that opened and ended cleanly resets the backoff
        continue;
      } catch (error) {
        if (this.#stopped) break;
        if (isGone(error)) {
          this.stats.gone++;
          needList = true;
          continue;
        }
        this.stats.errors++;
        this.#options.onError?.(error, needList ? 'list' : 'watch');
      }
      await this.#sleep(delay);
      delay = Math.min(delay * 2, backoff.maxMs);
    }
  }

  async #list(): Promise<void> {
    this.stats.lists++;
    const path = collectionPath(this.kind, this.#options.namespace);
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.#client.list<T>(path, {
        limit: 500,
        continue: cont,
        labelSelector: this.#options.labelSelector,
        fieldSelector: this.#options.fieldSelector,
      });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      this.#apply('upsert', key, item);
    }
    for (const [key, object] of [...this.#store]) {
      if (!seen.has(key)) {
        this.#store.delete(key);
        this.#emit('delete', object);
      }
    }
    this.#resourceVersion = resourceVersion;
  }

  /** One watch, until it ends. Resolves 'gone' when the resourceVersion is too old. */
  #watch(): Promise<'ended' | 'gone'> {
    this.stats.watches++;
    const watchSeconds = this.#options.watchSeconds ?? WATCH_SECONDS;
    const watch = new Watch(this.#client.kubeConfig);
    // client-node keeps the inactivity timeout private; ADR 0003 and the e2e watch test pin it.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = watchSeconds * 1000 + INACTIVITY_SLACK_MS;
    return new Promise((resolve, reject) => {
      let gone = false;
      let failure: unknown;
      const query: Record<string, string | number | boolean> = {
        allowWatchBookmarks: true,
        timeoutSeconds: watchSeconds,
        resourceVersion: this.#resourceVersion,
      };
      if (this.#options.labelSelector) query.labelSelector = this.#options.labelSelector;
      if (this.#options.fieldSelector) query.fieldSelector = this.#options.fieldSelector;
      watch
        .watch(
          collectionPath(this.kind, this.#options.namespace),
          query,
          (type: string, object: T & { code?: number; kind?: string; message?: string }) => {
            if (type === 'ERROR') {
              // A Status object: 410 means our resourceVersion is compacted away.
              if (object.code === 410) gone = true;
              else failure = new Error(`watch error ${object.code}: ${object.message}`);
              this.#watchAbort?.abort();
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
              this.#store.delete(key);
              this.#emit('delete', object, old);
            } else {
              this.#apply('upsert', key, object);
            }
            if (rv) this.#resourceVersion = rv;
          },
          (error: unknown) => {
            this.#watchAbort = undefined;
            if (gone) resolve('gone');
            else if (failure) reject(failure);
            else if (error && isGoneMessage(error)) resolve('gone');
            else if (error && !this.#stopped && !isAbort(error)) reject(error);
            else resolve('ended');
          },
        )
        .then(
          (controller) => {
            this.#watchAbort = controller;
            if (this.#stopped) controller.abort();
          },
          (error: unknown) => reject(isGoneMessage(error) ? Object.assign(new Error('gone'), { status: 410 }) : error),
        );
    }).then(
      (outcome) => outcome as 'ended' | 'gone',
      (error: unknown) => {
        if (isGoneMessage(error)) return 'gone' as const;
        throw error;
      },
    );
  }

  #apply(_: 'upsert', key: string, object: T): void {
    const old = this.#store.get(key);
    this.#store.set(key, object);
    if (!old) this.#emit('add', object);
    else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.#emit('update', object, old);
  }

  #emit(event: InformerEvent, object: T, old?: T): void {
    for (const handler of this.#handlers) {
      try {
        handler(event, object, old);
      } catch (error) {
        this.#options.onError?.(error, 'watch');
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

const isAbort = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'name' in error && (error as { name: string }).name === 'AbortError';

/** client-node reports a non-200 watch response as an Error whose message holds the status. */
const isGoneMessage = (error: unknown): boolean =>
  (typeof error === 'object' &&
    error !== null &&
    ((error as { status?: number }).status === 410 || (error as { statusCode?: number }).statusCode === 410)) ||
  /\b410\b|Gone|too old resource version/i.test(String((error as Error)?.message ?? error));
