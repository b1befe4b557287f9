/**
 * How bytes move through one session, and when they stop. Agent frames queue here and are handled
 * one at a time, in order: a frame waits behind a held statement, behind the lexing barrier and
 * behind the recording store (Block: what decided the bytes is stored before they go, ADR 0012).
 * Bytes for the upstream collect until the pump has nothing more to decide at once, then go in
 * one write. Each side's socket is paused while the other cannot take more, and the agent's also
 * while too much of its input waits here (limits.maxPendingBytes), so memory stays bounded per
 * session and the kernel holds the rest.
 */
import type { Socket } from 'node:net';
import type { SessionRecord } from '../../../core/recording/session-record.ts';
import type { Frame } from '../wire/frame-decoder.ts';
import type { SessionEnd } from './session-end.ts';
import type { SessionRecording } from './session-recording.ts';
import type { SessionState } from './session-state.ts';

/** How many agent frames may wait behind a held or slow one before the agent's socket is paused. */
const AGENT_QUEUE_HIGH_WATER = 256;

export interface FlowControlDeps {
  readonly agent: Socket;
  readonly upstream: Socket;
  readonly state: SessionState;
  readonly recording: SessionRecording;
  /** The session's record, for its back-pressure (writable, whenWritable, beforeForward). */
  readonly store: SessionRecord;
  readonly maxPendingBytes: number;
  /** Decides and forwards one agent frame; returns a promise when the frames behind it must wait for it. */
  readonly handle: (frame: Frame) => Promise<void> | undefined;
  readonly end: SessionEnd;
}

export class FlowControl {
  readonly #agent: Socket;
  readonly #upstream: Socket;
  readonly #state: SessionState;
  readonly #recording: SessionRecording;
  readonly #store: SessionRecord;
  readonly #maxPendingBytes: number;
  readonly #handle: (frame: Frame) => Promise<void> | undefined;
  readonly #end: SessionEnd;
  readonly #queue: Frame[] = [];
  #queuedBytes = 0;
  #pumping = false;
  readonly #outUpstream: Buffer[] = [];

  constructor(deps: FlowControlDeps) {
    this.#agent = deps.agent;
    this.#upstream = deps.upstream;
    this.#state = deps.state;
    this.#recording = deps.recording;
    this.#store = deps.store;
    this.#maxPendingBytes = deps.maxPendingBytes;
    this.#handle = deps.handle;
    this.#end = deps.end;
  }

  /** Agent frames are being handled or wait to be. */
  get busy(): boolean {
    return this.#pumping || this.#queue.length > 0;
  }

  /** Bytes were decided for the upstream and not yet written. */
  get owesUpstream(): boolean {
    return this.#outUpstream.length > 0;
  }

  enqueue(frames: readonly Frame[]): void {
    for (const frame of frames) {
      this.#queue.push(frame);
      this.#queuedBytes += frame.raw.length;
    }
    // Bounded per session (limits.maxPendingBytes): past it the agent's bytes wait in the kernel.
    if (this.#queue.length > AGENT_QUEUE_HIGH_WATER || this.#queuedBytes > this.#maxPendingBytes) this.#agent.pause();
    if (!this.#pumping) void this.#pump();
  }

  /** The session is closing: frames not yet handled never will be. */
  dropQueued(): void {
    this.#queue.length = 0;
  }

  /** Queues bytes for the upstream; they go with the next sendUpstream. */
  toUpstream(bytes: Buffer): void {
    this.#outUpstream.push(bytes);
  }

  /** The records that decided the queued bytes cannot be stored: the bytes never go. */
  discardUpstream(): void {
    this.#outUpstream.length = 0;
  }

  /** Recording Block: what decided these bytes is stored before they go (one batch for all of them; ADR 0012). */
  async sendUpstream(): Promise<void> {
    if (this.#outUpstream.length === 0 || this.#state.closing) return;
    const stored = this.#store.beforeForward();
    if (stored) await stored;
    this.#flushUpstream();
  }

  writeAgent(buffers: readonly Buffer[]): void {
    if (this.#agent.destroyed) return;
    const bytes = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
    this.#recording.bytesOut(bytes.length);
    if (!this.#agent.write(bytes)) {
      this.#upstream.pause();
      this.#agent.once('drain', () => this.#upstream.resume());
    }
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    const state = this.#state;
    try {
      for (;;) {
        const frame = this.#queue.shift();
        if (state.closing) break;
        if (!frame) {
          await this.sendUpstream();
          // Frames that arrived while the recording store was awaited are this pump's to decide.
          if (this.#queue.length > 0) continue;
          break;
        }
        this.#queuedBytes -= frame.raw.length;
        if (!this.#store.writable) {
          await this.sendUpstream();
          await this.#store.whenWritable();
        }
        const pending = this.#handle(frame);
        if (pending) {
          await this.sendUpstream();
          await pending;
        }
      }
      if (!state.closing) this.#agent.resume();
    } catch (error) {
      this.#end.failed(error);
    } finally {
      this.#pumping = false;
    }
    this.#end.settled();
  }

  #flushUpstream(): void {
    if (this.#outUpstream.length === 0 || this.#state.closing) return;
    const bytes = this.#outUpstream.length === 1 ? this.#outUpstream[0]! : Buffer.concat(this.#outUpstream);
    this.#outUpstream.length = 0;
    if (!this.#upstream.write(bytes)) {
      this.#agent.pause();
      this.#upstream.once('drain', () => {
        if (!this.#pumping && !this.#state.closing) this.#agent.resume();
      });
    }
  }
}
