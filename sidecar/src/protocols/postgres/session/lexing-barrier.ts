/**
 * The pipelining barrier that closes the last gap in the pinned lexing settings (docs/adr/0014).
 *
 * The backstop ends a session when the server reports that code the classifier cannot see into (a
 * function, DO block or trigger calling set_config) moved client_encoding or
 * standard_conforming_strings. But a message the agent pipelined behind that code was already
 * forwarded, and the server reads it in the new setting: its bytes can lex as a closed literal
 * followed by a forbidden statement. So a Query or Parse whose lexing could depend on those
 * settings is not forwarded while an earlier message that can run code may have moved them
 * unseen; it goes once the server has shown that the pins still hold.
 *
 * Which text can depend on them: only text with a byte >= 0x80 or a backslash. Every client-only
 * encoding PostgreSQL has (SJIS, SHIFT_JIS_2004, BIG5, GBK, GB18030, UHC, JOHAB) is an ASCII
 * superset whose multi-byte characters all start with a byte >= 0x80 (pg_wchar.c: a byte below
 * 0x80 is always a one-byte character); their trail bytes can be ASCII (0x5C, or GB18030's digits),
 * but only behind such a lead byte. So pure ASCII converts to itself and the server lexes the same
 * bytes the classifier did. standard_conforming_strings only changes what a backslash means in
 * '...' (scan.l: every rule that differs between xq and xe starts with a backslash; U&'' with it
 * off is an error, not a new token boundary). The hostile suite checks the conversion claim
 * against the server. Ordinary ASCII traffic is never held, so its pipelining is untouched.
 *
 * What "shown" means. PostgreSQL 14 and later report a changed setting (ParameterStatus) only just
 * before ReadyForQuery, not when it changes: after an Execute's CommandComplete the server may
 * already read in SJIS without having said so. So the barrier waits for the ReadyForQuery that
 * follows every message that can run code, or, when the agent sent no Sync behind its Execute,
 * asks the server itself: a probe of two SHOWs (no snapshot taken, nothing written) in named
 * statements and portals the agent is not using, closed again, and a Flush so the server answers
 * at once. The probe's replies never reach the agent; the agent sees exactly the server's replies
 * to its own messages, only sooner. If the probe finds a pin broken, the backstop's FATAL ends the
 * session and the held message is never forwarded.
 *
 * Messages that can run code: Query, Bind (planning evaluates immutable functions; domain input
 * runs CHECK expressions), Execute, Sync (commit runs deferred triggers). Parse, Describe and
 * Close run no user code.
 */
import { randomBytes } from 'node:crypto';
import { serialize } from 'pg-protocol';
import { type PinnedSettingName, reportedPinBroken } from '../sql/pinned-settings.ts';
import type { Frame } from '../wire/frame-decoder.ts';
import { BACKEND } from '../wire/message-codes.ts';
import type { InFlight, InFlightKind, InFlightQueue } from './in-flight.ts';

/** True when the server could lex this text differently from the classifier under another encoding or with standard_conforming_strings off. */
export function lexingDependsOnSettings(text: string): boolean {
  // A decoded string holds a code unit >= 0x80 exactly when the bytes held one (invalid bytes decode to U+FFFD).
  return /[\\\u0080-\uffff]/.test(text);
}

/** What the probe reads, in the order its rows arrive. */
const PROBED: readonly PinnedSettingName[] = ['client_encoding', 'standard_conforming_strings'];

const CODE_RUNNING: ReadonlySet<InFlightKind> = new Set<InFlightKind>(['query', 'bind', 'execute', 'sync']);

export interface LexingBarrierPorts {
  /** The replies still owed, oldest first (the session's). */
  readonly inFlight: InFlightQueue;
  /** Queues bytes upstream with the entry their replies retire (AgentToUpstream.forward). */
  forward(bytes: Buffer, entry: InFlight): void;
  /** Whether the agent has a prepared statement or portal of this name, so the probe must not take it. */
  nameInUse(kind: 'statement' | 'portal', name: string): boolean;
  readonly closing: () => boolean;
  /** The probe read a pinned setting off its value: the backstop ends the session. */
  pinBroken(setting: PinnedSettingName, value: string): void;
  /** The probe failed or could not run: the pins cannot be confirmed, so the session ends (fail closed). */
  unverifiable(reason: string): void;
}

type Outcome = 'forward' | 'skip' | 'closed' | 'unverifiable';

interface Probe {
  readonly values: string[];
  closesLeft: number;
}

export class LexingBarrier {
  readonly #ports: LexingBarrierPorts;
  /** Code ran since the server last showed the pins hold (a ReadyForQuery or a probe with nothing code-running before it). */
  #unverified = false;
  /** The server had an error in the extended protocol and skips every message until the next Sync. */
  #serverSkipping = false;
  /** The server waits for COPY data: a Query or Parse now is consumed as a protocol error, never lexed. */
  #copyIn = false;
  #probe: Probe | undefined;
  #waiter: ((outcome: Outcome) => void) | undefined;

  constructor(ports: LexingBarrierPorts) {
    this.#ports = ports;
  }

  /**
   * Runs `run` (decide and forward a Query or Parse) now, or once the pins are shown to hold.
   * `skip` is called instead when the server will skip the message anyway (after an error,
   * until Sync), so the session skips it as the server would.
   */
  gate(text: string, run: () => Promise<void> | undefined, skip: () => void): Promise<void> | undefined {
    if (!lexingDependsOnSettings(text)) return run();
    if (this.#ports.closing()) return undefined;
    if (this.#serverSkipping) {
      skip();
      return undefined;
    }
    if (!this.#unverified && !this.#codeInFlight()) return run();
    // A Query or Sync behind the last code-running message answers with ReadyForQuery, which
    // carries any change; behind a Bind or Execute only a probe can tell.
    const last = this.#lastCodeRunning();
    if (last === undefined || last === 'bind' || last === 'execute') this.#sendProbe();
    return new Promise<Outcome>((resolve) => {
      this.#waiter = resolve;
      this.check();
    }).then((outcome) => {
      switch (outcome) {
        case 'forward':
          return run();
        case 'skip':
          skip();
          return undefined;
        case 'unverifiable':
          this.#ports.unverifiable(
            'the target did not confirm client_encoding and standard_conforming_strings before a pipelined statement',
          );
          return undefined;
        case 'closed':
          return undefined;
      }
    });
  }

  /** The session queued a message upstream. */
  forwarded(kind: InFlightKind): void {
    if (CODE_RUNNING.has(kind)) this.#unverified = true;
    if (kind === 'sync') this.#serverSkipping = false;
  }

  /** An error in the extended protocol; `untilNextSync` when no Sync already sent ends the skip. */
  serverSkips(untilNextSync: boolean): void {
    if (untilNextSync) this.#serverSkipping = true;
  }

  /**
   * Every upstream frame passes here first. Returns true for the probe's own replies, which the
   * agent must not see.
   */
  upstreamFrame(frame: Frame): boolean {
    switch (frame.code) {
      case BACKEND.CopyInResponse:
      case BACKEND.CopyBothResponse:
        this.#copyIn = true;
        break;
      case BACKEND.CommandComplete:
      case BACKEND.ErrorResponse:
        this.#copyIn = false;
        break;
      case BACKEND.ReadyForQuery: // any change was reported (ParameterStatus) before it
        this.#copyIn = false;
        // The head is the Query or Sync this answers; what was sent after it has not been shown.
        if (!this.#codeInFlight(1)) this.#unverified = false;
        return false;
    }
    const probe = this.#probe;
    if (!probe || this.#ports.inFlight.head?.kind !== 'probe') return false;
    switch (frame.code) {
      case BACKEND.ParseComplete:
      case BACKEND.BindComplete:
      case BACKEND.CommandComplete:
        return true;
      case BACKEND.DataRow:
        probe.values.push(singleTextColumn(frame.payload) ?? '');
        return true;
      case BACKEND.CloseComplete:
        if (--probe.closesLeft === 0) this.#probeDone(probe);
        return true;
      case BACKEND.ErrorResponse: // the probe failed (a cancel, a timeout); the server now skips to Sync
        this.#ports.inFlight.shift();
        this.#probe = undefined;
        this.#ports.unverifiable('the probe of the pinned settings failed');
        return true;
      default:
        return false;
    }
  }

  /** Settles a waiting message if it can go, must be skipped, or the session ended. Call after each batch of upstream frames and on close. */
  check(): void {
    const waiter = this.#waiter;
    if (!waiter) return;
    const outcome = this.#outcome();
    if (outcome === undefined) return;
    this.#waiter = undefined;
    waiter(outcome);
  }

  #outcome(): Outcome | undefined {
    if (this.#ports.closing()) return 'closed';
    // The server reads the message as part of the COPY and refuses it; it never lexes it.
    if (this.#copyIn) return 'forward';
    if (this.#codeInFlight()) return undefined;
    if (!this.#unverified) return 'forward';
    // An error aborted what ran (and undid its set_config); the server skips this message too.
    if (this.#serverSkipping) return 'skip';
    return 'unverifiable';
  }

  #probeDone(probe: Probe): void {
    this.#ports.inFlight.shift();
    this.#probe = undefined;
    for (const [i, setting] of PROBED.entries()) {
      const value = probe.values[i];
      const broken = value === undefined ? setting : reportedPinBroken(setting, value);
      if (broken !== undefined) {
        this.#ports.pinBroken(setting, value ?? '(no value)');
        return;
      }
    }
    if (!this.#codeInFlight()) this.#unverified = false;
  }

  #sendProbe(): void {
    // Random, because SQL PREPARE and DECLARE CURSOR share these namespaces and the sidecar does
    // not track every name they create; a collision would fail the probe and end the session.
    const id = randomBytes(8).toString('hex');
    const name = (kind: 'statement' | 'portal', n: number): string => {
      let candidate = `airlock_lexing_probe_${id}_${n}`;
      while (this.#ports.nameInUse(kind, candidate)) candidate += '_';
      return candidate;
    };
    const parts: Buffer[] = [];
    const closes: Buffer[] = [];
    PROBED.forEach((setting, n) => {
      const statement = name('statement', n);
      const portal = name('portal', n);
      parts.push(
        serialize.parse({ name: statement, text: `SHOW ${setting}`, types: [] }),
        serialize.bind({ statement, portal }),
        serialize.execute({ portal }),
      );
      closes.push(serialize.close({ type: 'P', name: portal }), serialize.close({ type: 'S', name: statement }));
    });
    this.#probe = { values: [], closesLeft: closes.length };
    this.#ports.forward(Buffer.concat([...parts, ...closes, serialize.flush()]), { kind: 'probe', internal: true });
  }

  #codeInFlight(from = 0): boolean {
    const entries = this.#ports.inFlight.entries;
    for (let i = from; i < entries.length; i++) {
      const kind = entries[i]!.kind;
      if (CODE_RUNNING.has(kind) || kind === 'probe') return true;
    }
    return false;
  }

  #lastCodeRunning(): InFlightKind | undefined {
    return this.#ports.inFlight.entries.findLast((entry) => CODE_RUNNING.has(entry.kind))?.kind;
  }
}

/** The value of a DataRow with one non-null column, or undefined when it is not one. */
function singleTextColumn(payload: Buffer): string | undefined {
  if (payload.length < 6 || payload.readInt16BE(0) !== 1) return undefined;
  const length = payload.readInt32BE(2);
  if (length < 0 || 6 + length > payload.length) return undefined;
  return payload.subarray(6, 6 + length).toString('utf8');
}
