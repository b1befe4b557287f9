/**
 * One agent session: the agent's socket on one side, its own upstream connection on the other.
 * This class wires the parts and owns the session's life: the startup greeting, graceful shutdown,
 * cancel, and every way the session ends (each with the FATAL the agent gets and the record),
 * including the expiry of the agent's token, which ends the session through the drain path.
 *
 * - agent-to-upstream.ts: agent messages are decided, held or denied, and forwarded whole.
 * - upstream-to-agent.ts: server replies are matched to what was asked, masked and recorded.
 * - hold-slot.ts: the statement that waits for a reviewer, withdrawn on cancel or close.
 * - flow-control.ts: the agent's queue, the writes, and the pauses that bound both.
 * - session-state.ts: what both directions know of the server's session (in flight, names).
 * - session-recording.ts: the records and metrics of what the session saw and did.
 *
 * A statement is decided in one place, statement-decision.ts, over the policies' decide().
 */
import type { Socket } from 'node:net';
import type { RecordingError } from '@airlock/contracts/recording';
import { type SessionExpiry, scheduleSessionExpiry, TOKEN_EXPIRED_CODE, type TokenExpiry } from '../../../core/session/token-expiry.ts';
import type { UpstreamConnection } from '../backend/upstream-connect.ts';
import type { PgLimits } from '../limits/pg-limits.ts';
import { type SessionTimeoutEvent, SessionTimeouts } from '../limits/session-timeouts.ts';
import type { PinnedSettingName } from '../sql/pinned-settings.ts';
import { encode } from '../wire/backend-messages.ts';
import { ProtocolError } from '../wire/errors.ts';
import type { Frame, FrameDecoder } from '../wire/frame-decoder.ts';
import { AgentToUpstream } from './agent-to-upstream.ts';
import { fatalError, SQLSTATE } from './denials.ts';
import { FlowControl } from './flow-control.ts';
import { HoldSlot } from './hold-slot.ts';
import { LexingBarrier } from './lexing-barrier.ts';
import type { PgSessionServices } from './services.ts';
import type { SessionEnd } from './session-end.ts';
import { SessionRecording } from './session-recording.ts';
import { SessionState } from './session-state.ts';
import { SHUTDOWN_REASON, UPSTREAM_TERMINATE } from './shutdown-notice.ts';
import { isStoreUnavailable, storeSqlState, storeUnavailableFatal } from './store-unavailable.ts';
import { tokenExpiredCutFatal, tokenExpiredFatal } from './token-expired-notice.ts';
import { UpstreamToAgent } from './upstream-to-agent.ts';

export class PgSession {
  readonly #agent: Socket;
  readonly #upstream: Socket;
  readonly #services: PgSessionServices;
  readonly #state: SessionState;
  readonly #recording: SessionRecording;
  readonly #timeouts: SessionTimeouts;
  readonly #flow: FlowControl;
  /** Holds a Query or Parse whose lexing depends on the pinned settings behind code that may have moved them (ADR 0014). */
  readonly #barrier: LexingBarrier;
  readonly #holds: HoldSlot;
  readonly #toUpstream: AgentToUpstream;
  readonly #toAgent: UpstreamToAgent;
  readonly #releaseCancelKey: () => void;
  readonly #upstreamKey: UpstreamConnection['backendKey'];
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  readonly #disconnected: Promise<void>;
  #resolveDisconnected!: () => void;
  /** Set by shutdown(): the FATAL to send at the first moment nothing is owed in either direction. */
  #shutdownFatal: Buffer | undefined;
  /** The session.close reason that goes with #shutdownFatal. */
  #shutdownReason = SHUTDOWN_REASON;
  /** Ends the session when the agent's token expires (none for the pod's own identity); set by start(). */
  #expiry: SessionExpiry | undefined;

  constructor(agent: Socket, agentDecoder: FrameDecoder, upstream: UpstreamConnection, services: PgSessionServices, limits: PgLimits) {
    this.#agent = agent;
    this.#upstream = upstream.socket;
    this.#services = services;
    const state = new SessionState(limits);
    const recording = new SessionRecording(services);
    this.#state = state;
    this.#recording = recording;
    this.#timeouts = new SessionTimeouts(
      limits,
      (event) => this.#timedOut(event),
      () => !this.#agent.isPaused(),
    );
    // Created once per session; the parts call back through it, never per message.
    const end: SessionEnd = {
      close: (reason) => this.#close(reason),
      failed: (error) => this.#failed(error),
      upstreamLost: (reason) => this.#upstreamLost(reason),
      pinBroken: (setting, value) => this.#pinBroken(setting, value),
      settled: () => this.#shutdownIfIdle(),
    };
    this.#flow = new FlowControl({
      agent,
      upstream: upstream.socket,
      state,
      recording,
      store: services.record,
      maxPendingBytes: limits.maxPendingBytes,
      handle: (frame) => this.#toUpstream.handle(frame),
      end,
    });
    this.#barrier = new LexingBarrier({
      inFlight: state.inFlight,
      forward: (bytes, entry) => this.#toUpstream.forward(bytes, entry),
      nameInUse: (kind, name) => state.nameInUse(kind, name),
      closing: () => state.closing,
      pinBroken: (setting, value) => this.#pinBroken(setting, value),
      unverifiable: (reason) => this.#pinsUnverifiable(reason),
    });
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#disconnected = new Promise((resolve) => {
      this.#resolveDisconnected = resolve;
    });
    this.#holds = new HoldSlot({ state, flow: this.#flow, recording, services, disconnected: this.#disconnected });
    const parts = { state, flow: this.#flow, barrier: this.#barrier, recording, timeouts: this.#timeouts, services, end };
    this.#toUpstream = new AgentToUpstream({ ...parts, decoder: agentDecoder, holds: this.#holds });
    this.#toAgent = new UpstreamToAgent({ ...parts, decoder: upstream.decoder });
    const key = services.cancels.issue({ cancel: () => this.#cancel() });
    this.#releaseCancelKey = key.release;
    // What a real server says after authentication, with the sidecar's cancel key instead of the upstream's.
    this.#flow.writeAgent([
      encode.authenticationOk(),
      ...upstream.announcements,
      encode.backendKeyData(key.processId, key.secretKey),
      encode.readyForQuery(upstream.transactionStatus),
    ]);
    this.#upstreamKey = upstream.backendKey;
    this.#timeouts.idle(upstream.transactionStatus.charCodeAt(0));
  }

  /** Cancel requests go upstream through this; set by the listener (it knows the target's transport). */
  sendUpstreamCancel: ((key: NonNullable<UpstreamConnection['backendKey']>) => Promise<void>) | undefined;

  /** Resolves when both sockets are closed. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Graceful shutdown (listener.ts close, or the token's expiry): what is in flight finishes and its
   * replies reach the agent; then, between two messages, the agent gets `fatal` and the session
   * ends. An idle session ends at once; a held statement is withdrawn (it has not run, and approval
   * could outlast the grace). `reason` is session.close's, `withdrawal` what the held statement's
   * ApprovalRequest is withdrawn with; the first shutdown's FATAL and reason win.
   */
  shutdown(fatal: Buffer, reason: string = SHUTDOWN_REASON, withdrawal: string = reason): void {
    if (this.#shutdownFatal === undefined) {
      this.#shutdownFatal = fatal;
      this.#shutdownReason = reason;
    }
    this.#holds.withdraw(withdrawal);
    this.#shutdownIfIdle();
  }

  /** The grace period is over: `fatal` goes after the last whole message relayed, and the session ends. */
  terminate(fatal: Buffer, reason: string = SHUTDOWN_REASON): void {
    if (this.#state.closing) return;
    this.#flow.writeAgent([fatal]);
    this.#close(reason);
  }

  /** Wires the sockets; `pending` are agent frames read during startup, `upstreamPending` upstream ones. */
  start(pending: readonly Frame[], upstreamPending: readonly Frame[]): void {
    this.#agent.on('data', (chunk: Buffer) => this.#toUpstream.onData(chunk));
    this.#agent.on('end', () => this.#close('the agent closed the connection'));
    this.#agent.on('close', () => this.#close('the agent closed the connection'));
    this.#agent.on('error', (error) => this.#close(`agent socket error: ${error.message}`));
    this.#upstream.on('data', (chunk: Buffer) => this.#toAgent.onData(chunk));
    this.#upstream.on('end', () => this.#upstreamLost('the target closed the connection'));
    this.#upstream.on('close', () => this.#upstreamLost('the target closed the connection'));
    this.#upstream.on('error', (error) => this.#upstreamLost(`the connection to the target failed: ${error.message}`));
    // The startup may have paused either socket to bound what it buffered (socket-frames.ts).
    this.#agent.resume();
    this.#upstream.resume();
    if (upstreamPending.length > 0) this.#toAgent.relay(upstreamPending, undefined);
    this.#toUpstream.takeStartupFrames(pending);
    this.#expiry = scheduleSessionExpiry({
      principal: this.#services.principal,
      clock: this.#services.clock,
      onExpired: (expiry) => this.#tokenExpired(expiry),
      onGraceOver: (expiry) => this.terminate(tokenExpiredCutFatal(expiry), expiry.reason),
    });
  }

  #shutdownIfIdle(): void {
    const fatal = this.#shutdownFatal;
    if (!fatal || this.#state.closing || this.#flow.busy || this.#holds.holding) return;
    if (this.#state.inFlight.size > 0 || this.#flow.owesUpstream) return;
    this.#upstream.write(UPSTREAM_TERMINATE);
    this.#flow.writeAgent([fatal]);
    this.#close(this.#shutdownReason);
  }

  #cancel(): void {
    if (this.#holds.withdraw('the agent cancelled the statement')) return;
    const key = this.#upstreamKey;
    if (key && this.sendUpstreamCancel) void this.sendUpstreamCancel(key).catch(() => undefined);
  }

  // ---------------------------------------------------------------- how a session ends

  #failed(error: unknown): void {
    if (isStoreUnavailable(error)) this.#storeUnavailable(error);
    else this.#protocolViolation(error as Error);
  }

  #protocolViolation(error: Error): void {
    const code = error instanceof ProtocolError ? error.code : 'InternalError';
    this.#services.metrics.error(code);
    this.#services.logger.warn({ err: { code, message: error.message } }, 'agent protocol violation');
    this.#recording.record({ type: 'error', code, message: error.message });
    // Nothing of the bad message went upstream: frames are forwarded only whole and decoded.
    this.#flow.writeAgent([
      fatalError(
        SQLSTATE.protocolViolation,
        `protocol violation: ${error.message}`,
        'Nothing the sidecar had not yet forwarded was run, including valid messages sent just before the bad bytes (ADR 0013).',
      ),
    ]);
    this.#close(`protocol violation: ${error.message}`);
  }

  /** The records could not be stored within the deadline: nothing decided since the last forward goes; the session ends. */
  #storeUnavailable(error: RecordingError): void {
    if (this.#state.closing) return;
    this.#flow.discardUpstream();
    this.#services.metrics.error(error.code);
    this.#services.logger.warn({ code: error.code, message: error.message }, 'session closed: its records cannot be stored');
    this.#recording.record({ type: 'error', code: error.code, message: error.message, sqlstate: storeSqlState(error) });
    this.#flow.writeAgent([
      storeUnavailableFatal(error, this.#services.target.name, 'the statement was not run and the session is closed'),
    ]);
    this.#close(`recording store unavailable: ${error.message}`);
  }

  #upstreamLost(reason: string): void {
    if (this.#state.closing) return;
    const owed = this.#state.inFlight.clear();
    this.#services.metrics.error('UpstreamLost');
    this.#recording.record({ type: 'error', code: 'UpstreamLost', message: `${reason} (${owed.length} replies owed)` });
    const detail = owed.some((entry) => entry.kind === 'query' || entry.kind === 'execute')
      ? 'A statement was in progress: it may or may not have run. The sidecar does not retry it.'
      : undefined;
    this.#flow.writeAgent([
      fatalError(SQLSTATE.connectionFailure, `lost the connection to target ${this.#services.target.name}: ${reason}`, detail),
    ]);
    this.#close(reason);
  }

  /** The backstop: reported by ParameterStatus, or found by the lexing barrier's probe. */
  #pinBroken(broken: PinnedSettingName, value: string): void {
    if (this.#state.closing) return;
    const reason = `the target reports ${broken} = ${value}, which airlock pins: a statement changed it through code the sidecar cannot see into`;
    this.#services.metrics.error('PinnedSettingChanged');
    this.#services.logger.warn({ setting: broken, value }, 'a pinned setting changed upstream; ending the session');
    this.#recording.record({ type: 'error', code: 'PinnedSettingChanged', message: reason });
    this.#flow.writeAgent([
      fatalError(
        SQLSTATE.featureNotSupported,
        reason,
        `airlock ended the session because it can no longer read statements as the server does. Do not change ${broken} in functions or DO blocks.`,
      ),
    ]);
    this.#close(reason);
  }

  /** The lexing barrier could not confirm the pins before a held message: it is not forwarded, and the session ends (fail closed). */
  #pinsUnverifiable(reason: string): void {
    if (this.#state.closing) return;
    this.#services.metrics.error('PinnedSettingUnverified');
    this.#recording.record({ type: 'error', code: 'PinnedSettingUnverified', message: reason });
    this.#flow.writeAgent([
      fatalError(
        SQLSTATE.featureNotSupported,
        reason,
        'The pipelined statement was not run. Send a Sync before statements with non-ASCII text or backslashes.',
      ),
    ]);
    this.#close(reason);
  }

  /**
   * The token the agent authenticated with expired (core/session/token-expiry.ts): the session is
   * no longer that principal's, so it ends as in a graceful shutdown — a held statement withdrawn,
   * what is in flight answered, then FATAL 28000 — and is cut when the grace is over.
   */
  #tokenExpired(expiry: TokenExpiry): void {
    if (this.#state.closing) return;
    this.#services.metrics.error(TOKEN_EXPIRED_CODE);
    this.#services.logger.info({ expiresAt: expiry.expiresAt }, 'the agent token expired; ending the session');
    this.#recording.record({ type: 'error', code: TOKEN_EXPIRED_CODE, message: expiry.message });
    this.shutdown(tokenExpiredFatal(expiry), expiry.reason, `the agent's token expired at ${expiry.expiresAt}`);
  }

  /** An idle or partial-frame timeout (limits/session-timeouts.ts): FATAL, and the upstream closes with it. */
  #timedOut(event: SessionTimeoutEvent): void {
    if (this.#state.closing) return;
    this.#services.metrics.error('SessionTimeout');
    this.#services.logger.info({ timeout: event.kind }, event.reason);
    this.#recording.record({ type: 'error', code: 'SessionTimeout', message: event.reason });
    this.#flow.writeAgent([event.fatal]);
    this.#close(event.reason);
  }

  #close(reason: string): void {
    if (this.#state.closing) return;
    this.#state.closing = true;
    this.#barrier.check();
    this.#timeouts.stop();
    this.#expiry?.cancel();
    // Read on and drop (see AgentToUpstream.onData): a close with unread input resets the connection, and the agent could lose the FATAL.
    this.#agent.resume();
    this.#resolveDisconnected();
    this.#releaseCancelKey();
    this.#flow.dropQueued();
    this.#holds.withdraw(`the agent disconnected: ${reason}`);
    // A held command records its outcome when the withdrawal settles; session.close comes last.
    const recorded = (this.#holds.settled ?? Promise.resolve()).then(() => this.#recording.closed(reason));
    this.#agent.end();
    this.#upstream.end();
    const destroy = setTimeout(() => {
      this.#agent.destroy();
      this.#upstream.destroy();
    }, 1000);
    destroy.unref();
    const closedSocket = (socket: Socket): Promise<void> =>
      socket.closed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve()));
    void Promise.all([closedSocket(this.#agent), closedSocket(this.#upstream), recorded]).then(() => {
      clearTimeout(destroy);
      this.#resolveClosed();
    });
  }
}
