/**
 * The open outcome streams: each waits for one ApprovalRequest of its pod. The informer pushes
 * every change of the request; the stream sends `pending` when the approvals count moves and the
 * outcome as soon as the request is decided, then ends. A deleted request ends its streams with
 * an Expired outcome that says so; a deleted pod ends its streams without one.
 */
import type { ServerResponse } from 'node:http';
import type { ApprovalRequest } from '@airlock/crds';
import type { Logger } from 'pino';
import type { Informer } from '../kube/informer.ts';
import { deletedOutcome, outcomeState } from './approval-outcome.ts';
import { type ApprovalContext, ownRequest } from './approval-routes.ts';
import type { BrokerMetrics } from './broker-metrics.ts';
import { BrokerHttpError } from './http-io.ts';
import { NdjsonStream, type NdjsonStreamOptions } from './ndjson-stream.ts';
import type { AuthenticatedPod, PodObject } from './pod-authenticator.ts';

export interface OutcomeStreamsOptions {
  readonly context: ApprovalContext;
  readonly pods?: Informer<PodObject>;
  readonly logger: Logger;
  readonly metrics: BrokerMetrics;
  readonly stream: NdjsonStreamOptions;
}

interface Entry {
  readonly podUid: string;
  readonly name: string;
  readonly stream: NdjsonStream;
  last: string;
}

export class OutcomeStreams {
  readonly #options: OutcomeStreamsOptions;
  /** By `<namespace>/<name>` of the request. */
  readonly #byRequest = new Map<string, Set<Entry>>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: OutcomeStreamsOptions) {
    this.#options = options;
    this.#unsubscribe.push(
      options.context.catalog.requestInformer.onChange((event, request) => this.#requestChanged(event === 'delete', request)),
    );
    if (options.pods) {
      this.#unsubscribe.push(
        options.pods.onChange((event, pod) => {
          if (event === 'delete' || pod.metadata?.deletionTimestamp) this.#podGone(pod.metadata?.uid ?? '');
        }),
      );
    }
  }

  /** Streams the outcome of the caller's request `name`. Throws BrokerHttpError (before writing) for NotFound, Forbidden, Conflict. */
  async open(pod: AuthenticatedPod, name: string, response: ServerResponse): Promise<void> {
    const request = await ownRequest(this.#options.context, pod, name, false);
    const state = outcomeState(request);
    if (state.kind === 'ran') {
      throw new BrokerHttpError(
        'Conflict',
        `ApprovalRequest ${name} is ${state.phase}: its approval was used; send the statement again to ask for a new one`,
      );
    }
    const stream = new NdjsonStream(response, this.#options.stream);
    if (state.kind === 'decided') {
      stream.end(state.line);
      return;
    }
    stream.send(state.line);
    const key = `${pod.namespace}/${name}`;
    const entry: Entry = { podUid: pod.uid, name, stream, last: JSON.stringify(state.line) };
    const entries = this.#byRequest.get(key) ?? new Set<Entry>();
    this.#byRequest.set(key, entries);
    entries.add(entry);
    this.#options.metrics.connections.inc({ stream: 'outcome' });
    void stream.closed.then(() => {
      entries.delete(entry);
      if (entries.size === 0 && this.#byRequest.get(key) === entries) this.#byRequest.delete(key);
      this.#options.metrics.connections.dec({ stream: 'outcome' });
    });
    // The informer may have moved on while the first line was computed from an API read.
    const cached = this.#options.context.catalog.requestInformer.get(pod.namespace, name);
    if (cached) this.#evaluate(entry, cached);
  }

  close(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    for (const entries of this.#byRequest.values()) for (const entry of entries) entry.stream.end();
  }

  #requestChanged(deleted: boolean, request: ApprovalRequest): void {
    const entries = this.#byRequest.get(`${request.metadata.namespace}/${request.metadata.name}`);
    if (!entries) return;
    for (const entry of entries) {
      if (deleted) entry.stream.end(deletedOutcome(entry.name));
      else this.#evaluate(entry, request);
    }
  }

  #evaluate(entry: Entry, request: ApprovalRequest): void {
    const state = outcomeState(request);
    if (state.kind === 'ran') {
      entry.stream.end();
    } else if (state.kind === 'decided') {
      this.#options.logger.debug({ approvalRequest: entry.name, line: state.line }, 'outcome pushed');
      entry.stream.end(state.line);
    } else {
      const serialized = JSON.stringify(state.line);
      if (serialized !== entry.last) {
        entry.last = serialized;
        entry.stream.send(state.line);
      }
    }
  }

  #podGone(uid: string): void {
    for (const entries of this.#byRequest.values()) for (const entry of entries) if (entry.podUid === uid) entry.stream.end();
  }
}
