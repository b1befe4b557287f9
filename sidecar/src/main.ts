/**
 * `node sidecar/src/main.ts --config FILE` (static mode: the in-process seams from a settings file)
 * or `--broker` (the operator's broker: settings from AIRLOCK_* variables, config pushed by the
 * broker). Starts the listeners and the health server, and stops cleanly on SIGTERM and SIGINT.
 * Exit codes: 0 after a clean stop, 2 for invalid settings, 1 for anything else.
 */
import { parseArgs } from 'node:util';
import { BrokerSettingsError, brokerSettingsFromEnv } from './broker/broker-settings.ts';
import { startBrokerSidecar } from './broker/broker-sidecar.ts';
import { loadSettingsFile, SettingsError } from './config/load-settings.ts';
import { startStaticSidecar } from './in-process/static-sidecar.ts';
import { createLogger } from './observability/logger.ts';
import { SqlClassifier } from './sql/classifier.ts';

const USAGE = `usage: airlock-sidecar --config FILE | --broker
  --config FILE   static mode: targets, policies and credentials from a settings file (tests, local runs)
  --broker        broker mode: everything from the operator's broker; settings from the environment:
                    AIRLOCK_BROKER_URL        https:// URL of the broker (required)
                    AIRLOCK_BROKER_CA         PEM CA of the broker certificate, or
                    AIRLOCK_BROKER_CA_FILE    a file with it (one of the two is required)
                    AIRLOCK_TOKEN_FILE        the projected service-account token, audience airlock (required)
                    AIRLOCK_LISTEN_HOST       where target listeners bind (default 127.0.0.1)
                    AIRLOCK_HEALTH_HOST       health and metrics address (default 0.0.0.0, for the kubelet's probes)
                    AIRLOCK_HEALTH_PORT       health and metrics port (default 15021)
                    AIRLOCK_LOG_LEVEL         fatal|error|warn|info|debug|trace (default info)
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, broker: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.broker && !values.config) return runBrokerMode();
  if (!values.config || values.broker) {
    process.stderr.write(USAGE);
    return 2;
  }
  let loaded: Awaited<ReturnType<typeof loadSettingsFile>>;
  try {
    loaded = await loadSettingsFile(values.config);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { settings, config, credentials, agentTokens } = loaded;
  const logger = createLogger({ level: settings.logLevel });
  const classifier = await SqlClassifier.create();
  const tokens = agentTokens ? Object.fromEntries(agentTokens.map((token) => [token, config.principal])) : undefined;
  const { sidecar, gate, close } = await startStaticSidecar({
    config,
    credentials,
    ...(tokens ? { agentTokens: tokens } : {}),
    recordings: { directory: settings.recording.directory, fsync: 'batch' },
    classifier,
    logger,
    listenHost: settings.listenHost,
    limits: settings.limits,
    health: settings.health,
  });
  gate.onRequest((request) =>
    logger.warn(
      { approvalRequest: request.name, namespace: request.namespace, summary: request.spec.operation.summary },
      'statement held for approval',
    ),
  );
  logger.info({ ports: sidecar.ports, health: sidecar.health?.url }, 'airlock sidecar ready');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info('stopping');
  await close();
  return 0;
}

async function runBrokerMode(): Promise<number> {
  let settings: ReturnType<typeof brokerSettingsFromEnv>;
  try {
    settings = brokerSettingsFromEnv(process.env);
  } catch (error) {
    if (error instanceof BrokerSettingsError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: settings.logLevel });
  const classifier = await SqlClassifier.create();
  const stopping = new AbortController();
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => {
      stopping.abort();
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  logger.info({ broker: settings.brokerUrl }, 'waiting for the config from the broker');
  let started: Awaited<ReturnType<typeof startBrokerSidecar>>;
  try {
    // Ready only after the first config: the listeners and the health server start once it is here.
    started = await startBrokerSidecar({
      broker: { url: settings.brokerUrl, caPem: settings.caPem, tokenFile: settings.tokenFile },
      classifier,
      logger,
      listenHost: settings.listenHost,
      health: settings.health,
      signal: stopping.signal,
    });
  } catch (error) {
    if (stopping.signal.aborted) {
      logger.info('stopped before the first config arrived');
      return 0;
    }
    throw error;
  }
  logger.info({ ports: started.sidecar.ports, health: started.sidecar.health?.url }, 'airlock sidecar ready');
  await stop;
  logger.info('stopping');
  await started.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`airlock sidecar failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
