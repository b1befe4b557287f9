/**
 * The sidecar wired to the operator's broker: config pushed from the broker (the listeners start
 * only after the first one), credentials fetched per connection, approvals and recordings through
 * the broker, pod identity for agents. main.ts --broker and the operator's integration tests start
 * it this way.
 */

import type { Backoff } from '@airlock/runtime';
import { DEFAULT_PG_LIMITS } from '../protocols/postgres/limits/pg-limits.ts';
import { type CloseOptions, type RunningSidecar, type SidecarDeps, type SidecarRunOptions, startSidecar } from '../sidecar.ts';
import { BrokerApprovalGate } from './broker-approval-gate.ts';
import { BrokerClient, type BrokerClientOptions } from './broker-client.ts';
import { BrokerConfigSource } from './broker-config-source.ts';
import { BrokerCredentialSource } from './broker-credential-source.ts';
import { BrokerRecordingStore } from './broker-recording-store.ts';
import { PodIdentityAuthenticator } from './pod-identity-authenticator.ts';

export interface BrokerSidecarOptions extends SidecarRunOptions {
  readonly broker: BrokerClientOptions;
  readonly registry?: SidecarDeps['registry'];
  /** Between re-opened streams (default 200 ms doubling to 10 s). */
  readonly backoff?: Backoff;
  /** Gives up waiting for the first config. */
  readonly signal?: AbortSignal;
}

export interface BrokerSidecar {
  readonly sidecar: RunningSidecar;
  readonly config: BrokerConfigSource;
  readonly gate: BrokerApprovalGate;
  readonly client: BrokerClient;
  /** Stops the listeners, settles waiting approvals Withdrawn, stops following the config. */
  close(options?: CloseOptions): Promise<void>;
}

export async function startBrokerSidecar(options: BrokerSidecarOptions): Promise<BrokerSidecar> {
  const { logger } = options;
  const client = new BrokerClient(options.broker);
  const backoff = options.backoff ? { backoff: options.backoff } : {};
  let config: BrokerConfigSource | undefined;
  try {
    config = await BrokerConfigSource.connect(client, {
      logger: logger.child({ seam: 'config' }),
      ...backoff,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const gate = new BrokerApprovalGate(client, { logger: logger.child({ seam: 'approvals' }), ...backoff });
    const sidecar = await startSidecar({
      config,
      credentials: new BrokerCredentialSource(client),
      authenticator: new PodIdentityAuthenticator(config),
      gate,
      recordings: new BrokerRecordingStore(client),
      postgres: {
        classify: (text) => options.classifier.classify(text),
        limits: { ...DEFAULT_PG_LIMITS, ...options.limits },
      },
      logger,
      listenHost: options.listenHost,
      ...(options.ports ? { ports: options.ports } : {}),
      ...(options.health ? { health: options.health } : {}),
      ...(options.registry ? { registry: options.registry } : {}),
      ...(options.recorderOptions ? { recorderOptions: options.recorderOptions } : {}),
      ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
    });
    const source = config;
    return {
      sidecar,
      config: source,
      gate,
      client,
      close: async (options) => {
        gate.close();
        await sidecar.close(options);
        await source.close();
        client.close();
      },
    };
  } catch (error) {
    await config?.close();
    client.close();
    throw error;
  }
}
