/**
 * Upstream → agent: every server message is matched to what the session asked (InFlightQueue) and
 * relayed as it came, except where the session must change it: rows are masked by the plan of
 * their RowDescription, an upstream error that answers a denial becomes the sidecar's denial, the
 * lexing barrier's own replies and BackendKeyData are dropped, and a ParameterStatus that moves a
 * pinned setting ends the session (docs/adr/0014). Command tags and errors become the statement's
 * result records.
 */
import type { SessionTimeouts } from '../limits/session-timeouts.ts';
import type { RowMaskPlan } from '../masking/row-masker.ts';
import { reportedPinBroken } from '../sql/pinned-settings.ts';
import { type ColumnDescription, decodeBackend } from '../wire/backend-messages.ts';
import type { Frame, FrameDecoder } from '../wire/frame-decoder.ts';
import { BACKEND } from '../wire/message-codes.ts';
import { REPLACEMENT_SQLSTATE } from './denials.ts';
import type { FlowControl } from './flow-control.ts';
import type { StatementResult } from './in-flight.ts';
import type { LexingBarrier } from './lexing-barrier.ts';
import { confirmNamedEffect, releaseUncompleted } from './named-statement-effects.ts';
import type { PgSessionServices } from './services.ts';
import type { SessionEnd } from './session-end.ts';
import type { SessionRecording } from './session-recording.ts';
import type { SessionState } from './session-state.ts';

export interface UpstreamToAgentDeps {
  readonly decoder: FrameDecoder;
  readonly state: SessionState;
  readonly flow: FlowControl;
  readonly barrier: LexingBarrier;
  readonly recording: SessionRecording;
  readonly timeouts: SessionTimeouts;
  readonly services: PgSessionServices;
  readonly end: SessionEnd;
}

export class UpstreamToAgent {
  readonly #decoder: FrameDecoder;
  readonly #state: SessionState;
  readonly #flow: FlowControl;
  readonly #barrier: LexingBarrier;
  readonly #recording: SessionRecording;
  readonly #timeouts: SessionTimeouts;
  readonly #services: PgSessionServices;
  readonly #end: SessionEnd;
  /** The mask plan of the last RowDescription of a simple Query, for the rows that follow it. */
  #rowPlan: RowMaskPlan | null = null;
  #rowStatement: StatementResult | undefined;

  constructor(deps: UpstreamToAgentDeps) {
    this.#decoder = deps.decoder;
    this.#state = deps.state;
    this.#flow = deps.flow;
    this.#barrier = deps.barrier;
    this.#recording = deps.recording;
    this.#timeouts = deps.timeouts;
    this.#services = deps.services;
    this.#end = deps.end;
  }

  onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#end.upstreamLost(`the target broke the protocol: ${(error as Error).message}`);
      return;
    }
    this.relay(frames, chunk);
  }

  /** Relays decoded frames; `chunk` is what they were decoded from, undefined for frames read during startup. */
  relay(frames: readonly Frame[], chunk: Buffer | undefined): void {
    const out: Buffer[] = [];
    let changed = chunk === undefined;
    for (const frame of frames) {
      const replacement = this.#onBackend(frame);
      if (replacement === frame.raw) out.push(frame.raw);
      else {
        changed = true;
        if (replacement) out.push(replacement);
      }
    }
    // The common case — nothing masked, nothing rewritten, chunk made of whole frames — forwards
    // the chunk as it came.
    if (
      !changed &&
      chunk &&
      this.#decoder.buffered === 0 &&
      frames.length > 0 &&
      frames[0]!.raw.buffer === chunk.buffer &&
      frames[0]!.raw.byteOffset === chunk.byteOffset
    ) {
      this.#flow.writeAgent([chunk]);
    } else if (out.length > 0) {
      this.#flow.writeAgent(out);
    }
    this.#barrier.check();
    this.#end.settled();
  }

  /** Returns the bytes to send the agent for this frame (the frame itself when unchanged), or undefined to drop it. */
  #onBackend(frame: Frame): Buffer | undefined {
    if (this.#barrier.upstreamFrame(frame)) return undefined;
    const state = this.#state;
    const inFlight = state.inFlight;
    const head = inFlight.head;
    switch (frame.code) {
      case BACKEND.DataRow: {
        // Execute sends no RowDescription: its rows follow the portal's (from Describe).
        const executing = head?.kind === 'execute';
        const statement = executing ? head.statement : this.#rowStatement;
        if (statement) statement.rows++;
        const plan = executing ? (head.portalState?.plan ?? null) : this.#rowPlan;
        if (!plan) return frame.raw;
        const masked = plan.maskRow(frame.raw);
        if (masked.masked.length > 0 || masked.nulledBinary > 0) this.#recording.masked(masked, statement);
        return masked.frame;
      }
      case BACKEND.RowDescription: {
        const message = decodeBackend(frame);
        const columns = message.type === 'rowDescription' ? message.columns : [];
        if (head?.kind === 'describe') {
          inFlight.shift();
          if (head.describes === 'portal' && head.portalState) head.portalState.plan = this.#planFor(columns);
          return head.internal ? undefined : frame.raw;
        }
        this.#rowPlan = this.#planFor(columns);
        this.#rowStatement = head?.statement;
        return frame.raw;
      }
      case BACKEND.NoData:
        if (head?.kind === 'describe') {
          inFlight.shift();
          if (head.internal) return undefined;
        }
        return frame.raw;
      case BACKEND.ParseComplete:
      case BACKEND.BindComplete:
      case BACKEND.CloseComplete:
        inFlight.shift();
        return frame.raw;
      case BACKEND.CommandComplete:
      case BACKEND.EmptyQueryResponse:
      case BACKEND.PortalSuspended: {
        if (frame.code === BACKEND.CommandComplete && head?.statement) {
          const message = decodeBackend(frame);
          if (message.type === 'commandComplete') {
            // DEALLOCATE / DISCARD ALL done on the server: its protocol-level statements are gone too.
            for (const name of confirmNamedEffect(head.namedEffects?.[head.statement.tags.length], message.tag, state.budget)) {
              state.statements.delete(name);
            }
            head.statement.tags.push(message.tag);
          }
        }
        if (head?.kind === 'execute') {
          inFlight.shift();
          if (head.statement) this.#recording.finished(head.statement);
        }
        this.#rowPlan = null;
        this.#rowStatement = undefined;
        return frame.raw;
      }
      case BACKEND.ErrorResponse: {
        const message = decodeBackend(frame);
        const fields = message.type === 'errorResponse' ? message.fields : new Map<string, string>();
        const out = head?.denial && fields.get('C') === REPLACEMENT_SQLSTATE ? head.denial : frame.raw;
        if (head?.statement) head.statement.error = { code: fields.get('C') ?? '', message: fields.get('M') ?? '' };
        if (head?.statement && head.namedEffects) releaseUncompleted(head.namedEffects, head.statement.tags.length, state.budget);
        this.#rowPlan = null;
        if (head && head.kind !== 'query' && head.kind !== 'sync') {
          // The failed message and the skipped ones created nothing: a Parse there leaves no name behind.
          if (head.prepared !== undefined) state.forgetStatement(head.prepared);
          for (const skipped of inFlight.discardUntilSync()) {
            if (skipped.statement) this.#recording.finished(skipped.statement);
            if (skipped.prepared !== undefined) state.forgetStatement(skipped.prepared);
            if (skipped.namedEffects) releaseUncompleted(skipped.namedEffects, 0, state.budget);
          }
          const serverSkips = inFlight.head?.kind !== 'sync';
          // No Sync is on its way: the server now discards everything up to the agent's next Sync,
          // and so does the session — including a held Execute that is approved later.
          if (serverSkips) state.skipToSync = true;
          this.#barrier.serverSkips(serverSkips);
        }
        return out;
      }
      case BACKEND.ReadyForQuery: {
        inFlight.shift();
        for (const name of state.budget.readyForQuery(frame.payload[0] ?? 0)) state.portals.delete(name);
        if (inFlight.size === 0 && !this.#flow.busy) this.#timeouts.idle(frame.payload[0] ?? 0);
        if (head?.kind === 'query' && head.statement) this.#recording.finished(head.statement);
        this.#rowPlan = null;
        this.#rowStatement = undefined;
        return frame.raw;
      }
      case BACKEND.ParameterStatus:
        return this.#parameterStatus(frame);
      case BACKEND.BackendKeyData:
        // After startup it would leak the upstream key; a server does not send it.
        return undefined;
      default:
        return frame.raw;
    }
  }

  /**
   * A pinned setting (sql/pinned-settings.ts) changed by code the classifier cannot see into (a
   * function, a DO block, a trigger): the server now reads bytes differently from the classifier,
   * so the session ends before another statement is decided.
   */
  #parameterStatus(frame: Frame): Buffer | undefined {
    const message = decodeBackend(frame);
    const broken = message.type === 'parameterStatus' ? reportedPinBroken(message.name, message.value) : undefined;
    if (broken === undefined || message.type !== 'parameterStatus') return frame.raw;
    this.#end.pinBroken(broken, message.value);
    return undefined;
  }

  #planFor(columns: readonly ColumnDescription[]): RowMaskPlan | null {
    const masker = this.#services.masker;
    if (!masker) return null;
    return masker.planFor(columns.map((c) => ({ name: c.name, typeOid: c.typeOid, format: c.format })));
  }
}
