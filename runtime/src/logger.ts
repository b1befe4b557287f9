/**
 * The sidecar's structured log: pino, JSON lines, level as a word, ISO timestamps. Redaction is a
 * safety net for credentials that reach a log call by accident; the rule stays that credentials
 * are never passed to the logger. pino's paths match one level of wildcard, so the list names the
 * shapes the sidecar's objects have (top level, one level down, HTTP headers).
 */
import { type DestinationStream, type Level, type Logger, pino } from 'pino';

export const REDACTED = '[REDACTED]';

export const REDACT_PATHS: readonly string[] = [
  'password',
  '*.password',
  'token',
  '*.token',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'secret',
  '*.secret',
  'privateKey',
  '*.privateKey',
  'credentials',
  '*.credentials',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'headers["proxy-authorization"]',
  '*.headers["proxy-authorization"]',
];

export interface LoggerOptions {
  readonly level: Level | 'silent';
  /** Default: stdout. Tests pass a stream they read. */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
  /** Fields on every line, next to component. */
  readonly base?: Readonly<Record<string, unknown>>;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { component: 'airlock-sidecar', ...options.base },
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}
