/**
 * Fixtures for the tests of the floor relay and of the syscall profile: a real TCP echo server
 * as the relay's upstream, a lock-step round trip, the relay started as the benchmark starts it
 * (plain or synced), and readers of the synced floor's directory and files.
 */
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloorRelayConfig } from './floor-relay.ts';
import { SYNC_DIRECTORY_PREFIX, type SyncedChunkLine } from './floor-relay-sync.ts';
import { SidecarProcess } from './sidecar-process-handle.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface EchoServer {
  readonly server: Server;
  readonly port: number;
  /** How many connections it accepted so far. */
  accepted(): number;
}

export async function startEchoServer(): Promise<EchoServer> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted += 1;
    socket.pipe(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

/** Sends `message` and waits until as many bytes came back. */
export function roundTrip(socket: Socket, message: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  return new Promise((resolve, reject) => {
    const finish = (error?: Error): void => {
      socket.off('data', onData);
      socket.off('error', finish);
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= message.length) finish();
    };
    socket.on('data', onData);
    socket.on('error', finish);
    socket.write(message);
  });
}

/** `sync`: the synced floor, making its temp directory under `sync.directoryParent`. */
export function startFloorRelay(upstreamPort: number, sync?: { directoryParent: string }): Promise<SidecarProcess> {
  const config: FloorRelayConfig = {
    upstream: { host: '127.0.0.1', port: upstreamPort },
    ...(sync ? { syncEachChunk: true, syncDirectoryParent: sync.directoryParent } : {}),
  };
  return SidecarProcess.start(join(HERE, 'floor-relay.ts'), sync ? 'synced floor relay' : 'floor relay', config);
}

/** The synced floor's temp directories under `parent` (one while it runs, none after it exited). */
export function syncDirectories(parent: string): string[] {
  return readdirSync(parent)
    .filter((name) => name.startsWith(SYNC_DIRECTORY_PREFIX))
    .map((name) => join(parent, name));
}

/** The lines of one connection's file, parsed; [] while the file does not exist yet. */
export function syncedLines(file: string): SyncedChunkLine[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  // Read while the relay writes: a read may see the start of a line whose end is not there yet.
  // Only lines up to the last newline are whole.
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SyncedChunkLine);
}
