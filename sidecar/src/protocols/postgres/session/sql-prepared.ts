/**
 * SQL-level PREPARE / EXECUTE. `EXECUTE p` says nothing by itself; the session remembers what
 * each `PREPARE p AS ...` it let through contains, and an EXECUTE is decided as that statement.
 * An EXECUTE of a name this session did not prepare stays unknown, so it fails closed.
 */
import type { StatementClassification } from '../sql/classification.ts';

export class SqlPreparedStatements {
  readonly #prepared = new Map<string, StatementClassification>();

  resolve(statement: StatementClassification): StatementClassification {
    if (statement.executes === undefined) return statement;
    const inner = this.#prepared.get(statement.executes);
    if (!inner) {
      return {
        ...statement,
        kinds: ['unknown'],
        unknownReason: `EXECUTE of ${statement.executes}, which this session did not PREPARE through airlock`,
      };
    }
    const { unknownReason: _, prepares: __, ...rest } = inner;
    // EXECUTE's own arguments can call functions: keep what they add to the prepared statement.
    const own = statement.kinds.filter((kind) => kind !== 'unknown');
    return {
      ...rest,
      text: statement.text,
      kinds: [...new Set([...inner.kinds, ...own])],
      functions: [...new Set([...inner.functions, ...statement.functions])],
      commands: ['EXECUTE', ...inner.commands.filter((command) => command !== 'PREPARE')],
      executes: statement.executes,
      ...((inner.changesPinnedSetting ?? statement.changesPinnedSetting) !== undefined && {
        changesPinnedSetting: inner.changesPinnedSetting ?? statement.changesPinnedSetting,
      }),
    };
  }

  /** Whether the session holds a SQL-level prepared statement of this name (a new PREPARE of it is refused). */
  holds(name: string): boolean {
    return this.#prepared.has(name);
  }

  /** After the statement went upstream. */
  remember(statement: StatementClassification): void {
    if (statement.prepares !== undefined) this.#prepared.set(statement.prepares, statement);
    if (statement.deallocates === '*') this.#prepared.clear();
    else if (statement.deallocates !== undefined) this.#prepared.delete(statement.deallocates);
  }
}
