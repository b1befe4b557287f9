/**
 * The floor of the PostgreSQL benchmark: the smallest honest Node.js TCP relay, in a process of
 * its own started with the sidecar's node binary and flags. Each agent connection gets a new
 * upstream connection to PostgreSQL and the two sockets are piped both ways with Nagle off, with
 * no parsing, policy, recording or metrics. Its CPU per transaction is the cost of being a Node
 * process in the path at all, which the sidecar's numbers are compared with (issue 17).
 *
 * Usage: node bench/src/floor-relay.ts '<json FloorRelayConfig>'
 * Speaks the benchmark sidecars' line protocol (sidecar-process-protocol.ts): {"port", "pid"},
 * then "stats" and "exit" on stdin.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { serveSidecarProcess } from './sidecar-process-protocol.ts';

export interface FloorRelayConfig {
  readonly upstream: { readonly host: string; readonly port: number };
}

function relay(agent: Socket, upstreamAddress: FloorRelayConfig['upstream']): void {
  const upstream = connect({ host: upstreamAddress.host, port: upstreamAddress.port, noDelay: true });
  agent.setNoDelay(true);
  agent.pipe(upstream);
  upstream.pipe(agent);
  // Either side ending or failing ends the pair, as a relay without its peer has nothing to do.
  const destroyBoth = (): void => {
    agent.destroy();
    upstream.destroy();
  };
  agent.once('error', destroyBoth).once('close', destroyBoth);
  upstream.once('error', destroyBoth).once('close', destroyBoth);
}

function listen(config: FloorRelayConfig): Promise<Server> {
  const server = createServer((agent) => relay(agent, config.upstream));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: floor-relay.ts <json {"upstream": {"host", "port"}}>');
  const server = await listen(JSON.parse(raw) as FloorRelayConfig);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  serveSidecarProcess(port, async () => {
    server.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`floor-relay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
