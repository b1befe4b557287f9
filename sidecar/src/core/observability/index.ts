export {
  createLogger,
  type HealthServer,
  type HealthServerOptions,
  type LoggerOptions,
  REDACT_PATHS,
  REDACTED,
  type Readiness,
  startHealthServer,
} from '@airlock/runtime';
export {
  APPROVAL_WAIT_BUCKETS,
  createSidecarMetrics,
  type MetricProtocol,
  type SidecarMetrics,
  type SidecarMetricsOptions,
} from './metrics.ts';
