/**
 * Reads whole frames from a socket one at a time, for the short request/response exchanges of
 * the startup phase. After startup the session takes the socket over (with `detach()`, which
 * hands back whatever bytes were read but not yet consumed) and switches to event-driven relay.
 */
import type { Socket } from 'node:net';
import type { Frame, FrameDecoder } from './wire/frame-decoder.ts';

/**
 * During startup the exchange is request/response: more unread input than this means a client
 * that does not wait for answers (or an attack). The socket is paused until the session takes
 * over, so the kernel, not the sidecar, holds what follows.
 */
const MAX_UNREAD_BYTES = 64 * 1024;

export class SocketClosedError extends Error {
  readonly code = 'SocketClosed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SocketClosedError';
  }
}

export class SocketFrames {
  readonly decoder: FrameDecoder;
  readonly #socket: Socket;
  readonly #frames: Frame[] = [];
  #queuedBytes = 0;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #onData = (chunk: Buffer): void => {
    try {
      this.#queue(this.decoder.push(chunk));
    } catch (error) {
      this.#failure = error as Error;
    }
    if (this.decoder.buffered + this.#queuedBytes > MAX_UNREAD_BYTES) this.#socket.pause();
    this.#wake?.();
  };
  readonly #onEnd = (): void => {
    this.#failure ??= new SocketClosedError(`${this.#what} closed the connection`);
    this.#wake?.();
  };
  readonly #onError = (error: Error): void => {
    this.#failure ??= new SocketClosedError(`${this.#what}: ${error.message}`, { cause: error });
    this.#wake?.();
  };
  readonly #what: string;

  constructor(socket: Socket, decoder: FrameDecoder, what: string) {
    this.#socket = socket;
    this.decoder = decoder;
    this.#what = what;
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('close', this.#onEnd);
    socket.on('error', this.#onError);
  }

  /** The next frame; rejects when the peer closes, errs, breaks the protocol or the signal fires. */
  async next(signal?: AbortSignal): Promise<Frame> {
    for (;;) {
      const frame = this.#frames.shift();
      if (frame) {
        this.#queuedBytes -= frame.raw.length;
        return frame;
      }
      if (this.#failure) throw this.#failure;
      signal?.throwIfAborted();
      // Nothing queued: what is buffered is one partial frame, bounded by the frame limit; read on.
      this.#socket.resume();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal?.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        this.#wake = done;
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /** After an untyped startup-phase frame was answered: decode what follows as typed or untyped frames. */
  resume(next: 'typed' | 'untyped'): void {
    if (next === 'typed') this.decoder.expectTyped();
    else this.decoder.expectUntyped();
    try {
      this.#queue(this.decoder.drain());
    } catch (error) {
      this.#failure = error as Error;
    }
  }

  /** Frames already decoded but not consumed (after an untyped frame the decoder may stall; see FrameDecoder). */
  takeBuffered(): Frame[] {
    this.#queuedBytes = 0;
    return this.#frames.splice(0);
  }

  #queue(frames: readonly Frame[]): void {
    for (const frame of frames) {
      this.#frames.push(frame);
      this.#queuedBytes += frame.raw.length;
    }
  }

  /** Stops listening; the caller owns the socket from here (and resumes it if it was paused). */
  detach(): Frame[] {
    this.#socket.off('data', this.#onData);
    this.#socket.off('end', this.#onEnd);
    this.#socket.off('close', this.#onEnd);
    this.#socket.off('error', this.#onError);
    return this.takeBuffered();
  }
}
