/**
 * The sidecar's config from the broker's stream. connect() resolves with the first config; after
 * that the stream is kept open: when it ends or breaks it is re-opened with backoff, the last
 * config stays in force meanwhile (listeners keep serving with the policies they had), and
 * subscribers hear every config that differs from the one before.
 */

import { BROKER_PATHS } from '@airlock/contracts/broker';
import { type Backoff, backoffDelay, DEFAULT_BACKOFF, pause } from '@airlock/runtime';
import type { Logger } from 'pino';
import type { ConfigSource, SidecarConfig } from '../core/ports.ts';
import type { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';
import { isAgentPrincipal } from './principal-shape.ts';

export interface BrokerConfigSourceOptions {
  readonly logger: Logger;
  readonly backoff?: Backoff;
  /** Gives up waiting for the first config (connect rejects with Aborted). */
  readonly signal?: AbortSignal;
}

export class BrokerConfigSource implements ConfigSource {
  readonly #client: BrokerClient;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  readonly #listeners = new Set<(config: SidecarConfig) => void>();
  readonly #stop = new AbortController();
  #config: SidecarConfig | undefined;
  #serialized = '';
  #first: { resolve: () => void; reject: (error: Error) => void } | undefined;
  #loop: Promise<void> | undefined;

  private constructor(client: BrokerClient, options: BrokerConfigSourceOptions) {
    this.#client = client;
    this.#logger = options.logger;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /** Resolves once the broker sent the first config; keeps trying until then (close() gives up). */
  static async connect(client: BrokerClient, options: BrokerConfigSourceOptions): Promise<BrokerConfigSource> {
    const source = new BrokerConfigSource(client, options);
    const first = new Promise<void>((resolve, reject) => {
      source.#first = { resolve, reject };
    });
    source.#loop = source.#run();
    const giveUp = () => void source.close();
    options.signal?.addEventListener('abort', giveUp, { once: true });
    if (options.signal?.aborted) giveUp();
    try {
      await first;
    } finally {
      options.signal?.removeEventListener('abort', giveUp);
    }
    return source;
  }

  current(): SidecarConfig {
    if (!this.#config) throw new BrokerError('Unavailable', 'no config from the broker yet');
    return this.#config;
  }

  subscribe(listener: (config: SidecarConfig) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops following the stream; the last config stays readable. */
  async close(): Promise<void> {
    this.#stop.abort();
    this.#first?.reject(new BrokerError('Aborted', 'the config source was closed before the broker sent a config'));
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    let failures = 0;
    while (!signal.aborted) {
      let received = false;
      try {
        await this.#client.stream(
          BROKER_PATHS.config,
          (line) => {
            if (this.#accept(line)) received = true;
          },
          signal,
        );
        if (!signal.aborted) this.#logger.debug('config stream ended; re-opening');
      } catch (error) {
        const { code, message } = error as BrokerError;
        this.#logger.warn({ code, message }, this.#config ? 'config stream failed; keeping the last config' : 'cannot get the config yet');
      }
      failures = received ? 0 : failures + 1;
      if (failures > 0) await pause(backoffDelay(this.#backoff, failures), signal);
    }
  }

  /** Takes a config line; true when the line was a config. */
  #accept(line: unknown): boolean {
    if (!isObject(line) || line.type !== 'config') return false;
    if (!isSidecarConfig(line.config)) throw new BrokerError('BadResponse', 'the broker sent a config line without a valid config');
    const serialized = JSON.stringify(line.config);
    if (serialized === this.#serialized) return true;
    this.#config = line.config;
    this.#serialized = serialized;
    const first = this.#first;
    this.#first = undefined;
    if (first) {
      this.#logger.info(
        {
          identity: line.config.principal?.identity ?? '(none: every session presents a token)',
          targets: line.config.targets.map((t) => t.name),
          ...(line.config.tokenTargets ? { tokenTargets: line.config.tokenTargets } : {}),
        },
        'config received',
      );
      first.resolve();
      return true;
    }
    this.#logger.info(
      { targets: line.config.targets.map((t) => t.name), policies: line.config.policies.map((p) => p.name) },
      'config changed',
    );
    for (const listener of this.#listeners) {
      try {
        listener(line.config);
      } catch (error) {
        this.#logger.error({ err: { message: (error as Error).message } }, 'config listener failed');
      }
    }
    return true;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The shape the sidecar relies on; the broker builds it, this only catches a wrong peer. */
function isSidecarConfig(value: unknown): value is SidecarConfig {
  if (!isObject(value) || !isObject(value.maskingKeys)) return false;
  const { principal, tokenTargets } = value;
  return (
    (principal === undefined || isAgentPrincipal(principal)) &&
    (tokenTargets === undefined || (Array.isArray(tokenTargets) && tokenTargets.every((name) => typeof name === 'string'))) &&
    Array.isArray(value.targets) &&
    value.targets.every((target) => isObject(target) && typeof target.name === 'string' && isObject(target.spec)) &&
    Array.isArray(value.policies) &&
    value.policies.every((policy) => isObject(policy) && typeof policy.name === 'string' && isObject(policy.spec))
  );
}
