/**
 * The floor of the PostgreSQL benchmark: the smallest honest Node.js TCP relay, in a process of
 * its own started with the sidecar's node binary and flags. Each agent connection gets a new
 * upstream connection to PostgreSQL and the two sockets are piped both ways with Nagle off, with
 * no parsing, policy, recording or metrics. Its CPU per transaction is the cost of being a Node
 * process in the path at all, which the sidecar's numbers are compared with (issue 17).
 *
 * With `syncEachChunk` it is the synced floor: it also keeps the sidecar's "stored before
 * forwarded" promise (floor-relay-sync.ts), so the sidecar can be compared with a relay that pays
 * the same fdatasync per agent round trip.
 *
 * Usage: node bench/src/floor-relay.ts '<json FloorRelayConfig>'
 * Speaks the benchmark sidecars' line protocol (sidecar-process-protocol.ts): {"port", "pid"},
 * then "stats" and "exit" on stdin. The synced floor's temp directory is removed at exit.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectionFileName, SYNC_DIRECTORY_PREFIX, SyncedChunkForwarder } from './floor-relay-sync.ts';
import { serveSidecarProcess } from './sidecar-process-protocol.ts';

export interface FloorRelayConfig {
  readonly upstream: { readonly host: string; readonly port: number };
  /** Store (write + fdatasync) a line per agent chunk before forwarding it, as the sidecar's recording does. */
  readonly syncEachChunk?: boolean;
  /** Where the synced floor makes its temp directory; the system temp dir when omitted (tests pass their own). */
  readonly syncDirectoryParent?: string;
}

function relay(agent: Socket, upstreamAddress: FloorRelayConfig['upstream'], syncFile: string | undefined): void {
  const upstream = connect({ host: upstreamAddress.host, port: upstreamAddress.port, noDelay: true });
  agent.setNoDelay(true);
  // Either side failing ends the pair, as a relay without its peer has nothing to do.
  const destroyBoth = (): void => {
    agent.destroy();
    upstream.destroy();
  };
  upstream.pipe(agent);
  upstream.once('error', destroyBoth).once('close', destroyBoth);
  agent.once('error', destroyBoth);
  if (syncFile === undefined) {
    agent.pipe(upstream);
    agent.once('close', destroyBoth);
    return;
  }
  const forwarder = new SyncedChunkForwarder(agent, upstream, syncFile, (error) => {
    // Like the sidecar with recording Block: what cannot be stored is not forwarded.
    process.stderr.write(`floor-relay: cannot store a chunk, closing the connection: ${String(error)}\n`);
    destroyBoth();
  });
  agent.on('data', (chunk: Buffer) => forwarder.push(chunk));
  // The agent's last bytes still go upstream once stored; upstream closing then ends the pair.
  agent.once('end', () => forwarder.end());
  agent.once('close', (hadError) => {
    if (hadError) destroyBoth();
  });
  upstream.once('close', () => forwarder.close());
}

function listen(config: FloorRelayConfig, syncDirectory: string | undefined): Promise<Server> {
  let connections = 0;
  const server = createServer((agent) => {
    connections += 1;
    relay(agent, config.upstream, syncDirectory === undefined ? undefined : join(syncDirectory, connectionFileName(connections)));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function main(): Promise<void> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('usage: floor-relay.ts <json {"upstream": {"host", "port"}, "syncEachChunk"?: true}>');
  const config = JSON.parse(raw) as FloorRelayConfig;
  const syncDirectory = config.syncEachChunk
    ? await mkdtemp(join(config.syncDirectoryParent ?? tmpdir(), SYNC_DIRECTORY_PREFIX))
    : undefined;
  const server = await listen(config, syncDirectory);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  serveSidecarProcess(port, async () => {
    server.close();
    if (syncDirectory !== undefined) await rm(syncDirectory, { recursive: true, force: true });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`floor-relay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
