/**
 * How a connection ends after a FATAL: the ErrorResponse is written, the write side is closed, and
 * whatever the peer still sends is read and thrown away — never decoded or buffered. Reading on
 * (rather than just stopping) matters: closing a socket with unread input makes the kernel send a
 * reset, and the peer may then lose the FATAL that says why. After `lingerMs` the socket is
 * destroyed whatever the peer does.
 */
import type { Socket } from 'node:net';

export const FATAL_LINGER_MS = 2000;

export function closeAfterFatal(socket: Socket, fatal: Buffer, lingerMs = FATAL_LINGER_MS): void {
  discardInput(socket);
  if (socket.destroyed) return;
  socket.end(fatal);
  lingerThenDestroy(socket, lingerMs);
}

/** From now on, input is read and dropped: no listener decodes or keeps it. */
export function discardInput(socket: Socket): void {
  socket.removeAllListeners('data');
  socket.on('data', ignore);
  socket.resume();
}

function lingerThenDestroy(socket: Socket, lingerMs: number): void {
  const timer = setTimeout(() => socket.destroy(), lingerMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

function ignore(): void {}
