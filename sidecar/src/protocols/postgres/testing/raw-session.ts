/**
 * Hand-driven PostgreSQL protocol connections for the integration tests: a raw socket to the
 * sidecar that reads backend frames, waits for ReadyForQuery or for the close, and decodes
 * ErrorResponse fields. Also small helpers the integration tests share.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { serialize } from 'pg-protocol';

export interface BackendFrame {
  /** The type byte as a character ('E', 'Z', ...). */
  readonly type: string;
  readonly payload: Buffer;
}

/** The fields of an ErrorResponse or NoticeResponse payload, keyed by field code ('C', 'M', 'S', ...). */
export function errorFields(payload: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let offset = 0;
  while (offset < payload.length && payload[offset] !== 0) {
    const code = String.fromCharCode(payload[offset]!);
    const end = payload.indexOf(0, offset + 1);
    if (end < 0) break;
    fields.set(code, payload.subarray(offset + 1, end).toString('utf8'));
    offset = end + 1;
  }
  return fields;
}

/** A raw socket to a PostgreSQL-speaking port that parses what comes back into frames. */
export class RawConnection {
  readonly socket: Socket;
  /** Resolves when the socket has closed (either side). */
  readonly closed: Promise<void>;
  #buffer = Buffer.alloc(0);
  #frames: BackendFrame[] = [];
  #isClosed = false;
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      while (this.#buffer.length >= 5 && this.#buffer.length >= 1 + this.#buffer.readInt32BE(1)) {
        const length = this.#buffer.readInt32BE(1);
        this.#frames.push({ type: String.fromCharCode(this.#buffer[0]!), payload: this.#buffer.subarray(5, 1 + length) });
        this.#buffer = this.#buffer.subarray(1 + length);
      }
      this.#wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#isClosed = true;
        this.#wake();
        resolve();
      }),
    );
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawConnection(socket);
  }

  /** Takes over a socket whose startup another client completed (a direct reference connection); its other 'data' listeners must be gone. */
  static adopt(socket: Socket): RawConnection {
    return new RawConnection(socket);
  }

  /** Opens a connection and completes the startup as user 'agent' (no password needed). */
  static async session(port: number): Promise<RawConnection> {
    const connection = await RawConnection.open(port);
    connection.write(serialize.startup({ user: 'agent', database: 'x' }));
    const frames = await connection.untilReady(1);
    assert.ok(
      frames.every((f) => f.type !== 'E'),
      `startup failed: ${frames.map((f) => f.payload.toString('latin1')).join(' ')}`,
    );
    return connection;
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Bytes received that do not (yet) make a whole frame. */
  get leftover(): Buffer {
    return this.#buffer;
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Frames up to and including the `count`-th ReadyForQuery; fails if the socket closes first or on timeout. */
  async untilReady(count = 1, timeoutMs = 10_000): Promise<BackendFrame[]> {
    const taken: BackendFrame[] = [];
    let seen = 0;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let frame = this.#frames.shift(); frame; frame = this.#frames.shift()) {
        taken.push(frame);
        if (frame.type === 'Z' && ++seen === count) return taken;
      }
      if (this.#isClosed) assert.fail(`the connection closed before ReadyForQuery; got ${describe(taken)}`);
      if (Date.now() > deadline) assert.fail(`no ReadyForQuery within ${timeoutMs} ms; got ${describe(taken)}`);
      await this.#wait(deadline);
    }
  }

  /** Every frame that arrives until none has for `quietMs` (for replies that end without ReadyForQuery, after a Flush). */
  async untilQuiet(quietMs: number, timeoutMs = 10_000): Promise<BackendFrame[]> {
    const taken: BackendFrame[] = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const before = taken.length;
      taken.push(...this.#frames.splice(0));
      if (taken.length === before && taken.length > 0) return taken;
      if (Date.now() > deadline) assert.fail(`still receiving after ${timeoutMs} ms; got ${describe(taken)}`);
      await this.#wait(Math.min(deadline, Date.now() + quietMs));
    }
  }

  /** Every frame until the socket closes; fails if it stays open past the timeout. */
  async untilClosed(timeoutMs = 10_000): Promise<BackendFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#isClosed) {
      if (Date.now() > deadline) assert.fail(`the connection stayed open for ${timeoutMs} ms; got ${describe(this.#frames)}`);
      await this.#wait(deadline);
    }
    return this.#frames.splice(0);
  }

  close(): void {
    this.socket.destroy();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  async #wait(deadline: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
      this.#waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function describe(frames: readonly BackendFrame[]): string {
  return JSON.stringify(frames.map((f) => `${f.type}:${f.payload.toString('latin1')}`));
}

/**
 * The older, text-oriented helper: startup, then exchange(bytes, readyCount) returns the replies'
 * payloads as latin1 text, and `types` the type bytes of the last exchange.
 */
export async function rawSession(port: number) {
  const connection = await RawConnection.session(port);
  const types: string[] = [];
  return {
    types,
    exchange: async (bytes: Buffer, readyCount = 1): Promise<string> => {
      connection.write(bytes);
      const frames = await connection.untilReady(readyCount);
      types.length = 0;
      types.push(...frames.map((f) => f.type));
      return frames.map((f) => f.payload.toString('latin1')).join('');
    },
    close: () => connection.close(),
  };
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function sqlError(promise: Promise<unknown>): Promise<{ code: string; message: string; hint?: string; severity?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; hint?: string; severity?: string };
  }
  assert.fail('expected the statement to fail');
}

export async function sendCancel(port: number, processId: number, secretKey: number): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.end(serialize.cancel(processId, secretKey));
  await new Promise((resolve) => socket.once('close', resolve));
}

/** A StartupMessage with exactly these parameters (pg-protocol's adds client_encoding UTF8 of its own). */
export function startupPacket(parameters: Record<string, string>): Buffer {
  const body = Buffer.concat([
    ...Object.entries(parameters).map(([name, value]) => Buffer.from(`${name}\0${value}\0`, 'utf8')),
    Buffer.from([0]),
  ]);
  const header = Buffer.alloc(8);
  header.writeInt32BE(8 + body.length, 0);
  header.writeInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([header, body]);
}

/** The ErrorResponses among frames, as SQLSTATE and message. */
export const errorsOf = (frames: readonly BackendFrame[]) =>
  frames
    .filter((f) => f.type === 'E')
    .map((f) => ({ code: errorFields(f.payload).get('C'), message: errorFields(f.payload).get('M') ?? '' }));

/** A simple Query on a raw connection; resolves with every frame up to its ReadyForQuery. */
export async function rawQuery(connection: RawConnection, sql: string): Promise<BackendFrame[]> {
  connection.write(serialize.query(sql));
  return connection.untilReady(1);
}
