/**
 * The sidecar as an injected one runs in a cluster, in a process of its own for the benchmark:
 * broker mode (startBrokerSidecar, what `sidecar/src/main.ts --broker` starts) — config, policies,
 * masking key and credentials from the operator's broker over HTTPS, authenticated by a token
 * bound to a pod, and every recording batch posted to the broker's ingest before the statement goes
 * on (the Target's recording.onStoreFailure is Block). The real SQL classifier, logger at 'warn',
 * the same connect limits as the static sidecar (sidecar-process.ts) so the two differ only in
 * where config and recordings come from and go to. Started with sidecarNodeFlags by the driver.
 *
 * Speaks the line protocol of sidecar-process-protocol.ts: prints {"port", "pid"} once the first
 * config arrived and the Target's listener is up, then answers "stats" and stops on "exit".
 *
 * Usage: node bench/src/broker-sidecar-process.ts '<json BrokerSidecarProcessConfig>'
 */
import { createLogger } from '@airlock/runtime';
import { SqlClassifier, startBrokerSidecar } from '@airlock/sidecar';
import { serveSidecarProcess } from './sidecar-process-protocol.ts';

export interface BrokerSidecarProcessConfig {
  /** https://127.0.0.1:<port> of the operator's broker. */
  readonly brokerUrl: string;
  /** The CA of the broker's serving certificate (the operator's trust bundle). */
  readonly caPem: string;
  /** A file with a service-account token, audience airlock, bound to the agent pod. */
  readonly tokenFile: string;
  /** The Target whose listener the benchmark connects to. */
  readonly target: string;
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: broker-sidecar-process.ts <json config>');
  const cfg = JSON.parse(raw) as BrokerSidecarProcessConfig;
  const { sidecar, close } = await startBrokerSidecar({
    broker: { url: cfg.brokerUrl, caPem: cfg.caPem, tokenFile: cfg.tokenFile },
    classifier: await SqlClassifier.create(),
    logger: createLogger({ level: 'warn' }),
    listenHost: '127.0.0.1',
    // Port 0 instead of the Target's localPort: the benchmark needs no fixed one, and two runs never collide.
    ports: { [cfg.target]: 0 },
    limits: { connectTimeoutMs: 5000, startupTimeoutMs: 5000 },
    signal: AbortSignal.timeout(60_000),
  });
  const port = sidecar.ports[cfg.target];
  if (port === undefined) {
    await close();
    throw new Error(`the broker's config has no Target ${cfg.target} for this pod; check its AgentIdentity`);
  }
  serveSidecarProcess(port, () => close());
}

main().catch((error: unknown) => {
  process.stderr.write(`broker-sidecar-process: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
