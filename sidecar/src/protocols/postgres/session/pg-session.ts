/**
 * One agent session: the agent's socket on one side, its own upstream connection on the other.
 * Agent → upstream, every message is decoded, Query and Parse are decided, Execute of a held
 * statement waits for approval, and only whole, allowed messages are forwarded (their original
 * bytes). Upstream → agent, replies are matched to what was asked (InFlightQueue), rows are masked
 * and results recorded. The decision itself lives in policy/decide.ts; this file moves bytes.
 */
import type { Socket } from 'node:net';
import type { RecordedEvent, RecordingError } from '@airlock/contracts/recording';
import { serialize } from 'pg-protocol';
import { ApprovalGrants } from '../../../core/approval/grants.ts';
import type { PendingApproval } from '../../../core/ports.ts';
import type { UpstreamConnection } from '../backend/upstream-connect.ts';
import type { PgLimits } from '../limits/pg-limits.ts';
import { PreparedBudget } from '../limits/prepared-budget.ts';
import { type SessionTimeoutEvent, SessionTimeouts } from '../limits/session-timeouts.ts';
import type { RowMaskPlan } from '../masking/row-masker.ts';
import { type PinnedSettingName, reportedPinBroken } from '../sql/pinned-settings.ts';
import { type ColumnDescription, decodeBackend, encode } from '../wire/backend-messages.ts';
import { ProtocolError } from '../wire/errors.ts';
import type { Frame, FrameDecoder } from '../wire/frame-decoder.ts';
import { decodeFrontend, type FrontendMessage } from '../wire/frontend-messages.ts';
import { DENIED_PARSE, DENIED_QUERY, denialError, fatalError, REPLACEMENT_SQLSTATE, SQLSTATE } from './denials.ts';
import { HeldCommand, type HoldResult } from './held-command.ts';
import { type InFlight, InFlightQueue, type StatementResult } from './in-flight.ts';
import { LexingBarrier } from './lexing-barrier.ts';
import { confirmNamedEffect, releaseUncompleted, takeNamedEffects } from './named-statement-effects.ts';
import type { PgSessionServices } from './services.ts';
import { SHUTDOWN_REASON, UPSTREAM_TERMINATE } from './shutdown-notice.ts';
import { SqlPreparedStatements } from './sql-prepared.ts';
import { decideMessage, type MessageDecision } from './statement-decision.ts';
import { isStoreUnavailable, storeSqlState, storeUnavailableFatal } from './store-unavailable.ts';

interface PreparedInfo {
  readonly sql: string;
  readonly decision: MessageDecision;
}

interface PortalInfo {
  readonly statement?: PreparedInfo;
  readonly parameters: readonly { value: Buffer | null; format: 0 | 1 }[];
  described: boolean;
  plan: RowMaskPlan | null;
}

/** How many agent frames may wait behind a held or slow one before the agent's socket is paused. */
const AGENT_QUEUE_HIGH_WATER = 256;

export class PgSession {
  readonly #agent: Socket;
  readonly #upstream: Socket;
  readonly #agentDecoder: FrameDecoder;
  readonly #upstreamDecoder: FrameDecoder;
  readonly #services: PgSessionServices;
  readonly #inFlight = new InFlightQueue();
  readonly #queue: Frame[] = [];
  readonly #outUpstream: Buffer[] = [];
  readonly #statements = new Map<string, PreparedInfo>();
  readonly #portals = new Map<string, PortalInfo>();
  /** Holds a Query or Parse whose lexing depends on the pinned settings behind code that may have moved them (ADR 0014). */
  readonly #barrier = new LexingBarrier({
    inFlight: this.#inFlight,
    forward: (bytes, entry) => this.#forward(bytes, entry),
    nameInUse: (kind, name) =>
      kind === 'statement' ? this.#statements.has(name) || this.#sqlPrepared.holds(name) : this.#portals.has(name),
    closing: () => this.#closing,
    pinBroken: (setting, value) => this.#pinBroken(setting, value),
    unverifiable: (reason) => this.#pinsUnverifiable(reason),
  });
  readonly #sqlPrepared = new SqlPreparedStatements();
  readonly #sessionGrants: ApprovalGrants;
  readonly #releaseCancelKey: () => void;
  readonly #upstreamKey: UpstreamConnection['backendKey'];
  readonly #closed: Promise<void>;
  #resolveClosed!: () => void;
  #pumping = false;
  #recordingDone = false;
  #holdRunning: Promise<void> | undefined;
  readonly #disconnected: Promise<void>;
  #resolveDisconnected!: () => void;
  #skipToSync = false;
  #rowPlan: RowMaskPlan | null = null;
  #rowStatement: StatementResult | undefined;
  #holding: PendingApproval | undefined;
  #statementIndex = 0;
  #closing = false;
  /** Set by shutdown(): the FATAL to send at the first moment nothing is owed in either direction. */
  #shutdownFatal: Buffer | undefined;
  #bytesIn = 0;
  #bytesOut = 0;
  readonly #maxPendingBytes: number;
  #queuedBytes = 0;
  readonly #timeouts: SessionTimeouts;
  readonly #budget: PreparedBudget;

  constructor(agent: Socket, agentDecoder: FrameDecoder, upstream: UpstreamConnection, services: PgSessionServices, limits: PgLimits) {
    this.#agent = agent;
    this.#maxPendingBytes = limits.maxPendingBytes;
    this.#budget = new PreparedBudget(limits);
    this.#timeouts = new SessionTimeouts(
      limits,
      (event) => this.#timedOut(event),
      () => !this.#agent.isPaused(),
    );
    this.#agentDecoder = agentDecoder;
    this.#upstream = upstream.socket;
    this.#upstreamDecoder = upstream.decoder;
    this.#services = services;
    this.#sessionGrants = new ApprovalGrants(services.clock);
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#disconnected = new Promise((resolve) => {
      this.#resolveDisconnected = resolve;
    });
    const key = services.cancels.issue({ cancel: () => this.#cancel() });
    this.#releaseCancelKey = key.release;
    // What a real server says after authentication, with the sidecar's cancel key instead of the upstream's.
    this.#writeAgent([
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
   * Graceful shutdown (listener.ts close): what is in flight finishes and its replies reach the
   * agent; then, between two messages, the agent gets `fatal` and the session ends. An idle session
   * ends at once; a held statement is withdrawn (it has not run, and approval could outlast the grace).
   */
  shutdown(fatal: Buffer): void {
    this.#shutdownFatal ??= fatal;
    if (this.#holding) void this.#holding.withdraw(SHUTDOWN_REASON);
    this.#shutdownIfIdle();
  }

  /** The grace period is over: `fatal` goes after the last whole message relayed, and the session ends. */
  terminate(fatal: Buffer): void {
    if (this.#closing) return;
    this.#writeAgent([fatal]);
    this.#close(SHUTDOWN_REASON);
  }

  #shutdownIfIdle(): void {
    const fatal = this.#shutdownFatal;
    if (!fatal || this.#closing || this.#pumping || this.#holding || this.#queue.length > 0) return;
    if (this.#inFlight.size > 0 || this.#outUpstream.length > 0) return;
    this.#upstream.write(UPSTREAM_TERMINATE);
    this.#writeAgent([fatal]);
    this.#close(SHUTDOWN_REASON);
  }

  /** Wires the sockets; `pending` are agent frames read during startup, `upstreamPending` upstream ones. */
  start(pending: readonly Frame[], upstreamPending: readonly Frame[]): void {
    this.#agent.on('data', (chunk: Buffer) => this.#onAgentData(chunk));
    this.#agent.on('end', () => this.#close('the agent closed the connection'));
    this.#agent.on('close', () => this.#close('the agent closed the connection'));
    this.#agent.on('error', (error) => this.#close(`agent socket error: ${error.message}`));
    this.#upstream.on('data', (chunk: Buffer) => this.#onUpstreamData(chunk));
    this.#upstream.on('end', () => this.#upstreamLost('the target closed the connection'));
    this.#upstream.on('close', () => this.#upstreamLost('the target closed the connection'));
    this.#upstream.on('error', (error) => this.#upstreamLost(`the connection to the target failed: ${error.message}`));
    // The startup may have paused either socket to bound what it buffered (socket-frames.ts).
    this.#agent.resume();
    this.#upstream.resume();
    if (upstreamPending.length > 0) this.#relayUpstream(upstreamPending, undefined);
    if (pending.length > 0 || this.#agentDecoder.buffered > 0) this.#timeouts.agentData(this.#agentDecoder.buffered > 0);
    if (pending.length > 0) this.#enqueue(pending);
  }

  // ---------------------------------------------------------------- agent → upstream

  #onAgentData(chunk: Buffer): void {
    // After a FATAL the session is closing: input is read and dropped, never decoded or buffered.
    if (this.#closing) return;
    this.#bytesIn += chunk.length;
    this.#services.metrics.bytes('in', chunk.length);
    let frames: Frame[];
    try {
      frames = this.#agentDecoder.push(chunk);
    } catch (error) {
      this.#protocolViolation(error as Error);
      return;
    }
    this.#timeouts.agentData(this.#agentDecoder.buffered > 0);
    this.#enqueue(frames);
  }

  #enqueue(frames: readonly Frame[]): void {
    for (const frame of frames) {
      this.#queue.push(frame);
      this.#queuedBytes += frame.raw.length;
    }
    // Bounded per session (limits.maxPendingBytes): past it the agent's bytes wait in the kernel.
    if (this.#queue.length > AGENT_QUEUE_HIGH_WATER || this.#queuedBytes > this.#maxPendingBytes) this.#agent.pause();
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (;;) {
        const frame = this.#queue.shift();
        if (this.#closing) break;
        if (!frame) {
          await this.#sendUpstream();
          // Frames that arrived while the recording store was awaited are this pump's to decide.
          if (this.#queue.length > 0) continue;
          break;
        }
        this.#queuedBytes -= frame.raw.length;
        if (!this.#services.record.writable) {
          await this.#sendUpstream();
          await this.#services.record.whenWritable();
        }
        const pending = this.#onFrontend(frame);
        if (pending) {
          await this.#sendUpstream();
          await pending;
        }
      }
      if (!this.#closing) this.#agent.resume();
    } catch (error) {
      if (isStoreUnavailable(error)) this.#storeUnavailable(error);
      else this.#protocolViolation(error as Error);
    } finally {
      this.#pumping = false;
    }
    this.#shutdownIfIdle();
  }

  #onFrontend(frame: Frame): Promise<void> | undefined {
    // After a denial in the extended protocol the server skips to Sync; so does the sidecar, so
    // that nothing behind the denied message is decided, held or forwarded.
    if (this.#skipToSync && frame.code !== 0x53) return undefined;
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
          const portal = this.#portals.get(message.name);
          if (portal) portal.described = true;
          this.#forward(frame, { kind: 'describe', describes: 'portal', portal: message.name, ...(portal ? { portalState: portal } : {}) });
        } else {
          this.#forward(frame, { kind: 'describe', describes: 'statement', portal: message.name });
        }
        return undefined;
      case 'execute':
        return this.#execute(message);
      case 'close':
        if (message.target === 'portal') {
          this.#portals.delete(message.name);
          this.#budget.closePortal(message.name);
        } else {
          this.#statements.delete(message.name);
          this.#budget.closeStatement(message.name);
        }
        this.#forward(frame, { kind: 'close' });
        return undefined;
      case 'sync':
        this.#skipToSync = false;
        // An implicit transaction ends at Sync: unnamed portals do not survive it.
        this.#portals.delete('');
        this.#forward(frame, { kind: 'sync' });
        return undefined;
      case 'flush':
      case 'copyData':
      case 'copyDone':
      case 'copyFail':
        this.#outUpstream.push(frame.raw);
        return undefined;
      case 'functionCall':
        this.#services.metrics.statement('deny', 'enforce');
        this.#record({
          type: 'decision',
          statementIndex: this.#statementIndex++,
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
        this.#outUpstream.push(frame.raw);
        // Through the recording barrier like any other bytes: a Query pipelined before Terminate must not skip it.
        return this.#sendUpstream().then(
          () => this.#close('the agent terminated the session'),
          (error: unknown) => (isStoreUnavailable(error) ? this.#storeUnavailable(error) : this.#protocolViolation(error as Error)),
        );
      case 'password':
        throw new ProtocolError('MessageMalformed', 'a password message outside authentication');
    }
  }

  #query(message: Extract<FrontendMessage, { type: 'query' }>): Promise<void> | undefined {
    const decision = this.#decide(message.sql, 'simple', message.sqlIsUtf8);
    const statement = this.#newStatement(decision);
    const forward = (): void => {
      const named = takeNamedEffects(decision.statements, this.#budget);
      if (!named.ok) {
        this.#refuse(SQLSTATE.configurationLimitExceeded, named.refusal, 'query');
        return;
      }
      for (const s of decision.statements) this.#sqlPrepared.remember(s);
      this.#forward(message.frame, { kind: 'query', statement, ...(named.effects ? { namedEffects: named.effects } : {}) });
    };
    switch (decision.governing.action) {
      case 'allow':
        forward();
        return undefined;
      case 'deny':
        this.#deny('query', this.#policyDenial(decision));
        return undefined;
      case 'requireApproval':
        return this.#hold(message.sql, [], decision, statement, forward, (error) => this.#deny('query', error));
    }
  }

  #parse(message: Extract<FrontendMessage, { type: 'parse' }>): void {
    // As the server does: a named statement is closed before its name is reused. Letting the Parse
    // through would leave the sidecar deciding Executes by the new text while the server runs the old.
    if (message.statement !== '' && this.#budget.has(message.statement)) {
      this.#refuse(SQLSTATE.duplicatePreparedStatement, `prepared statement "${message.statement}" already exists; Close it first`);
      return;
    }
    const overBudget = this.#budget.parse(message.statement, Buffer.byteLength(message.sql));
    if (overBudget) {
      this.#refuse(SQLSTATE.configurationLimitExceeded, overBudget);
      return;
    }
    const decision = this.#decide(message.sql, 'extended', message.sqlIsUtf8);
    if (decision.governing.action === 'deny') {
      this.#statements.delete(message.statement);
      this.#budget.closeStatement(message.statement);
      this.#deny('extended', this.#policyDenial(decision));
      return;
    }
    // Parsing runs nothing; a statement that needs approval is held at Execute, with its parameters.
    this.#statements.set(message.statement, { sql: message.sql, decision });
    this.#forward(message.frame, { kind: 'parse', ...(message.statement === '' ? {} : { prepared: message.statement }) });
  }

  /** A Parse or Bind the session's limits do not allow: an error, the session stays usable. */
  #refuse(code: string, message: string, protocol: 'query' | 'extended' = 'extended'): void {
    this.#services.metrics.error(code === SQLSTATE.configurationLimitExceeded ? 'LimitExceeded' : 'DuplicatePreparedStatement');
    this.#record({ type: 'error', code: 'LimitExceeded', message, sqlstate: code });
    this.#deny(protocol, denialError({ code, message }));
  }

  #bind(message: Extract<FrontendMessage, { type: 'bind' }>): void {
    const overBudget = this.#budget.bind(
      message.portal,
      message.parameters.reduce((sum, value) => sum + (value?.length ?? 0), 0),
    );
    if (overBudget) {
      this.#refuse(SQLSTATE.configurationLimitExceeded, overBudget);
      return;
    }
    const statement = this.#statements.get(message.statement);
    const formats = message.parameterFormats;
    this.#portals.set(message.portal, {
      ...(statement ? { statement } : {}),
      parameters: message.parameters.map((value, i) => ({ value, format: (formats.length === 1 ? formats[0] : formats[i]) ?? 0 })),
      described: false,
      plan: null,
    });
    this.#forward(message.frame, { kind: 'bind', portal: message.portal });
  }

  #execute(message: Extract<FrontendMessage, { type: 'execute' }>): Promise<void> | undefined {
    const portal = this.#portals.get(message.portal);
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
    const statement = this.#newStatement(prepared.decision);
    const forward = (): void => {
      const named = takeNamedEffects(prepared.decision.statements, this.#budget);
      if (!named.ok) {
        this.#refuse(SQLSTATE.configurationLimitExceeded, named.refusal);
        return;
      }
      for (const s of prepared.decision.statements) this.#sqlPrepared.remember(s);
      if (this.#services.masker && !portal.described) {
        // Execute sends no RowDescription; ask for it, so rows can be masked by column.
        this.#forward(serialize.describe({ type: 'P', name: message.portal }), {
          kind: 'describe',
          describes: 'portal',
          portal: message.portal,
          portalState: portal,
          internal: true,
        });
        portal.described = true;
      }
      this.#forward(message.frame, {
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
    return this.#hold(prepared.sql, portal.parameters, prepared.decision, statement, forward, (error) => this.#deny('extended', error));
  }

  #decide(text: string, protocol: 'simple' | 'extended', textIsUtf8: boolean): MessageDecision {
    const decision = decideMessage(
      text,
      this.#services,
      this.#sqlPrepared,
      this.#services.masker !== undefined,
      () => this.#statementIndex++,
      textIsUtf8,
    );
    this.#services.metrics.parseCache(decision.cached);
    decision.statements.forEach((statement, i) => {
      const d = decision.decisions[i]!;
      const statementIndex = decision.indexes[i]!;
      this.#record({ type: 'statement', statementIndex, flavour: protocol, text: statement.text });
      this.#record({
        type: 'classification',
        statementIndex,
        kinds: statement.kinds,
        commands: statement.commands,
        objects: statement.objects,
        functions: statement.functions,
        writesWithoutWhere: statement.writesWithoutWhere,
        cached: decision.cached,
        ...(statement.unknownReason ? { unknownReason: statement.unknownReason } : {}),
      });
      // In audit mode, what the policy said is the audit verdict; what happened is allow.
      const said = d.verdict ?? d.audit[0];
      const mode = d.verdict ? 'enforce' : said ? 'audit' : 'enforce';
      this.#record({
        type: 'decision',
        statementIndex,
        action: said?.action ?? d.action,
        effective: d.action,
        mode,
        ...(said ? { policy: `${this.#services.target.namespace}/${said.policy}`, rule: said.rule ?? 'default' } : {}),
        reason: d.reason,
      });
      this.#services.metrics.statement(said?.action ?? d.action, mode);
    });
    return decision;
  }

  #policyDenial(decision: MessageDecision): Buffer {
    if (decision.refusal) return denialError(decision.refusal);
    const verdict = decision.governing.verdict;
    return denialError({
      code: decision.governing.reason.startsWith('COPY TO STDOUT') ? SQLSTATE.featureNotSupported : SQLSTATE.insufficientPrivilege,
      message: decision.governing.reason,
      ...(verdict?.message ? { hint: verdict.message } : {}),
    });
  }

  async #hold(
    text: string,
    parameters: PortalInfo['parameters'],
    decision: MessageDecision,
    statement: StatementResult,
    forward: () => void,
    deny: (error: Buffer) => void,
  ): Promise<void> {
    const held = new HeldCommand(this.#services, {
      sessionGrants: this.#sessionGrants,
      text,
      parameters,
      decision,
    });
    const running = held.run({
      notify: (notice) => this.#writeAgent([notice]),
      onPending: (pending) => {
        this.#holding = pending;
      },
      closed: this.#disconnected,
      record: (event) => this.#record(event),
    });
    this.#holdRunning = running.then(() => undefined);
    const result: HoldResult = await running;
    this.#holdRunning = undefined;
    this.#holding = undefined;
    if (this.#closing) return;
    if (result.release && this.#skipToSync) {
      // An earlier message of the pipeline failed while this one was held: the server skips to
      // Sync and would never run it, nor answer it. Forwarding it would put an answer in the
      // in-flight queue that never comes, and every later reply would be matched to the wrong message.
      void result
        .report?.({ ...statement, error: { code: '', message: 'not run: an earlier message in the pipeline failed' } })
        .catch(() => undefined);
      return;
    }
    if (result.release) {
      const report = result.report;
      if (report) statement.onDone = (r) => void report(r).catch(() => undefined);
      forward();
      return;
    }
    deny(result.error);
  }

  #newStatement(decision: MessageDecision): StatementResult {
    return { indexes: decision.indexes, rows: 0, tags: [], maskedFields: 0, maskedByRule: new Map(), nulledBinary: 0 };
  }

  #forward(bytes: Buffer | Frame, entry: InFlight): void {
    this.#outUpstream.push(Buffer.isBuffer(bytes) ? bytes : bytes.raw);
    this.#inFlight.push(entry);
    this.#barrier.forwarded(entry.kind);
    if (entry.kind === 'query' || entry.kind === 'sync') this.#budget.syncSent();
  }

  /** Replaces the denied message with one the upstream rejects; see denials.ts. */
  #deny(protocol: 'query' | 'extended', error: Buffer): void {
    if (protocol === 'query') {
      this.#outUpstream.push(DENIED_QUERY);
      this.#inFlight.push({ kind: 'query', denial: error });
      this.#budget.syncSent();
    } else {
      this.#outUpstream.push(DENIED_PARSE);
      this.#inFlight.push({ kind: 'parse', denial: error });
      this.#skipToSync = true;
    }
  }

  /** Recording Block: what decided these bytes is stored before they go (one batch for all of them; ADR 0012). */
  async #sendUpstream(): Promise<void> {
    if (this.#outUpstream.length === 0 || this.#closing) return;
    const stored = this.#services.record.beforeForward();
    if (stored) await stored;
    this.#flushUpstream();
  }

  /** The records could not be stored within the deadline: nothing decided since the last forward goes; the session ends. */
  #storeUnavailable(error: RecordingError): void {
    if (this.#closing) return;
    this.#outUpstream.length = 0;
    this.#services.metrics.error(error.code);
    this.#services.logger.warn({ code: error.code, message: error.message }, 'session closed: its records cannot be stored');
    this.#record({ type: 'error', code: error.code, message: error.message, sqlstate: storeSqlState(error) });
    this.#writeAgent([storeUnavailableFatal(error, this.#services.target.name, 'the statement was not run and the session is closed')]);
    this.#close(`recording store unavailable: ${error.message}`);
  }

  #flushUpstream(): void {
    if (this.#outUpstream.length === 0 || this.#closing) return;
    const bytes = this.#outUpstream.length === 1 ? this.#outUpstream[0]! : Buffer.concat(this.#outUpstream);
    this.#outUpstream.length = 0;
    if (!this.#upstream.write(bytes)) {
      this.#agent.pause();
      this.#upstream.once('drain', () => {
        if (!this.#pumping && !this.#closing) this.#agent.resume();
      });
    }
  }

  #cancel(): void {
    if (this.#holding) {
      void this.#holding.withdraw('the agent cancelled the statement');
      return;
    }
    const key = this.#upstreamKey;
    if (key && this.sendUpstreamCancel) void this.sendUpstreamCancel(key).catch(() => undefined);
  }

  // ---------------------------------------------------------------- upstream → agent

  #onUpstreamData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.#upstreamDecoder.push(chunk);
    } catch (error) {
      this.#upstreamLost(`the target broke the protocol: ${(error as Error).message}`);
      return;
    }
    this.#relayUpstream(frames, chunk);
  }

  #relayUpstream(frames: readonly Frame[], chunk: Buffer | undefined): void {
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
      this.#upstreamDecoder.buffered === 0 &&
      frames.length > 0 &&
      frames[0]!.raw.buffer === chunk.buffer &&
      frames[0]!.raw.byteOffset === chunk.byteOffset
    ) {
      this.#writeAgent([chunk]);
    } else if (out.length > 0) {
      this.#writeAgent(out);
    }
    this.#barrier.check();
    this.#shutdownIfIdle();
  }

  /** Returns the bytes to send the agent for this frame (the frame itself when unchanged), or undefined to drop it. */
  #onBackend(frame: Frame): Buffer | undefined {
    if (this.#barrier.upstreamFrame(frame)) return undefined;
    const head = this.#inFlight.head;
    switch (frame.code) {
      case 0x44: {
        // D DataRow
        // Execute sends no RowDescription: its rows follow the portal's (from Describe).
        const executing = head?.kind === 'execute';
        const statement = executing ? head.statement : this.#rowStatement;
        if (statement) statement.rows++;
        const plan = executing ? (head.portalState?.plan ?? null) : this.#rowPlan;
        if (!plan) return frame.raw;
        const masked = plan.maskRow(frame.raw);
        if (masked.masked.length > 0 || masked.nulledBinary > 0) this.#countMasking(masked, statement);
        return masked.frame;
      }
      case 0x54: {
        // T RowDescription
        const message = decodeBackend(frame);
        const columns = message.type === 'rowDescription' ? message.columns : [];
        if (head?.kind === 'describe') {
          this.#inFlight.shift();
          if (head.describes === 'portal' && head.portalState) head.portalState.plan = this.#planFor(columns);
          return head.internal ? undefined : frame.raw;
        }
        this.#rowPlan = this.#planFor(columns);
        this.#rowStatement = head?.statement;
        return frame.raw;
      }
      case 0x6e: // n NoData
        if (head?.kind === 'describe') {
          this.#inFlight.shift();
          if (head.internal) return undefined;
        }
        return frame.raw;
      case 0x31: // 1 ParseComplete
      case 0x32: // 2 BindComplete
      case 0x33: // 3 CloseComplete
        this.#inFlight.shift();
        return frame.raw;
      case 0x43: // C CommandComplete
      case 0x49: // I EmptyQueryResponse
      case 0x73: {
        // s PortalSuspended
        if (frame.code === 0x43 && head?.statement) {
          const message = decodeBackend(frame);
          if (message.type === 'commandComplete') {
            // DEALLOCATE / DISCARD ALL done on the server: its protocol-level statements are gone too.
            for (const name of confirmNamedEffect(head.namedEffects?.[head.statement.tags.length], message.tag, this.#budget)) {
              this.#statements.delete(name);
            }
            head.statement.tags.push(message.tag);
          }
        }
        if (head?.kind === 'execute') {
          this.#inFlight.shift();
          if (head.statement) this.#finishStatement(head.statement);
        }
        this.#rowPlan = null;
        this.#rowStatement = undefined;
        return frame.raw;
      }
      case 0x45: {
        // E ErrorResponse
        const message = decodeBackend(frame);
        const fields = message.type === 'errorResponse' ? message.fields : new Map<string, string>();
        const out = head?.denial && fields.get('C') === REPLACEMENT_SQLSTATE ? head.denial : frame.raw;
        if (head?.statement) head.statement.error = { code: fields.get('C') ?? '', message: fields.get('M') ?? '' };
        if (head?.statement && head.namedEffects) releaseUncompleted(head.namedEffects, head.statement.tags.length, this.#budget);
        this.#rowPlan = null;
        if (head && head.kind !== 'query' && head.kind !== 'sync') {
          // The failed message and the skipped ones created nothing: a Parse there leaves no name behind.
          if (head.prepared !== undefined) this.#forgetStatement(head.prepared);
          for (const skipped of this.#inFlight.discardUntilSync()) {
            if (skipped.statement) this.#finishStatement(skipped.statement);
            if (skipped.prepared !== undefined) this.#forgetStatement(skipped.prepared);
            if (skipped.namedEffects) releaseUncompleted(skipped.namedEffects, 0, this.#budget);
          }
          const serverSkips = this.#inFlight.head?.kind !== 'sync';
          // No Sync is on its way: the server now discards everything up to the agent's next Sync,
          // and so does the session — including a held Execute that is approved later.
          if (serverSkips) this.#skipToSync = true;
          this.#barrier.serverSkips(serverSkips);
        }
        return out;
      }
      case 0x5a: {
        // Z ReadyForQuery
        this.#inFlight.shift();
        for (const name of this.#budget.readyForQuery(frame.payload[0] ?? 0)) this.#portals.delete(name);
        if (this.#inFlight.size === 0 && this.#queue.length === 0 && !this.#pumping) this.#timeouts.idle(frame.payload[0] ?? 0);
        if (head?.kind === 'query' && head.statement) this.#finishStatement(head.statement);
        this.#rowPlan = null;
        this.#rowStatement = undefined;
        return frame.raw;
      }
      case 0x53: // S ParameterStatus
        return this.#parameterStatus(frame);
      case 0x4b: // K BackendKeyData after startup would leak the upstream key; a server does not send it.
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
    this.#pinBroken(broken, message.value);
    return undefined;
  }

  /** The backstop: reported by ParameterStatus, or found by the lexing barrier's probe. */
  #pinBroken(broken: PinnedSettingName, value: string): void {
    if (this.#closing) return;
    const reason = `the target reports ${broken} = ${value}, which airlock pins: a statement changed it through code the sidecar cannot see into`;
    this.#services.metrics.error('PinnedSettingChanged');
    this.#services.logger.warn({ setting: broken, value }, 'a pinned setting changed upstream; ending the session');
    this.#record({ type: 'error', code: 'PinnedSettingChanged', message: reason });
    this.#writeAgent([
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
    if (this.#closing) return;
    this.#services.metrics.error('PinnedSettingUnverified');
    this.#record({ type: 'error', code: 'PinnedSettingUnverified', message: reason });
    this.#writeAgent([
      fatalError(
        SQLSTATE.featureNotSupported,
        reason,
        'The pipelined statement was not run. Send a Sync before statements with non-ASCII text or backslashes.',
      ),
    ]);
    this.#close(reason);
  }

  /** The server skips everything until Sync after an error in the extended protocol; the session skips the same messages. */
  #skipLikeServer(): void {
    this.#skipToSync = true;
  }

  #planFor(columns: readonly ColumnDescription[]): RowMaskPlan | null {
    const masker = this.#services.masker;
    if (!masker) return null;
    return masker.planFor(columns.map((c) => ({ name: c.name, typeOid: c.typeOid, format: c.format })));
  }

  #countMasking(result: ReturnType<RowMaskPlan['maskRow']>, statement: StatementResult | undefined): void {
    for (const field of result.masked) {
      this.#services.metrics.masked(field.rule, 1);
      if (statement) statement.maskedByRule.set(field.rule, (statement.maskedByRule.get(field.rule) ?? 0) + 1);
    }
    if (result.nulledBinary > 0) {
      this.#services.metrics.maskedBinaryNulled(result.nulledBinary);
      if (statement) statement.nulledBinary += result.nulledBinary;
    }
    if (statement) statement.maskedFields += result.masked.length + result.nulledBinary;
  }

  #finishStatement(statement: StatementResult): void {
    const last = statement.indexes.at(-1) ?? 0;
    statement.tags.forEach((commandTag, i) => {
      const rows = rowsOf(commandTag);
      this.#record({ type: 'result', statementIndex: statement.indexes[i] ?? last, commandTag, ...(rows === undefined ? {} : { rows }) });
    });
    if (statement.maskedFields > 0) {
      this.#record({
        type: 'masking',
        statementIndex: statement.indexes[0] ?? last,
        maskedByRule: Object.fromEntries(statement.maskedByRule),
        nulledBinary: statement.nulledBinary,
      });
    }
    if (statement.error) {
      this.#record({
        type: 'error',
        statementIndex: statement.indexes[statement.tags.length] ?? last,
        code: 'StatementFailed',
        message: statement.error.message,
        sqlstate: statement.error.code,
      });
    }
    statement.onDone?.(statement);
  }

  // ---------------------------------------------------------------- both

  #writeAgent(buffers: readonly Buffer[]): void {
    if (this.#agent.destroyed) return;
    const bytes = buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers);
    this.#bytesOut += bytes.length;
    this.#services.metrics.bytes('out', bytes.length);
    if (!this.#agent.write(bytes)) {
      this.#upstream.pause();
      this.#agent.once('drain', () => this.#upstream.resume());
    }
  }

  #record(event: RecordedEvent): void {
    // Late replies after session.close are not part of the session any more.
    if (this.#recordingDone) return;
    this.#services.record.record(event);
  }

  #protocolViolation(error: Error): void {
    const code = error instanceof ProtocolError ? error.code : 'InternalError';
    this.#services.metrics.error(code);
    this.#services.logger.warn({ err: { code, message: error.message } }, 'agent protocol violation');
    this.#record({ type: 'error', code, message: error.message });
    // Nothing of the bad message went upstream: frames are forwarded only whole and decoded.
    this.#writeAgent([
      fatalError(
        SQLSTATE.protocolViolation,
        `protocol violation: ${error.message}`,
        'Nothing the sidecar had not yet forwarded was run, including valid messages sent just before the bad bytes (ADR 0013).',
      ),
    ]);
    this.#close(`protocol violation: ${error.message}`);
  }

  #upstreamLost(reason: string): void {
    if (this.#closing) return;
    const owed = this.#inFlight.clear();
    this.#services.metrics.error('UpstreamLost');
    this.#record({ type: 'error', code: 'UpstreamLost', message: `${reason} (${owed.length} replies owed)` });
    const detail = owed.some((entry) => entry.kind === 'query' || entry.kind === 'execute')
      ? 'A statement was in progress: it may or may not have run. The sidecar does not retry it.'
      : undefined;
    this.#writeAgent([
      fatalError(SQLSTATE.connectionFailure, `lost the connection to target ${this.#services.target.name}: ${reason}`, detail),
    ]);
    this.#close(reason);
  }

  #forgetStatement(name: string): void {
    this.#statements.delete(name);
    this.#budget.closeStatement(name);
  }

  /** An idle or partial-frame timeout (limits/session-timeouts.ts): FATAL, and the upstream closes with it. */
  #timedOut(event: SessionTimeoutEvent): void {
    if (this.#closing) return;
    this.#services.metrics.error('SessionTimeout');
    this.#services.logger.info({ timeout: event.kind }, event.reason);
    this.#record({ type: 'error', code: 'SessionTimeout', message: event.reason });
    this.#writeAgent([event.fatal]);
    this.#close(event.reason);
  }

  #close(reason: string): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#barrier.check();
    this.#timeouts.stop();
    // Read on and drop (see #onAgentData): a close with unread input resets the connection, and the agent could lose the FATAL.
    this.#agent.resume();
    this.#resolveDisconnected();
    this.#releaseCancelKey();
    this.#queue.length = 0;
    if (this.#holding) void this.#holding.withdraw(`the agent disconnected: ${reason}`);
    // A held command records its outcome when the withdrawal settles; session.close comes last.
    const recorded = (this.#holdRunning ?? Promise.resolve()).then(() => {
      this.#record({ type: 'session.close', reason, bytesIn: this.#bytesIn, bytesOut: this.#bytesOut, statements: this.#statementIndex });
      this.#recordingDone = true;
    });
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

/** The row count in a CommandComplete tag: SELECT 3, INSERT 0 1, UPDATE 2, COPY 5. */
function rowsOf(tag: string): number | undefined {
  const match = /^(?:SELECT|INSERT \d+|UPDATE|DELETE|MERGE|COPY|FETCH|MOVE) (\d+)$/.exec(tag);
  return match ? Number(match[1]) : undefined;
}
