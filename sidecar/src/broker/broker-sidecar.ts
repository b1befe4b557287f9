/**
 * The sidecar wired to the operator's broker: config pushed from the broker (the listeners start
 * only after the first one), credentials fetched per connection, approvals and recordings through
 * the broker; agents are the pod's identity or, where a Target's listener asks for one, the
 * identity of the token they present, which the broker verifies. Where asked (an identity of the
 * pod may delegate), the delegation endpoint too, through which agents get their sub-agents' tokens
 * from the broker. main.ts --broker and the operator's integration tests start it this way.
 */

import type { Backoff } from '@airlock/runtime';
import { DEFAULT_PG_LIMITS } from '../protocols/postgres/limits/pg-limits.ts';
import { type CloseOptions, type RunningSidecar, type SidecarDeps, type SidecarRunOptions, startSidecar } from '../sidecar.ts';
import { PresentedTokens } from './agent-tokens.ts';
import { BrokerAgentAuthenticator } from './broker-agent-authenticator.ts';
import { BrokerApprovalGate } from './broker-approval-gate.ts';
import { BrokerClient, type BrokerClientOptions } from './broker-client.ts';
import { BrokerConfigSource } from './broker-config-source.ts';
import { BrokerCredentialSource } from './broker-credential-source.ts';
import { BrokerRecordingStore } from './broker-recording-store.ts';
import { type DelegationListener, startDelegationListener } from './delegation-listener.ts';

export interface BrokerSidecarOptions extends SidecarRunOptions {
  readonly broker: BrokerClientOptions;
  readonly registry?: SidecarDeps['registry'];
  /** Between re-opened streams (default 200 ms doubling to 10 s). */
  readonly backoff?: Backoff;
  /** Gives up waiting for the first config. */
  readonly signal?: AbortSignal;
  /** Wall-clock milliseconds for the sessions and the agent-token cache (default Date.now). For tests. */
  readonly clock?: () => number;
  /** Serve the delegation endpoint on listenHost at this port (AIRLOCK_DELEGATION_PORT; 0: a free one). Absent: not at all. */
  readonly delegation?: { readonly port: number };
}

export interface BrokerSidecar {
  readonly sidecar: RunningSidecar;
  readonly config: BrokerConfigSource;
  readonly gate: BrokerApprovalGate;
  readonly client: BrokerClient;
  /** The delegation endpoint, when it was asked for. */
  readonly delegation: DelegationListener | undefined;
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
    // Which token each agent's principal came from: the credential and approval calls of its sessions send it along.
    const tokens = new PresentedTokens();
    const clock = options.clock ? { clock: options.clock } : {};
    const gate = new BrokerApprovalGate(client, { logger: logger.child({ seam: 'approvals' }), tokens, ...backoff, ...clock });
    // Before the sidecar, whose health server reports ready once it has started: an agent started
    // then finds the endpoint listening. Its grants are counted on the sidecar's metrics once they exist.
    let running: RunningSidecar | undefined;
    const delegation = options.delegation
      ? await startDelegationListener({
          host: options.listenHost,
          port: options.delegation.port,
          broker: client,
          logger: logger.child({ seam: 'delegation' }),
          metrics: { delegations: { inc: (labels, value) => running?.metrics.delegations.inc(labels, value) } },
        })
      : undefined;
    let sidecar: RunningSidecar;
    try {
      sidecar = await startSidecar({
        config,
        credentials: new BrokerCredentialSource(client, tokens),
        authenticator: new BrokerAgentAuthenticator({
          config,
          broker: client,
          tokens,
          logger: logger.child({ seam: 'agent-tokens' }),
          ...clock,
        }),
        gate,
        recordings: new BrokerRecordingStore(client),
        postgres: {
          classify: (text) => options.classifier.classify(text),
          limits: { ...DEFAULT_PG_LIMITS, ...options.limits },
        },
        logger,
        ...clock,
        listenHost: options.listenHost,
        ...(options.ports ? { ports: options.ports } : {}),
        ...(options.health ? { health: options.health } : {}),
        ...(options.registry ? { registry: options.registry } : {}),
        ...(options.recorderOptions ? { recorderOptions: options.recorderOptions } : {}),
        ...(options.configDir === undefined ? {} : { configDir: options.configDir }),
      });
    } catch (error) {
      gate.close();
      await delegation?.close();
      throw error;
    }
    running = sidecar;
    const source = config;
    return {
      sidecar,
      config: source,
      gate,
      client,
      delegation,
      close: async (options) => {
        gate.close();
        await Promise.all([sidecar.close(options), delegation?.close(options)]);
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
