/** The admission webhooks' Prometheus metrics, registered on the registry the operator passes in. */
import { Counter, Histogram, type Registry } from 'prom-client';

/** One per path the API server calls (WEBHOOK_PATHS); `mutate-namespace-pods` is CI mode. */
export type WebhookName = 'mutate-pods' | 'mutate-namespace-pods' | 'validate-pods' | 'validate-pods-connect';

export interface WebhookMetrics {
  readonly duration: Histogram<'webhook'>;
  readonly rejections: Counter<'webhook' | 'code'>;
}

export function webhookMetrics(registry: Registry): WebhookMetrics {
  // Reuse what is registered already: two servers (tests, or a restart in-process) share one registry.
  const duration =
    (registry.getSingleMetric('airlock_operator_webhook_duration_seconds') as Histogram<'webhook'> | undefined) ??
    new Histogram({
      name: 'airlock_operator_webhook_duration_seconds',
      help: 'Time to answer one AdmissionReview, by webhook.',
      labelNames: ['webhook'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
  const rejections =
    (registry.getSingleMetric('airlock_operator_webhook_rejections_total') as Counter<'webhook' | 'code'> | undefined) ??
    new Counter({
      name: 'airlock_operator_webhook_rejections_total',
      help: 'Admission requests the webhooks refused, by webhook and reason code.',
      labelNames: ['webhook', 'code'],
      registers: [registry],
    });
  return { duration, rejections };
}
