/**
 * What the upstream still owes the agent, in order. Every forwarded message that the server
 * answers gets an entry; the upstream's replies retire entries as PostgreSQL's protocol defines
 * (ParseComplete retires a Parse, ReadyForQuery a Query or Sync, an error in the extended protocol
 * retires everything up to the next Sync because the server skips it). This is how the sidecar
 * knows which statement a row or a command tag belongs to, which RowDescription applies to an
 * Execute, and which error it must rewrite — without guessing from timing.
 */
import type { RowMaskPlan } from '../masking/row-masker.ts';
import type { NamedEffect } from './named-statement-effects.ts';

/** `probe`: the lexing barrier's own check of the pinned settings (lexing-barrier.ts), one entry for all its replies. */
export type InFlightKind = 'query' | 'parse' | 'bind' | 'describe' | 'execute' | 'close' | 'sync' | 'probe';

export interface InFlight {
  readonly kind: InFlightKind;
  /** Describe target, Bind/Execute portal name. */
  readonly portal?: string;
  /**
   * The portal as bound when this message was sent. A later Bind may reuse the name before this
   * reply arrives, so replies are matched to the object, not the name.
   */
  readonly portalState?: { plan: RowMaskPlan | null };
  readonly describes?: 'statement' | 'portal';
  /** The sidecar sent this message itself; its reply is not passed to the agent. */
  readonly internal?: boolean;
  /** The sidecar replaced a denied message with one that fails upstream; this error goes to the agent instead. */
  readonly denial?: Buffer;
  /** Parse of a named statement: its name, forgotten when the server refuses or skips the Parse. */
  readonly prepared?: string;
  /** What the message's statements do to named prepared statements, released or confirmed as the server answers. */
  readonly namedEffects?: readonly (NamedEffect | undefined)[];
  /** Result accounting for a statement (Query or Execute). */
  statement?: StatementResult;
}

export interface StatementResult {
  /** The statementIndex of each statement in the message; command tags arrive in the same order. */
  readonly indexes: readonly number[];
  rows: number;
  tags: string[];
  error?: { code: string; message: string };
  maskedFields: number;
  readonly maskedByRule: Map<string, number>;
  nulledBinary: number;
  onDone?: (result: StatementResult) => void;
}

export class InFlightQueue {
  readonly #entries: InFlight[] = [];

  push(entry: InFlight): void {
    this.#entries.push(entry);
  }

  get head(): InFlight | undefined {
    return this.#entries[0];
  }

  get size(): number {
    return this.#entries.length;
  }

  /** What is owed, oldest first, for callers that must look past the head (the lexing barrier). */
  get entries(): readonly InFlight[] {
    return this.#entries;
  }

  shift(): InFlight | undefined {
    return this.#entries.shift();
  }

  /** After an error in the extended protocol the server ignores everything up to the next Sync. */
  discardUntilSync(): InFlight[] {
    const index = this.#entries.findIndex((entry) => entry.kind === 'sync');
    return this.#entries.splice(0, index === -1 ? this.#entries.length : index);
  }

  /** The connection is gone: everything still owed is lost. */
  clear(): InFlight[] {
    return this.#entries.splice(0);
  }
}
