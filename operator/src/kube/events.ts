/**
 * Records core/v1 Events about airlock objects, for `kubectl describe` and auditors.
 * Fire and forget: record() never throws and never blocks a reconcile; a failed write is logged.
 * Like client-go's EventCorrelator, a repeat of the same event (same object uid, type, reason and
 * message) within the correlation window bumps count and lastTimestamp of the Event already
 * written instead of creating another, so a reconcile loop cannot flood etcd with copies.
 * Repeats of one event are written one after another, so the first create cannot race its patch.
 */
import type { Logger } from 'pino';
import { collectionPath, isNotFound, type KubeClient, type KubeObject, objectPath } from './client.ts';
import { kubeTime } from './conditions.ts';
import { KINDS } from './kinds.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  readonly client: KubeClient;
  /** source.component and reportingComponent, e.g. airlock-operator. */
  readonly component: string;
  /** This replica (the pod name): source.host and reportingInstance. */
  readonly instance?: string;
  readonly logger: Logger;
  /** Repeats within this window update the existing Event; default 10 minutes. */
  readonly correlationWindowMs?: number;
  /** How many distinct events are remembered for correlation; the oldest are forgotten first. */
  readonly maxTracked?: number;
}

/** What the API server stores; exported for tests that read Events back. */
export interface CoreEvent extends KubeObject {
  involvedObject: { apiVersion: string; kind: string; name: string; namespace?: string; uid: string; resourceVersion?: string };
  reason: string;
  message: string;
  type: EventType;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string; host?: string };
  reportingComponent: string;
  reportingInstance?: string;
}

interface WrittenEvent {
  readonly namespace: string;
  readonly name: string;
  count: number;
  lastMs: number;
}

const REASON_LIMIT = 128;
const MESSAGE_LIMIT = 1024;

export class EventRecorder {
  readonly #client: KubeClient;
  readonly #component: string;
  readonly #instance: string | undefined;
  readonly #logger: Logger;
  readonly #windowMs: number;
  readonly #maxTracked: number;
  /** Events written, by correlation key, least recently used first. */
  readonly #written = new Map<string, WrittenEvent>();
  /** The last write queued per correlation key. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #pending = new Set<Promise<void>>();
  #sequence = 0;

  constructor(options: EventRecorderOptions) {
    this.#client = options.client;
    this.#component = options.component;
    this.#instance = options.instance;
    this.#logger = options.logger;
    this.#windowMs = options.correlationWindowMs ?? 10 * 60_000;
    this.#maxTracked = options.maxTracked ?? 4096;
  }

  record(object: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const meta = object.metadata;
      if (!object.apiVersion || !object.kind || !meta?.name || !meta.uid) {
        this.#logger.warn(
          { reason, kind: object.kind, name: meta?.name },
          'event not recorded: the object needs apiVersion, kind, metadata.name and metadata.uid',
        );
        return;
      }
      const involvedObject: CoreEvent['involvedObject'] = {
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: meta.name,
        uid: meta.uid,
        ...(meta.namespace ? { namespace: meta.namespace } : {}),
        ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
      };
      const text = message.length > MESSAGE_LIMIT ? `${message.slice(0, MESSAGE_LIMIT - 3)}...` : message;
      const key = [meta.uid, type, reason, text].join('\u0000');
      const at = new Date();
      const write = (this.#chains.get(key) ?? Promise.resolve()).then(() =>
        this.#write(key, involvedObject, type, reason.slice(0, REASON_LIMIT), text, at),
      );
      this.#chains.set(key, write);
      this.#pending.add(write);
      void write.finally(() => {
        this.#pending.delete(write);
        if (this.#chains.get(key) === write) this.#chains.delete(key);
      });
    } catch (error) {
      this.#logger.warn({ err: error, reason }, 'event not recorded');
    }
  }

  /** Resolves when every event recorded so far has been written (or failed and been logged). */
  async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async #write(key: string, involved: CoreEvent['involvedObject'], type: EventType, reason: string, message: string, at: Date) {
    try {
      const earlier = this.#written.get(key);
      if (earlier && at.getTime() - earlier.lastMs < this.#windowMs) {
        try {
          await this.#client.patch(
            objectPath(KINDS.event, earlier.namespace, earlier.name),
            { count: earlier.count + 1, lastTimestamp: kubeTime(at) },
            'merge',
          );
          earlier.count++;
          earlier.lastMs = at.getTime();
          this.#remember(key, earlier);
          return;
        } catch (error) {
          // Gone (the API server's event TTL, or someone deleted it): start a new Event.
          if (!isNotFound(error)) throw error;
        }
      }
      // Cluster-scoped objects get their Events in default, as client-go does.
      const namespace = involved.namespace ?? 'default';
      const name = `${involved.name}.${this.#suffix(at)}`;
      const event: CoreEvent = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: involved,
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: kubeTime(at),
        lastTimestamp: kubeTime(at),
        source: { component: this.#component, ...(this.#instance ? { host: this.#instance } : {}) },
        reportingComponent: this.#component,
        ...(this.#instance ? { reportingInstance: this.#instance } : {}),
      };
      await this.#client.create(collectionPath(KINDS.event, namespace), event);
      this.#remember(key, { namespace, name, count: 1, lastMs: at.getTime() });
    } catch (error) {
      this.#logger.warn({ err: error, reason, object: `${involved.kind}/${involved.name}` }, 'could not write an Event');
    }
  }

  #remember(key: string, written: WrittenEvent): void {
    this.#written.delete(key);
    this.#written.set(key, written);
    for (const oldest of this.#written.keys()) {
      if (this.#written.size <= this.#maxTracked) break;
      this.#written.delete(oldest);
    }
  }

  /** client-go names Events `<object>.<unix nanos in hex>`; a sequence keeps same-millisecond events apart. */
  #suffix(at: Date): string {
    this.#sequence = (this.#sequence + 1) % 1_000_000;
    return (BigInt(at.getTime()) * 1_000_000n + BigInt(this.#sequence)).toString(16);
  }
}
