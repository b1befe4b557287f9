/** The broker's metrics, registered on the operator's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

export type StreamKind = 'config' | 'outcome';

export interface BrokerMetrics {
  readonly connections: Gauge<'stream'>;
  readonly requests: Counter<'route' | 'code'>;
  readonly recordingGaps: Counter<'namespace'>;
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
  };
}
