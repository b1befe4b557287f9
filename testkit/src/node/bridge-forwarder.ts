/**
 * A TCP forwarder from an address pods reach (the bridge address) to a port only the machine
 * reaches (127.0.0.1): how pods talk to the API server and to test servers that listen on
 * loopback (PostgreSQL, the OIDC and SSH peers). Byte for byte, half-closes passed on. Runs as
 * its own process (bridge-forwarder-main.ts), so a test that blocks its event loop (spawnSync)
 * does not stall the pods' connections.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export function forward(listen: Endpoint, target: Endpoint): Promise<Server> {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    pipeBothWays(client, upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function pipeBothWays(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const closeBoth = () => {
    a.destroy();
    b.destroy();
  };
  a.once('error', closeBoth);
  b.once('error', closeBoth);
  a.once('close', () => b.end());
  b.once('close', () => a.end());
}
