/**
 * What one session may keep on the server by name: named prepared statements and named portals,
 * by count and by bytes (the SQL text of statements, the parameters of portals). A Parse or Bind
 * beyond the budget is refused before anything is decided or forwarded (SQLSTATE 53400,
 * configuration_limit_exceeded), so a flood of Parses costs neither classification nor memory.
 * Close releases an entry; so does the end of the transaction for portals (the server drops them
 * at ReadyForQuery "idle"), and the end of the session for everything.
 *
 * Named statements from the extended protocol (Parse) and from SQL (PREPARE) share one count, as
 * they share one namespace on the server. Each entry carries a ticket, increasing in the order
 * room was taken, so that a release the server confirms later (DEALLOCATE ALL, DISCARD ALL) can
 * apply to what existed when it was sent and spare what was created behind it.
 *
 * Portal bookkeeping follows the server: a portal bound before the n-th Sync/Query is gone once
 * the n-th ReadyForQuery reports no transaction. Counting Syncs, not waiting for them, keeps
 * pipelined Binds after that Sync alive.
 */
export interface PreparedBudgetLimits {
  readonly maxPreparedStatements: number;
  readonly maxPortals: number;
  readonly maxPreparedBytes: number;
}

export const CONFIGURATION_LIMIT_EXCEEDED = '53400';

export class PreparedBudget {
  readonly #limits: PreparedBudgetLimits;
  readonly #statements = new Map<string, { readonly bytes: number; readonly ticket: number }>();
  #tickets = 0;
  readonly #portals = new Map<string, { readonly bytes: number; readonly boundBefore: number }>();
  #bytes = 0;
  #syncsSent = 0;
  #readySeen = 0;

  constructor(limits: PreparedBudgetLimits) {
    this.#limits = limits;
  }

  get statements(): number {
    return this.#statements.size;
  }

  get portals(): number {
    return this.#portals.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Takes room for a named statement; returns why not when over the budget. The unnamed one is not counted. */
  parse(name: string, bytes: number): string | undefined {
    if (name === '') return undefined;
    const previous = this.#statements.get(name)?.bytes ?? 0;
    if (!this.#statements.has(name) && this.#statements.size >= this.#limits.maxPreparedStatements) return this.#tooMany();
    const refusal = this.#overBytes(bytes - previous);
    if (refusal) return refusal;
    this.#statements.set(name, { bytes, ticket: this.#tickets++ });
    this.#bytes += bytes - previous;
    return undefined;
  }

  /**
   * SQL PREPAREs of one message, all or none: room for each new name, and its ticket (undefined
   * for a name that exists already, which the server will refuse with 42P05 and which keeps its room).
   */
  prepareAll(entries: readonly { readonly name: string; readonly bytes: number }[]): { readonly tickets: (number | undefined)[] } | string {
    const fresh = new Map<string, number>();
    for (const { name, bytes } of entries) if (!this.#statements.has(name) && !fresh.has(name)) fresh.set(name, bytes);
    if (fresh.size > 0 && this.#statements.size + fresh.size > this.#limits.maxPreparedStatements) return this.#tooMany();
    const refusal = this.#overBytes([...fresh.values()].reduce((sum, bytes) => sum + bytes, 0));
    if (refusal) return refusal;
    const tickets = new Map<string, number>();
    for (const [name, bytes] of fresh) {
      tickets.set(name, this.#tickets);
      this.#statements.set(name, { bytes, ticket: this.#tickets++ });
      this.#bytes += bytes;
    }
    return { tickets: entries.map(({ name }) => tickets.get(name)) };
  }

  /** The ticket the next entry will get: entries with a smaller one exist now. */
  mark(): number {
    return this.#tickets;
  }

  /** The server dropped `name` (or every name, `*`) as of `mark`: releases those older than it; returns their names. */
  releaseBefore(name: string, mark: number): string[] {
    const names = name === '*' ? [...this.#statements.keys()] : [name];
    const released = names.filter((n) => (this.#statements.get(n)?.ticket ?? mark) < mark);
    for (const n of released) this.closeStatement(n);
    return released;
  }

  /** A PREPARE the server did not complete: its room goes back, unless the name was taken again since. */
  releaseTicket(name: string, ticket: number): void {
    if (this.#statements.get(name)?.ticket === ticket) this.closeStatement(name);
  }

  has(name: string): boolean {
    return this.#statements.has(name);
  }

  closeStatement(name: string): void {
    const entry = this.#statements.get(name);
    if (entry === undefined) return;
    this.#statements.delete(name);
    this.#bytes -= entry.bytes;
  }

  /** Takes room for a named portal; returns why not when over the budget. */
  bind(name: string, bytes: number): string | undefined {
    if (name === '') return undefined;
    const previous = this.#portals.get(name)?.bytes ?? 0;
    if (!this.#portals.has(name) && this.#portals.size >= this.#limits.maxPortals) {
      return `this session already has ${this.#portals.size} named portals, the limit (limits.maxPortals); Close portals it no longer needs, or end the transaction`;
    }
    const refusal = this.#overBytes(bytes - previous);
    if (refusal) return refusal;
    this.#portals.set(name, { bytes, boundBefore: this.#syncsSent });
    this.#bytes += bytes - previous;
    return undefined;
  }

  closePortal(name: string): void {
    const portal = this.#portals.get(name);
    if (!portal) return;
    this.#portals.delete(name);
    this.#bytes -= portal.bytes;
  }

  /** A Sync or Query went upstream: a ReadyForQuery will answer it. */
  syncSent(): void {
    this.#syncsSent += 1;
  }

  /** A ReadyForQuery came back; returns the named portals the server dropped with the transaction. */
  readyForQuery(transactionStatus: number): string[] {
    this.#readySeen += 1;
    if (transactionStatus !== 0x49) return []; // 'I': no transaction any more
    const dropped: string[] = [];
    for (const [name, portal] of this.#portals) {
      if (portal.boundBefore < this.#readySeen) dropped.push(name);
    }
    for (const name of dropped) this.closePortal(name);
    return dropped;
  }

  #tooMany(): string {
    return `this session already has ${this.#statements.size} named prepared statements, the limit (limits.maxPreparedStatements), counting Parse and PREPARE alike; Close or DEALLOCATE the ones it no longer needs, or use the unnamed statement`;
  }

  #overBytes(growth: number): string | undefined {
    if (growth <= 0 || this.#bytes + growth <= this.#limits.maxPreparedBytes) return undefined;
    return `this session's named prepared statements and portals would hold ${this.#bytes + growth} bytes, the limit (limits.maxPreparedBytes) is ${this.#limits.maxPreparedBytes}; Close statements and portals it no longer needs`;
  }
}
