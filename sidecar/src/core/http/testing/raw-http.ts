/**
 * A raw TCP client for hostile-input tests: sends exactly the bytes given (split as given), then
 * collects everything the server sends until it closes the connection. No HTTP client would send
 * these bytes, which is the point.
 */
import { connect, type Socket } from 'node:net';

export interface RawExchange {
  /** Everything received, as latin1 text. */
  readonly text: string;
  /** The status codes of the responses received, in order. */
  readonly statuses: number[];
}

/** Writes `parts` one after another, then waits until the server closes the connection. */
export function exchangeRaw(
  port: number,
  parts: readonly (string | Buffer)[],
  options: { readonly endAfterWrite?: boolean } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer still counts as closed; the answer is what the test asserts.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => resolve(parseExchange(Buffer.concat(received))));
    socket.once('connect', () => {
      for (const part of parts) socket.write(part);
      if (options.endAfterWrite) socket.end();
    });
  });
}

/** Opens a connection and sends `head` a byte at a time, slower than any server should wait for. */
export function trickle(port: number, head: string, everyMs: number): { readonly socket: Socket; readonly closed: Promise<RawExchange> } {
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  let index = 0;
  const timer = setInterval(() => {
    if (index < head.length && socket.writable) socket.write(head[index++] ?? '');
  }, everyMs);
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<RawExchange>((resolve) =>
    socket.on('close', () => {
      clearInterval(timer);
      resolve(parseExchange(Buffer.concat(received)));
    }),
  );
  return { socket, closed };
}

export function parseExchange(bytes: Buffer): RawExchange {
  const text = bytes.toString('latin1');
  // Status lines only: a body here is JSON, and the next head follows it without a line break.
  const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) [^\r\n]*\r\n/g)].map((match) => Number(match[1]));
  return { text, statuses };
}
