export { type Backoff, backoffDelay, cappedDelay, DEFAULT_BACKOFF, pause } from './backoff.ts';
export { appendOpenFlags, type FsyncMode } from './durable-append.ts';
export { type HealthServer, type HealthServerOptions, type Readiness, startHealthServer } from './health-server.ts';
export { boundPort, listen } from './listen.ts';
export { createLogger, type LoggerOptions, REDACT_PATHS, REDACTED } from './logger.ts';
export { syncDirectory } from './sync-directory.ts';
