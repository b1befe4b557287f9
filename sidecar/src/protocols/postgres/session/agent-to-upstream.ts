/**
 * Agent → upstream: every agent message is decoded; a Query or Parse is decided (statement-
 * decision.ts) and recorded, a Query or Execute of a statement that needs approval waits for it
 * (hold-slot.ts), and only whole, allowed messages are forwarded, as the bytes the agent sent.
 * A denied message is replaced by one the upstream rejects (denials.ts), so the server's state
 * follows the denial; what the server then skips, the session skips too.
 */
import { serialize } from 'pg-protocol';
import type { SessionTimeouts } from '../limits/session-timeouts.ts';
import { ProtocolError } from '../wire/errors.ts';
import type { Frame, FrameDecoder } from '../wire/frame-decoder.ts';
import { decodeFrontend, type FrontendMessage } from '../wire/frontend-messages.ts';
import { FRONTEND } from '../wire/message-codes.ts';
import { DENIED_PARSE, DENIED_QUERY, denialError, SQLSTATE } from './denials.ts';
import type { FlowControl } from './flow-control.ts';
import type { HoldSlot } from './hold-slot.ts';
import type { InFlight, StatementResult } from './in-flight.ts';
import type { LexingBarrier } from './lexing-barrier.ts';
import { takeNamedEffects } from './named-statement-effects.ts';
import type { PgSessionServices } from './services.ts';
import type { SessionEnd } from './session-end.ts';
import type { SessionRecording } from './session-recording.ts';
import type { SessionState } from './session-state.ts';
import { decideMessage, type MessageDecision } from './statement-decision.ts';

export interface AgentToUpstreamDeps {
  readonly decoder: FrameDecoder;
  readonly state: SessionState;
  readonly flow: FlowControl;
  readonly barrier: LexingBarrier;
  readonly recording: SessionRecording;
  readonly timeouts: SessionTimeouts;
  readonly services: PgSessionServices;
  readonly end: SessionEnd;
  readonly holds: HoldSlot;
}

export class AgentToUpstream {
  readonly #decoder: FrameDecoder;
  readonly #state: SessionState;
  readonly #flow: FlowControl;
  readonly #barrier: LexingBarrier;
  readonly #recording: SessionRecording;
  readonly #timeouts: SessionTimeouts;
  readonly #services: PgSessionServices;
  readonly #end: SessionEnd;
  readonly #holds: HoldSlot;

  constructor(deps: AgentToUpstreamDeps) {
    this.#decoder = deps.decoder;
    this.#state = deps.state;
    this.#flow = deps.flow;
    this.#barrier = deps.barrier;
    this.#recording = deps.recording;
    this.#timeouts = deps.timeouts;
    this.#services = deps.services;
    this.#end = deps.end;
    this.#holds = deps.holds;
  }

  /** Frames the startup already read (and a partial one it buffered) count as if they had just arrived. */
  takeStartupFrames(pending: readonly Frame[]): void {
    if (pending.length > 0 || this.#decoder.buffered > 0) this.#timeouts.agentData(this.#decoder.buffered > 0);
    if (pending.length > 0) this.#flow.enqueue(pending);
  }

  onData(chunk: Buffer): void {
    // After a FATAL the session is closing: input is read and dropped, never decoded or buffered.
    if (this.#state.closing) return;
    this.#recording.bytesIn(chunk.length);
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#end.failed(error);
      return;
    }
    this.#timeouts.agentData(this.#decoder.buffered > 0);
    this.#flow.enqueue(frames);
  }

  /** Decides one frame; returns a promise when the frames behind it must wait (a hold, the lexing barrier). Throws for a malformed one. */
  handle(frame: Frame): Promise<void> | undefined {
    const state = this.#state;
    // After a denial in the extended protocol the server skips to Sync; so does the sidecar, so
    // that nothing behind the denied message is decided, held or forwarded.
    if (state.skipToSync && frame.code !== FRONTEND.Sync) return undefined;
    const message = decodeFrontend(frame);
    switch (message.type) {
      case 'query':
        return this.#barrier.gate(
          message.sql,
          () => this.#query(message),
          () => this.#skipLikeServer(),
        );
      case 'parse':
        return this.#barrier.gate(
          message.sql,
          () => {
            this.#parse(message);
            return undefined;
          },
          () => this.#skipLikeServer(),
        );
      case 'bind':
        this.#bind(message);
        return undefined;
      case 'describe':
        if (message.target === 'portal') {
          const portal = state.portals.get(message.name);
          if (portal) portal.described = true;
          this.forward(frame, { kind: 'describe', describes: 'portal', portal: message.name, ...(portal ? { portalState: portal } : {}) });
        } else {
          this.forward(frame, { kind: 'describe', describes: 'statement', portal: message.name });
        }
        return undefined;
      case 'execute':
        return this.#execute(message);
      case 'close':
        if (message.target === 'portal') {
          state.portals.delete(message.name);
          state.budget.closePortal(message.name);
        } else {
          state.forgetStatement(message.name);
        }
        this.forward(frame, { kind: 'close' });
        return undefined;
      case 'sync':
        state.skipToSync = false;
        // An implicit transaction ends at Sync: unnamed portals do not survive it.
        state.portals.delete('');
        this.forward(frame, { kind: 'sync' });
        return undefined;
      case 'flush':
      case 'copyData':
      case 'copyDone':
      case 'copyFail':
        this.#flow.toUpstream(frame.raw);
        return undefined;
      case 'functionCall':
        this.#services.metrics.statement('deny', 'enforce');
        this.#recording.record({
          type: 'decision',
          statementIndex: this.#recording.nextStatementIndex(),
          action: 'deny',
          effective: 'deny',
          mode: 'enforce',
          reason: 'the function-call protocol message is denied',
        });
        this.#deny(
          'query',
          denialError({
            code: SQLSTATE.insufficientPrivilege,
            message: 'the function-call message is not allowed through airlock: call the function in a SELECT',
          }),
        );
        return undefined;
      case 'terminate':
        this.#flow.toUpstream(frame.raw);
        // Through the recording barrier like any other bytes: a Query pipelined before Terminate must not skip it.
        return this.#flow.sendUpstream().then(
          () => this.#end.close('the agent terminated the session'),
          (error: unknown) => this.#end.failed(error),
        );
      case 'password':
        throw new ProtocolError('MessageMalformed', 'a password message outside authentication');
    }
  }

  /** Queues bytes upstream with the entry their replies retire; the lexing barrier's probe goes this way too. */
  forward(bytes: Buffer | Frame, entry: InFlight): void {
    const state = this.#state;
    this.#flow.toUpstream(Buffer.isBuffer(bytes) ? bytes : bytes.raw);
    state.inFlight.push(entry);
    this.#barrier.forwarded(entry.kind);
    if (entry.kind === 'query' || entry.kind === 'sync') state.budget.syncSent();
  }

  #query(message: Extract<FrontendMessage, { type: 'query' }>): Promise<void> | undefined {
    const decision = this.#decide(message.sql, 'simple', message.sqlIsUtf8);
    const statement = newStatement(decision);
    const forward = (): void => {
      const named = takeNamedEffects(decision.statements, this.#state.budget);
      if (!named.ok) {
        this.#refuse(SQLSTATE.configurationLimitExceeded, named.refusal, 'query');
        return;
      }
      for (const s of decision.statements) this.#state.sqlPrepared.remember(s);
      this.forward(message.frame, { kind: 'query', statement, ...(named.effects ? { namedEffects: named.effects } : {}) });
    };
    switch (decision.governing.action) {
      case 'allow':
        forward();
        return undefined;
      case 'deny':
        this.#deny('query', policyDenial(decision));
        return undefined;
      case 'requireApproval':
        return this.#holds.hold(message.sql, [], decision, statement, forward, (error) => this.#deny('query', error));
    }
  }

  #parse(message: Extract<FrontendMessage, { type: 'parse' }>): void {
    const budget = this.#state.budget;
    // As the server does: a named statement is closed before its name is reused. Letting the Parse
    // through would leave the sidecar deciding Executes by the new text while the server runs the old.
    if (message.statement !== '' && budget.has(message.statement)) {
      this.#refuse(SQLSTATE.duplicatePreparedStatement, `prepared statement "${message.statement}" already exists; Close it first`);
      return;
    }
    const overBudget = budget.parse(message.statement, Buffer.byteLength(message.sql));
    if (overBudget) {
      this.#refuse(SQLSTATE.configurationLimitExceeded, overBudget);
      return;
    }
    const decision = this.#decide(message.sql, 'extended', message.sqlIsUtf8);
    if (decision.governing.action === 'deny') {
      this.#state.forgetStatement(message.statement);
      this.#deny('extended', policyDenial(decision));
      return;
    }
    // Parsing runs nothing; a statement that needs approval is held at Execute, with its parameters.
    this.#state.statements.set(message.statement, { sql: message.sql, decision });
    this.forward(message.frame, { kind: 'parse', ...(message.statement === '' ? {} : { prepared: message.statement }) });
  }

  /** A Parse or Bind the session's limits do not allow: an error, the session stays usable. */
  #refuse(code: string, message: string, protocol: 'query' | 'extended' = 'extended'): void {
    this.#services.metrics.error(code === SQLSTATE.configurationLimitExceeded ? 'LimitExceeded' : 'DuplicatePreparedStatement');
    this.#recording.record({ type: 'error', code: 'LimitExceeded', message, sqlstate: code });
    this.#deny(protocol, denialError({ code, message }));
  }

  #bind(message: Extract<FrontendMessage, { type: 'bind' }>): void {
    const state = this.#state;
    const overBudget = state.budget.bind(
      message.portal,
      message.parameters.reduce((sum, value) => sum + (value?.length ?? 0), 0),
    );
    if (overBudget) {
      this.#refuse(SQLSTATE.configurationLimitExceeded, overBudget);
      return;
    }
    const statement = state.statements.get(message.statement);
    const formats = message.parameterFormats;
    state.portals.set(message.portal, {
      ...(statement ? { statement } : {}),
      parameters: message.parameters.map((value, i) => ({ value, format: (formats.length === 1 ? formats[0] : formats[i]) ?? 0 })),
      described: false,
      plan: null,
    });
    this.forward(message.frame, { kind: 'bind', portal: message.portal });
  }

  #execute(message: Extract<FrontendMessage, { type: 'execute' }>): Promise<void> | undefined {
    const portal = this.#state.portals.get(message.portal);
    const prepared = portal?.statement;
    if (!portal || !prepared) {
      // The server would fail too (no such portal), but the sidecar must not be the one to guess.
      this.#deny(
        'extended',
        denialError({
          code: SQLSTATE.insufficientPrivilege,
          message: `portal "${message.portal}" was not bound to a statement the sidecar has seen`,
        }),
      );
      return undefined;
    }
    const statement = newStatement(prepared.decision);
    const forward = (): void => {
      const named = takeNamedEffects(prepared.decision.statements, this.#state.budget);
      if (!named.ok) {
        this.#refuse(SQLSTATE.configurationLimitExceeded, named.refusal);
        return;
      }
      for (const s of prepared.decision.statements) this.#state.sqlPrepared.remember(s);
      if (this.#services.masker && !portal.described) {
        // Execute sends no RowDescription; ask for it, so rows can be masked by column.
        this.forward(serialize.describe({ type: 'P', name: message.portal }), {
          kind: 'describe',
          describes: 'portal',
          portal: message.portal,
          portalState: portal,
          internal: true,
        });
        portal.described = true;
      }
      this.forward(message.frame, {
        kind: 'execute',
        portal: message.portal,
        portalState: portal,
        statement,
        ...(named.effects ? { namedEffects: named.effects } : {}),
      });
    };
    if (prepared.decision.governing.action !== 'requireApproval') {
      forward();
      return undefined;
    }
    return this.#holds.hold(prepared.sql, portal.parameters, prepared.decision, statement, forward, (error) =>
      this.#deny('extended', error),
    );
  }

  #decide(text: string, protocol: 'simple' | 'extended', textIsUtf8: boolean): MessageDecision {
    const decision = decideMessage(
      text,
      this.#services,
      this.#state.sqlPrepared,
      this.#services.masker !== undefined,
      this.#recording.nextStatementIndex,
      textIsUtf8,
    );
    this.#recording.decided(decision, protocol);
    return decision;
  }

  /** The server skips everything until Sync after an error in the extended protocol; the session skips the same messages. */
  #skipLikeServer(): void {
    this.#state.skipToSync = true;
  }

  /** Replaces the denied message with one the upstream rejects; see denials.ts. */
  #deny(protocol: 'query' | 'extended', error: Buffer): void {
    const state = this.#state;
    if (protocol === 'query') {
      this.#flow.toUpstream(DENIED_QUERY);
      state.inFlight.push({ kind: 'query', denial: error });
      state.budget.syncSent();
    } else {
      this.#flow.toUpstream(DENIED_PARSE);
      state.inFlight.push({ kind: 'parse', denial: error });
      state.skipToSync = true;
    }
  }
}

function newStatement(decision: MessageDecision): StatementResult {
  return { indexes: decision.indexes, rows: 0, tags: [], maskedFields: 0, maskedByRule: new Map(), nulledBinary: 0 };
}

function policyDenial(decision: MessageDecision): Buffer {
  if (decision.refusal) return denialError(decision.refusal);
  const verdict = decision.governing.verdict;
  return denialError({
    code: decision.governing.reason.startsWith('COPY TO STDOUT') ? SQLSTATE.featureNotSupported : SQLSTATE.insufficientPrivilege,
    message: decision.governing.reason,
    ...(verdict?.message ? { hint: verdict.message } : {}),
  });
}
