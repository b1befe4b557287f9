/**
 * A TCP relay between the sidecar and the API server that a test controls: TLS passes through it
 * untouched (the sidecar still verifies the API server's certificate), and the test can count the
 * connections and the bytes the API server sent, or have the relay cut every connection once the
 * server has sent a given number of bytes on it — the upstream dying in the middle of an answer.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpRelay {
  readonly port: number;
  /** https://127.0.0.1:<port>: the API server as reached through the relay. */
  readonly server: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes the upstream sent through the relay so far, on all connections. */
  readonly bytesFromUpstream: number;
  /** From now on, each new connection is cut (both sides destroyed) once the upstream sent this many bytes on it; undefined: never. */
  cutAfterUpstreamBytes: number | undefined;
  close(): Promise<void>;
}

export async function startTcpRelay(upstream: { readonly host: string; readonly port: number }): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const state = { connections: 0, bytesFromUpstream: 0, cutAfterUpstreamBytes: undefined as number | undefined };
  const server: Server = createServer((client) => {
    state.connections++;
    const cutAfter = state.cutAfterUpstreamBytes;
    const toServer = connect(upstream.port, upstream.host);
    sockets.add(client);
    sockets.add(toServer);
    let sent = 0;
    const cut = () => {
      client.destroy();
      toServer.destroy();
    };
    client.on('error', cut);
    toServer.on('error', cut);
    client.on('close', () => {
      sockets.delete(client);
      toServer.destroy();
    });
    toServer.on('close', () => {
      sockets.delete(toServer);
      client.destroy();
    });
    client.pipe(toServer);
    toServer.on('data', (chunk: Buffer) => {
      const allowed = cutAfter === undefined ? chunk.length : Math.max(0, Math.min(chunk.length, cutAfter - sent));
      sent += allowed;
      state.bytesFromUpstream += allowed;
      if (allowed > 0 && !client.write(allowed === chunk.length ? chunk : chunk.subarray(0, allowed))) {
        toServer.pause();
        client.once('drain', () => toServer.resume());
      }
      if (cutAfter !== undefined && sent >= cutAfter) client.end(() => cut());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    server: `https://127.0.0.1:${port}`,
    get connections() {
      return state.connections;
    },
    get bytesFromUpstream() {
      return state.bytesFromUpstream;
    },
    get cutAfterUpstreamBytes() {
      return state.cutAfterUpstreamBytes;
    },
    set cutAfterUpstreamBytes(value: number | undefined) {
      state.cutAfterUpstreamBytes = value;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
