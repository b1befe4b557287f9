/**
 * The broker's side of an NDJSON stream: one JSON object per line, a heartbeat line every
 * `heartbeatMs`, and an end after `maxMs` so the sidecar re-opens it and re-authenticates with its
 * current token. `closed` resolves when the stream ends for any reason (ended here, the sidecar
 * went away), so the owner drops its subscriptions.
 */
import type { ServerResponse } from 'node:http';
import { NDJSON_CONTENT_TYPE } from '@airlock/contracts/broker';

export interface NdjsonStreamOptions {
  readonly heartbeatMs: number;
  readonly maxMs: number;
}

export class NdjsonStream {
  readonly closed: Promise<void>;
  readonly #response: ServerResponse;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #deadline: NodeJS.Timeout;
  #ended = false;

  constructor(response: ServerResponse, options: NdjsonStreamOptions) {
    this.#response = response;
    response.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE, 'cache-control': 'no-store' });
    response.flushHeaders();
    this.#heartbeat = setInterval(() => this.send({ type: 'heartbeat' }), options.heartbeatMs);
    // Jitter, so the streams opened together (an operator restart) do not all re-open together.
    this.#deadline = setTimeout(() => this.end(), options.maxMs * (0.9 + Math.random() * 0.1));
    this.closed = new Promise((resolve) => response.once('close', () => resolve()));
    void this.closed.then(() => this.#stopTimers());
  }

  get ended(): boolean {
    return this.#ended || this.#response.destroyed;
  }

  send(line: unknown): void {
    if (this.ended) return;
    this.#response.write(`${JSON.stringify(line)}\n`);
  }

  /** Sends `last` (if given) and ends the stream. */
  end(last?: unknown): void {
    if (this.ended) return;
    if (last !== undefined) this.send(last);
    this.#ended = true;
    this.#stopTimers();
    this.#response.end();
  }

  #stopTimers(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#deadline);
  }
}
