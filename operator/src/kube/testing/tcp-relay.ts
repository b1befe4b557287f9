/**
 * A TCP relay between a client and the API server that a test can cut, to make a real network
 * partition: cut() resets every open connection and every new one until heal(). TLS passes
 * through untouched (the relay listens on 127.0.0.1, which the test server certificate names),
 * so the client under test runs its real code path and sees what it would see in a cluster.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpRelay {
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #cut = false;
  #port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#target = target;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpRelay> {
    const relay = new TcpRelay(target);
    await new Promise<void>((resolve, reject) => {
      relay.#server.once('error', reject);
      relay.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = relay.#server.address();
    if (typeof address !== 'object' || !address) throw new Error('the relay has no address');
    relay.#port = address.port;
    return relay;
  }

  get port(): number {
    return this.#port;
  }

  /** Resets all connections, and every new one until heal(). */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.resetAndDestroy();
    this.#sockets.clear();
  }

  heal(): void {
    this.#cut = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(this.#target.port, this.#target.host);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.#sockets.delete(from);
        to.destroy();
      });
      from.pipe(to);
    }
  }
}
