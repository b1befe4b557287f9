/**
 * The open config streams, and pushing a new config down them when it changes. Every change the
 * informers hear (AgentIdentities, Targets, ApprovalPolicies in the pod's namespace; the pod
 * itself) recomputes the config of the streams it can affect; a line is sent only when the config
 * differs from the last one sent. Recomputations of one stream never overlap: a change during one
 * marks the stream for one more pass. A pod that is deleted, or whose config can no longer be
 * built (its identity is gone), has its stream ended; the sidecar re-opens it and hears why.
 */
import type { ServerResponse } from 'node:http';
import type { ConfigStreamLine } from '@airlock/contracts/broker';
import type { Logger } from 'pino';
import type { InformerCatalog } from '../catalog.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Informer } from '../kube/informer.ts';
import type { BrokerMetrics } from './broker-metrics.ts';
import { NdjsonStream, type NdjsonStreamOptions } from './ndjson-stream.ts';
import { podConfig } from './pod-access.ts';
import type { AuthenticatedPod, PodObject } from './pod-authenticator.ts';
import type { BuiltConfig } from './sidecar-config.ts';

export interface ConfigStreamsOptions {
  readonly client: KubeClient;
  readonly catalog: InformerCatalog;
  readonly pods?: Informer<PodObject>;
  readonly logger: Logger;
  readonly metrics: BrokerMetrics;
  readonly stream: NdjsonStreamOptions;
}

interface Entry {
  readonly pod: AuthenticatedPod;
  object: PodObject;
  readonly stream: NdjsonStream;
  last: string;
  running: boolean;
  dirty: boolean;
}

export class ConfigStreams {
  readonly #options: ConfigStreamsOptions;
  readonly #entries = new Set<Entry>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: ConfigStreamsOptions) {
    this.#options = options;
    const { catalog } = options;
    const changed = (_: unknown, object: { metadata: { namespace?: string } }) => this.#namespaceChanged(object.metadata.namespace ?? '');
    this.#unsubscribe.push(
      catalog.identityInformer.onChange(changed),
      catalog.targetInformer.onChange(changed),
      catalog.policyInformer.onChange(changed),
    );
    if (options.pods) {
      this.#unsubscribe.push(options.pods.onChange((event, pod) => this.#podChanged(event === 'delete', pod)));
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Sends the current config and keeps the stream open. Throws BrokerHttpError (before anything is written) when there is none. */
  async open(pod: AuthenticatedPod, response: ServerResponse): Promise<void> {
    const built = await podConfig(this.#options.client, this.#options.catalog, pod);
    this.#logWithheld(pod, built);
    const stream = new NdjsonStream(response, this.#options.stream);
    const entry: Entry = { pod, object: pod.object, stream, last: JSON.stringify(built.config), running: false, dirty: false };
    const line: ConfigStreamLine = { type: 'config', config: built.config };
    stream.send(line);
    this.#entries.add(entry);
    this.#options.metrics.connections.inc({ stream: 'config' });
    this.#options.logger.debug({ pod: `${pod.namespace}/${pod.name}` }, 'config stream opened');
    void stream.closed.then(() => {
      this.#entries.delete(entry);
      this.#options.metrics.connections.dec({ stream: 'config' });
    });
  }

  /** Ends every stream (the broker is stopping) and stops listening to the informers. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const entry of this.#entries) entry.stream.end();
  }

  #namespaceChanged(namespace: string): void {
    for (const entry of this.#entries) if (entry.pod.namespace === namespace) void this.#refresh(entry);
  }

  #podChanged(deleted: boolean, pod: PodObject): void {
    for (const entry of this.#entries) {
      if (entry.pod.uid !== pod.metadata?.uid) continue;
      if (deleted || pod.metadata?.deletionTimestamp) {
        entry.stream.end();
        continue;
      }
      entry.object = pod;
      void this.#refresh(entry);
    }
  }

  async #refresh(entry: Entry): Promise<void> {
    if (entry.running) {
      entry.dirty = true;
      return;
    }
    entry.running = true;
    try {
      do {
        entry.dirty = false;
        let built: BuiltConfig;
        try {
          built = await podConfig(this.#options.client, this.#options.catalog, entry.pod, entry.object);
        } catch (error) {
          // The sidecar re-opens the stream and gets the refusal (NoIdentity, Forbidden) or retries (Unavailable).
          this.#options.logger.info(
            { pod: `${entry.pod.namespace}/${entry.pod.name}`, code: (error as { code?: string }).code, message: (error as Error).message },
            'config can no longer be built; ending the stream',
          );
          entry.stream.end();
          return;
        }
        const serialized = JSON.stringify(built.config);
        if (serialized !== entry.last && !entry.stream.ended) {
          entry.last = serialized;
          this.#logWithheld(entry.pod, built);
          const line: ConfigStreamLine = { type: 'config', config: built.config };
          entry.stream.send(line);
          this.#options.logger.info({ pod: `${entry.pod.namespace}/${entry.pod.name}` }, 'config pushed');
        }
      } while (entry.dirty && !entry.stream.ended);
    } finally {
      entry.running = false;
    }
  }

  #logWithheld(pod: AuthenticatedPod, built: BuiltConfig): void {
    for (const { policy, errors } of built.withheld) {
      this.#options.logger.warn(
        { pod: `${pod.namespace}/${pod.name}`, policy, errors: errors.map((e) => `${e.rule ?? ''} ${e.field ?? ''}: ${e.message ?? ''}`) },
        'policy has rule errors and is not served',
      );
    }
  }
}
