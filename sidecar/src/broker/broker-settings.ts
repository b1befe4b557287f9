/**
 * The sidecar's settings in broker mode, from the environment the operator's webhook injects.
 * Every problem is listed at once; main exits 2 with them.
 */
import { readFileSync } from 'node:fs';
import { DELEGATION_ENV } from '@airlock/contracts/install';
import { DEFAULT_SHUTDOWN_GRACE_MS, MAX_SHUTDOWN_GRACE_MS } from '@airlock/contracts/sidecar-process';
import { isPlainPath } from '@airlock/contracts/targets';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

export interface BrokerSettings {
  readonly brokerUrl: string;
  readonly caPem: string;
  readonly tokenFile: string;
  readonly listenHost: string;
  readonly health: { readonly host: string; readonly port: number };
  readonly logLevel: LogLevel;
  /** SIGTERM: how long in-flight statements may take to finish (AIRLOCK_SHUTDOWN_GRACE_MS). */
  readonly shutdownGraceMs: number;
  /** The config volume shared with the agents (AIRLOCK_CONFIG_DIR); absent when the pod has none. */
  readonly configDir?: string;
  /**
   * Where agents ask for a sub-agent's token, on listenHost (AIRLOCK_DELEGATION_PORT, injected only
   * where an identity of the pod may delegate); absent: no delegation endpoint.
   */
  readonly delegationPort?: number;
}

export class BrokerSettingsError extends Error {
  readonly code = 'InvalidSettings';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid sidecar settings (broker mode):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'BrokerSettingsError';
    this.problems = problems;
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Reads AIRLOCK_* variables (and the CA and token files they name). Throws BrokerSettingsError. */
export function brokerSettingsFromEnv(env: NodeJS.ProcessEnv, readFile: (path: string) => string = readUtf8): BrokerSettings {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const text = env[name]?.trim();
    return text === '' ? undefined : text;
  };

  const brokerUrl = value('AIRLOCK_BROKER_URL');
  if (brokerUrl === undefined) problems.push('AIRLOCK_BROKER_URL is not set: the https:// URL of the operator broker');
  else if (!URL.canParse(brokerUrl) || new URL(brokerUrl).protocol !== 'https:')
    problems.push(`AIRLOCK_BROKER_URL=${brokerUrl} is not an https:// URL`);

  let caPem = value('AIRLOCK_BROKER_CA');
  const caFile = value('AIRLOCK_BROKER_CA_FILE');
  if (caPem !== undefined && caFile !== undefined) problems.push('set AIRLOCK_BROKER_CA or AIRLOCK_BROKER_CA_FILE, not both');
  else if (caPem === undefined && caFile !== undefined) {
    try {
      caPem = readFile(caFile);
    } catch (error) {
      problems.push(
        `AIRLOCK_BROKER_CA_FILE=${caFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      );
    }
  } else if (caPem === undefined) {
    problems.push('AIRLOCK_BROKER_CA (PEM) or AIRLOCK_BROKER_CA_FILE is not set: the CA that signs the broker certificate');
  }
  if (caPem !== undefined && !PEM_CERTIFICATE.test(caPem))
    problems.push('the broker CA is not a PEM certificate (-----BEGIN CERTIFICATE-----)');

  const tokenFile = value('AIRLOCK_TOKEN_FILE');
  if (tokenFile === undefined) problems.push('AIRLOCK_TOKEN_FILE is not set: the projected service-account token (audience airlock)');
  else {
    try {
      if (readFile(tokenFile).trim() === '') problems.push(`AIRLOCK_TOKEN_FILE=${tokenFile} is empty`);
    } catch (error) {
      problems.push(`AIRLOCK_TOKEN_FILE=${tokenFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }

  const listenHost = value('AIRLOCK_LISTEN_HOST') ?? '127.0.0.1';
  const healthHost = value('AIRLOCK_HEALTH_HOST') ?? '0.0.0.0';
  const portText = value('AIRLOCK_HEALTH_PORT') ?? '15021';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) problems.push(`AIRLOCK_HEALTH_PORT=${portText} is not a port number (0-65535)`);

  const level = (value('AIRLOCK_LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(level as LogLevel)) problems.push(`AIRLOCK_LOG_LEVEL=${level} is not one of ${LOG_LEVELS.join(', ')}`);

  const graceText = value('AIRLOCK_SHUTDOWN_GRACE_MS') ?? String(DEFAULT_SHUTDOWN_GRACE_MS);
  const shutdownGraceMs = Number(graceText);
  if (!/^\d+$/.test(graceText) || shutdownGraceMs > MAX_SHUTDOWN_GRACE_MS)
    problems.push(`AIRLOCK_SHUTDOWN_GRACE_MS=${graceText} is not a number of milliseconds (0-${MAX_SHUTDOWN_GRACE_MS})`);

  // Written into the agents' ssh_config as it is, so only a plain absolute path.
  const configDir = value('AIRLOCK_CONFIG_DIR')?.replace(/(?<=.)\/+$/, '');
  if (configDir !== undefined && !isPlainPath(configDir))
    problems.push(`AIRLOCK_CONFIG_DIR=${configDir} is not an absolute path of letters, digits, '.', '_', '-' and '/'`);

  const delegationText = value(DELEGATION_ENV.sidecarPort);
  const delegationPort = delegationText === undefined ? undefined : Number(delegationText);
  if (delegationText !== undefined && (!/^\d+$/.test(delegationText) || delegationPort === 0 || (delegationPort as number) > 65535))
    problems.push(`${DELEGATION_ENV.sidecarPort}=${delegationText} is not a port number (1-65535)`);

  if (problems.length > 0) throw new BrokerSettingsError(problems);
  return {
    brokerUrl: brokerUrl as string,
    caPem: caPem as string,
    tokenFile: tokenFile as string,
    listenHost,
    health: { host: healthHost, port },
    logLevel: level as LogLevel,
    shutdownGraceMs,
    ...(configDir === undefined ? {} : { configDir }),
    ...(delegationPort === undefined ? {} : { delegationPort }),
  };
}

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}
