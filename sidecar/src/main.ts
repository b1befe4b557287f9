/**
 * `node sidecar/src/main.ts --config FILE` (static mode: the in-process seams from a settings file)
 * or `--broker` (the operator's broker: settings from AIRLOCK_* variables, config pushed by the
 * broker). Starts the listeners and the health server, and stops cleanly on SIGTERM and SIGINT.
 * Exit codes: 0 after a clean stop, 2 for invalid settings, 1 for anything else.
 */
import { parseArgs } from 'node:util';
import { missingNodeFlags } from '@airlock/contracts/sidecar-process';
import { createLogger } from '@airlock/runtime';
import sidecarPackage from '../package.json' with { type: 'json' };
import { BrokerSettingsError, brokerSettingsFromEnv } from './broker/broker-settings.ts';
import { startBrokerSidecar } from './broker/broker-sidecar.ts';
import { loadSettingsFile, SettingsError } from './config/load-settings.ts';
import { startStaticSidecar } from './in-process/static-sidecar.ts';
import { SqlClassifier } from './protocols/postgres/sql/classifier.ts';
import { exitIfStillRunning, FLUSH_ALLOWANCE_MS, stopSignal } from './runtime/stop-signal.ts';

const USAGE = `usage: airlock-sidecar --config FILE | --broker | --version
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
                    AIRLOCK_SHUTDOWN_GRACE_MS on SIGTERM, how long in-flight statements may take (default 15000)
                    AIRLOCK_CONFIG_DIR        the config volume shared with the agents: ssh_config and known_hosts
                                              for their SSH tools and the kubeconfig for their Kubernetes
                                              clients go there (default: none, nothing is written)
                    AIRLOCK_DELEGATION_PORT   serve POST /v1/delegations on AIRLOCK_LISTEN_HOST at this port, where
                                              agents ask for a sub-agent's token (default: none, not served)
  --version       print the version and exit
Run it as \`node --liftoff-only --max-semi-space-size=8 [--max-old-space-size=MiB] main.ts ...\`
(see the sidecar README, Memory): without --liftoff-only the first statements cost ~600 MB.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      broker: { type: 'boolean' },
      version: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`airlock-sidecar ${sidecarPackage.version}\n`);
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
  warnAboutFlags(logger);
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
  const stopping = stopSignal();
  logger.info({ ports: sidecar.ports, health: sidecar.health?.url }, 'airlock sidecar ready');
  const signal = await stopping;
  const graceMs = settings.shutdown.graceMs;
  logger.info({ signal, graceMs }, 'stopping: no new connections, in-flight statements may finish');
  exitIfStillRunning(graceMs + FLUSH_ALLOWANCE_MS, logger);
  await close({ graceMs });
  logger.info('stopped');
  return 0;
}

function warnAboutFlags(logger: ReturnType<typeof createLogger>): void {
  const missing = missingNodeFlags(process.execArgv);
  if (missing.length > 0) {
    logger.warn(
      { missing },
      'started without the Node flags that keep the sidecar inside its memory limit (sidecar README, Memory): expect ~600 MB after the first statements',
    );
  }
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
  warnAboutFlags(logger);
  const classifier = await SqlClassifier.create();
  const stopping = new AbortController();
  const stop = stopSignal().then((signal) => {
    stopping.abort();
    return signal;
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
      ...(settings.configDir === undefined ? {} : { configDir: settings.configDir }),
      ...(settings.delegationPort === undefined ? {} : { delegation: { port: settings.delegationPort } }),
      signal: stopping.signal,
    });
  } catch (error) {
    if (stopping.signal.aborted) {
      logger.info('stopped before the first config arrived');
      return 0;
    }
    throw error;
  }
  logger.info(
    { ports: started.sidecar.ports, health: started.sidecar.health?.url, delegationPort: started.delegation?.port },
    'airlock sidecar ready',
  );
  const signal = await stop;
  logger.info({ signal, graceMs: settings.shutdownGraceMs }, 'stopping: no new connections, in-flight statements may finish');
  exitIfStillRunning(settings.shutdownGraceMs + FLUSH_ALLOWANCE_MS, logger);
  await started.close({ graceMs: settings.shutdownGraceMs });
  logger.info('stopped');
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
