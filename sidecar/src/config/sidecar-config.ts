/**
 * The sidecar's own settings, read once at start. Validated with ajv against the schema below,
 * and the Targets and ApprovalPolicies it carries (static mode) against the real CRD schema,
 * CEL rules included, so a bad field is named the same way `kubectl apply` would name it.
 */

import { DEFAULT_SHUTDOWN_GRACE_MS, MAX_SHUTDOWN_GRACE_MS } from '@airlock/contracts/sidecar-process';
import type { StaticCredentials } from '../in-process/static-credentials.ts';
import { DEFAULT_PG_LIMITS, type PgLimits } from '../protocols/postgres/limits/pg-limits.ts';

export interface SidecarSettings {
  /** Listeners bind here: the pod's loopback. */
  readonly listenHost: string;
  readonly health: { readonly host: string; readonly port: number };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Every field documented in the sidecar README's limits table. */
  readonly limits: PgLimits;
  readonly recording: { readonly directory: string };
  /** SIGTERM: in-flight statements get this long to finish (runtime/shutdown-grace.ts). */
  readonly shutdown: { readonly graceMs: number };
  /** static: everything below comes from this file (tests, local runs). The operator-backed mode comes with the operator. */
  readonly controlPlane: { readonly mode: 'static'; readonly static: StaticControlPlane };
}

export interface StaticControlPlane {
  readonly principal: {
    readonly identity: string;
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly pod: { readonly name: string; readonly uid: string };
    readonly groups?: readonly string[];
    readonly labels?: Readonly<Record<string, string>>;
  };
  /** Target objects, as applied to the cluster. */
  readonly targets: readonly unknown[];
  /** ApprovalPolicy objects, as applied to the cluster. */
  readonly policies: readonly unknown[];
  /**
   * Credentials by target name: postgres username and password (and caBundle), ssh username and
   * privateKey or password, kubernetes server and token (and caBundle). Static mode only: with the operator, credentials are fetched just in time.
   */
  readonly credentials: Readonly<Record<string, StaticCredentials>>;
  /** Masking hash keys by `<secret>/<key>`. */
  readonly maskingKeys?: Readonly<Record<string, string>>;
  /** When set, agents must send one of these tokens as their password. */
  readonly agentTokens?: readonly string[];
}

const str = (maxLength = 253) => ({ type: 'string', minLength: 1, maxLength }) as const;
const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum }) as const;

export const SETTINGS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['controlPlane'],
  properties: {
    listenHost: { ...str(), default: '127.0.0.1' },
    health: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { host: { ...str(), default: '127.0.0.1' }, port: { ...int(0, 65535), default: 15021 } },
    },
    logLevel: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace'], default: 'info' },
    limits: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        maxFrameBytes: { ...int(1024, 1024 ** 3), default: DEFAULT_PG_LIMITS.maxFrameBytes },
        maxStatementBytes: { ...int(1024, 256 * 1024 * 1024), default: DEFAULT_PG_LIMITS.maxStatementBytes },
        connectTimeoutMs: { ...int(100, 600_000), default: DEFAULT_PG_LIMITS.connectTimeoutMs },
        startupTimeoutMs: { ...int(100, 600_000), default: DEFAULT_PG_LIMITS.startupTimeoutMs },
        maxConnections: { ...int(1, 100_000), default: DEFAULT_PG_LIMITS.maxConnections },
        maxStartupConnections: { ...int(1, 100_000), default: DEFAULT_PG_LIMITS.maxStartupConnections },
        acceptRatePerSecond: { ...int(1, 1_000_000), default: DEFAULT_PG_LIMITS.acceptRatePerSecond },
        maxPendingBytes: { ...int(64 * 1024, 1024 ** 3), default: DEFAULT_PG_LIMITS.maxPendingBytes },
        partialFrameTimeoutMs: { ...int(0, 3_600_000), default: DEFAULT_PG_LIMITS.partialFrameTimeoutMs },
        idleSessionTimeoutMs: { ...int(0, 7 * 86_400_000), default: DEFAULT_PG_LIMITS.idleSessionTimeoutMs },
        idleInTransactionTimeoutMs: { ...int(0, 7 * 86_400_000), default: DEFAULT_PG_LIMITS.idleInTransactionTimeoutMs },
        keepAliveMs: { ...int(0, 7_200_000), default: DEFAULT_PG_LIMITS.keepAliveMs },
        maxPreparedStatements: { ...int(1, 1_000_000), default: DEFAULT_PG_LIMITS.maxPreparedStatements },
        maxPortals: { ...int(1, 1_000_000), default: DEFAULT_PG_LIMITS.maxPortals },
        maxPreparedBytes: { ...int(1024, 1024 ** 3), default: DEFAULT_PG_LIMITS.maxPreparedBytes },
      },
    },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { graceMs: { ...int(0, MAX_SHUTDOWN_GRACE_MS), default: DEFAULT_SHUTDOWN_GRACE_MS } },
    },
    recording: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { directory: { ...str(4096), default: '/var/run/airlock/recordings' } },
    },
    controlPlane: {
      type: 'object',
      additionalProperties: false,
      required: ['mode', 'static'],
      properties: {
        mode: { const: 'static' },
        static: {
          type: 'object',
          additionalProperties: false,
          required: ['principal', 'targets', 'policies', 'credentials'],
          properties: {
            principal: {
              type: 'object',
              additionalProperties: false,
              required: ['identity', 'namespace', 'serviceAccount', 'pod'],
              properties: {
                identity: str(),
                namespace: str(63),
                serviceAccount: str(),
                pod: { type: 'object', additionalProperties: false, required: ['name', 'uid'], properties: { name: str(), uid: str() } },
                groups: { type: 'array', items: str(63), maxItems: 64 },
                labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
              },
            },
            targets: { type: 'array', items: { type: 'object' }, maxItems: 64 },
            policies: { type: 'array', items: { type: 'object' }, maxItems: 256 },
            credentials: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                additionalProperties: false,
                // Which fields a target needs depends on its type (static-credentials.ts checks them per target).
                properties: {
                  username: str(),
                  password: { type: 'string', maxLength: 4096 },
                  privateKey: { type: 'string', minLength: 1, maxLength: 64 * 1024 },
                  caBundle: { type: 'string', maxLength: 1024 * 1024 },
                  server: { type: 'string', minLength: 1, maxLength: 2048, pattern: '^https://' },
                  token: { type: 'string', minLength: 1, maxLength: 16384 },
                },
              },
            },
            maskingKeys: { type: 'object', additionalProperties: { type: 'string', minLength: 16, maxLength: 4096 } },
            agentTokens: { type: 'array', items: str(16384), maxItems: 64 },
          },
        },
      },
    },
  },
} as const;
