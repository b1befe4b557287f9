/**
 * `node sidecar/src/main.ts --config FILE`: reads and validates the settings, wires the in-process
 * seams (static mode), starts the listeners and the health server, and stops cleanly on SIGTERM
 * and SIGINT. Exit codes: 0 after a clean stop, 2 for invalid settings, 1 for anything else.
 */
import { parseArgs } from 'node:util';
import { loadSettingsFile, SettingsError } from './config/load-settings.ts';
import { startStaticSidecar } from './in-process/static-sidecar.ts';
import { createLogger } from './observability/logger.ts';
import { SqlClassifier } from './sql/classifier.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values.config) {
    process.stdout.write('usage: airlock-sidecar --config FILE\n');
    return values.help ? 0 : 2;
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

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`airlock sidecar failed: ${error.stack ?? error.message}\n`);
    process.exitCode = 1;
  },
);
