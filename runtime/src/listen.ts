/**
 * Starts a server listening and resolves with the port it got (0 asks for a free one); rejects
 * with the listen error (EADDRINUSE, EACCES) instead of leaving it to an 'error' event nobody
 * waits for. Every listener of ours starts this way: health, webhooks, broker, the sidecar's
 * protocol listeners.
 */
import type { AddressInfo, Server } from 'node:net';

export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return boundPort(server);
}

/** The port a listening server is bound to; 0 when it is not listening. */
export function boundPort(server: Server): number {
  const address = server.address() as AddressInfo | string | null;
  return typeof address === 'object' && address ? address.port : 0;
}
