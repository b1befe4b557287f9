/**
 * The operator's broker in a process of its own, for the benchmark: the operator's real program
 * (operator/src/main.ts, as the chart runs it: plain `node`, no flags), so the broker is exactly
 * the production one — startOperator's startBroker with FileIngestStore(--recordings), whose fsync
 * default is 'batch' (every batch O_DSYNC before the sidecar hears it is stored) — authenticated
 * as the operator's own service account. The bench cannot start the broker alone: the operator
 * package exports only its recordings store, and bench imports workspace packages only through
 * their exports (docs/layering.md). The price is that the process also serves the (unregistered,
 * so idle) admission webhooks and runs the informers, leader election and reconcilers, as every
 * operator replica does; broker-bench.ts measures that idle cost and reports it next to the figures.
 *
 * Speaks the line protocol of the sidecar processes (sidecar-process-handle.ts): prints
 * {"port": <broker port>, "pid": <operator pid>} once the operator is ready, answers "stats" with
 * the operator's CPU time and RSS read from /proc (broker-process-stats.ts), and on "exit", the end
 * of stdin, SIGTERM or SIGINT stops the operator (SIGTERM, as the kubelet does) and exits.
 *
 * Usage: node bench/src/broker-process.ts '<json BrokerProcessConfig>'
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { get } from 'node:http';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { operatorArgs } from '@airlock/testkit';
import { clockTicksPerSecond, readProcStats } from './broker-process-stats.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Below SidecarProcess.start()'s 30 s, so this process says why first. */
const READY_TIMEOUT_MS = 25_000;
/** Below SidecarProcess.stop()'s 5 s, after which it kills this process. */
const STOP_GRACE_MS = 4000;

export interface BrokerProcessConfig {
  /** kubeconfig of the operator's service account. */
  readonly kubeconfigPath: string;
  /** The operator's namespace (its Lease and certificate Secret live there). */
  readonly namespace: string;
  /** The ingest directory (FileIngestStore). */
  readonly recordingsDirectory: string;
  /** Free ports on 127.0.0.1. */
  readonly ports: { readonly webhook: number; readonly broker: number; readonly health: number };
  /** Default info, the operator's own default. */
  readonly logLevel?: string;
}

/** The operator's command line, as testkit's AirlockProcesses starts it, on loopback. */
function commandLine(config: BrokerProcessConfig): string[] {
  const { kubeconfigPath, namespace, recordingsDirectory, logLevel, ports } = config;
  return operatorArgs({ kubeconfigPath, namespace, recordingsDirectory, ...(logLevel ? { logLevel } : {}) }, ports, 'operator-bench');
}

const readyz = (port: number): Promise<boolean> =>
  new Promise((resolveReady) => {
    const request = get({ host: '127.0.0.1', port, path: '/readyz', timeout: 2000 }, (response) => {
      response.resume();
      resolveReady(response.statusCode === 200);
    });
    request.on('error', () => resolveReady(false));
    request.on('timeout', () => request.destroy());
  });

async function waitUntilReady(operator: ChildProcess, healthPort: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (operator.exitCode !== null || operator.signalCode !== null) {
      throw new Error(`the operator exited (${operator.exitCode ?? operator.signalCode}) before it was ready; its log is above`);
    }
    if (await readyz(healthPort)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the operator was not ready within ${READY_TIMEOUT_MS / 1000} s (health port ${healthPort}); its log is above`);
}

async function stopOperator(operator: ChildProcess): Promise<void> {
  if (operator.exitCode !== null || operator.signalCode !== null) return;
  const exited = new Promise<void>((r) => operator.once('exit', () => r()));
  operator.kill('SIGTERM');
  const timer = setTimeout(() => operator.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: broker-process.ts <json config>');
  const config = JSON.parse(raw) as BrokerProcessConfig;
  // The operator logs to stdout; this process's stdout is the protocol, so its log goes to stderr.
  const operator = spawn(process.execPath, commandLine(config), { cwd: REPO, stdio: ['ignore', 2, 2] });
  let closing: Promise<void> | undefined;
  const shutdown = (code: number): Promise<void> => {
    closing ??= (async () => {
      await stopOperator(operator);
      process.exit(code);
    })();
    return closing;
  };
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGINT', () => void shutdown(0));
  // From the start: a driver that dies while the operator starts closes stdin, and the operator goes too.
  const lines = createInterface({ input: process.stdin });
  lines.on('close', () => void shutdown(0));
  try {
    await waitUntilReady(operator, config.ports.health);
  } catch (error) {
    process.stderr.write(`broker-process: ${(error as Error).message}\n`);
    await shutdown(1);
    return;
  }
  operator.once('exit', (code, signal) => {
    if (closing) return;
    process.stderr.write(`broker-process: the operator exited (${code ?? signal}) while the benchmark ran\n`);
    process.exit(1);
  });
  const pid = operator.pid ?? 0;
  const ticks = clockTicksPerSecond();
  process.stdout.write(`${JSON.stringify({ port: config.ports.broker, pid })}\n`);
  lines.on('line', (line) => {
    const command = line.trim();
    if (command === 'stats' || command === 'gc') process.stdout.write(`${JSON.stringify({ stats: readProcStats(pid, ticks) })}\n`);
    else if (command === 'exit') void shutdown(0);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`broker-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
