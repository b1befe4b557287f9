export { type HealthServer, type HealthServerOptions, type Readiness, startHealthServer } from './health-server.ts';
export { createLogger, type LoggerOptions, REDACT_PATHS, REDACTED } from './logger.ts';
export {
  APPROVAL_WAIT_BUCKETS,
  createSidecarMetrics,
  type MetricProtocol,
  type SidecarMetrics,
  type SidecarMetricsOptions,
} from './metrics.ts';
