/**
 * `node sidecar/src/main.ts --config FILE`: reads and validates the settings, wires the in-process
 * seams (static mode), starts the listeners and the health server, and stops cleanly on SIGTERM
 * and SIGINT. Exit codes: 0 after a clean stop, 2 for invalid settings, 1 for anything else.
 */
import { parseArgs } from 'node:util';
import { InProcessApprovalGate } from './approval/in-process-gate.ts';
import { loadSettingsFile, SettingsError } from './config/load-settings.ts';
import { StaticAuthenticator } from './in-process/static-authenticator.ts';
import { StaticConfigSource } from './in-process/static-config.ts';
import { StaticCredentialSource } from './in-process/static-credentials.ts';
import { createLogger } from './observability/logger.ts';
import { FileRecordingStore } from './recording/file-sink.ts';
import { startSidecar } from './sidecar.ts';
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
  const gate = new InProcessApprovalGate();
  gate.onRequest((request) =>
    logger.warn(
      { approvalRequest: request.name, namespace: request.namespace, summary: request.spec.operation.summary },
      'statement held for approval',
    ),
  );
  const tokens = agentTokens ? Object.fromEntries(agentTokens.map((token) => [token, config.principal])) : undefined;
  const sidecar = await startSidecar({
    config: new StaticConfigSource(config),
    credentials: new StaticCredentialSource(credentials),
    authenticator: new StaticAuthenticator(config.principal, tokens),
    gate,
    recordings: new FileRecordingStore({ directory: settings.recording.directory }),
    classify: (text) => classifier.classify(text),
    logger,
    listenHost: settings.listenHost,
    limits: settings.limits,
    health: settings.health,
  });
  logger.info({ ports: sidecar.ports, health: sidecar.health?.url }, 'airlock sidecar ready');
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info('stopping');
  gate.close();
  await sidecar.close();
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
