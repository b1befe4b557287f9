/** The broker's metrics, registered on the operator's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type StreamKind = 'config' | 'outcome';

export interface BrokerMetrics {
  readonly connections: Gauge<'stream'>;
  readonly requests: Counter<'route' | 'code'>;
  readonly recordingGaps: Counter<'namespace'>;
  /** Tokens agents presented, by outcome: accepted, or the AgentTokenRefusal reason. */
  readonly agentTokens: Counter<'outcome'>;
  /** Tokens handed to sub-agents, by outcome: granted, or why refused. */
  readonly delegations: Counter<'outcome'>;
}

export function createBrokerMetrics(registry: Registry): BrokerMetrics {
  return {
    connections: new Gauge({
      name: 'airlock_operator_broker_connections',
      help: 'Open broker streams, by stream (config, outcome).',
      labelNames: ['stream'],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'airlock_operator_broker_requests_total',
      help: 'Broker requests, by route and HTTP status code.',
      labelNames: ['route', 'code'],
      registers: [registry],
    }),
    recordingGaps: new Counter({
      name: 'airlock_operator_broker_recording_gaps_total',
      help: 'Recording batches stored after records the sidecar gave up (onStoreFailure Continue).',
      labelNames: ['namespace'],
      registers: [registry],
    }),
    agentTokens: new Counter({
      name: 'airlock_operator_broker_agent_tokens_total',
      help: 'OIDC tokens agents presented (agent-tokens, approvals, credentials), by outcome: accepted, or why refused (Expired, NoIdentity, NotForThisPod, IssuerUnavailable, ...).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    delegations: new Counter({
      name: 'airlock_operator_broker_delegations_total',
      help: 'Delegated tokens parents asked for their sub-agents, by outcome: granted, or why refused (DelegationNotAllowed, DelegationTooDeep, DelegationTooBroad, Invalid, ...).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
