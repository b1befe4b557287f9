/**
 * Fixtures for the tests of the floor relay and of the syscall profile: a real TCP echo server
 * as the relay's upstream, a lock-step round trip, and the relay started as the benchmark starts it.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FloorRelayConfig } from './floor-relay.ts';
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

export function startFloorRelay(upstreamPort: number): Promise<SidecarProcess> {
  const config: FloorRelayConfig = { upstream: { host: '127.0.0.1', port: upstreamPort } };
  return SidecarProcess.start(join(HERE, 'floor-relay.ts'), 'floor relay', config);
}
