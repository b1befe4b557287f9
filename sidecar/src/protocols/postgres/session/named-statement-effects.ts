/**
 * What SQL-level PREPARE, DEALLOCATE and DISCARD ALL do to the session's named prepared statements
 * on the server. PostgreSQL keeps one table for them: a Parse with a name and a PREPARE create
 * entries in it, and `DEALLOCATE name`, `DEALLOCATE ALL` and `DISCARD ALL` drop protocol-level
 * statements too. So PREPARE is counted in the same budget as Parse (limits/prepared-budget.ts),
 * and what the server dropped is dropped from the session's bookkeeping — otherwise a later Parse
 * of the same name would get a false 42P05 and its room would never come back.
 *
 * Room for a PREPARE is taken when the message is forwarded; one that would pass the budget is
 * refused (53400) before it goes. Releases wait for the server: they apply at the statement's
 * CommandComplete, and only to entries older than the message (a Parse pipelined behind
 * DEALLOCATE ALL survives it, as on the server). A PREPARE the server did not complete — an error
 * in it, or before it in the same message — gives its room back.
 */

import type { PreparedBudget } from '../limits/prepared-budget.ts';
import type { StatementClassification } from '../sql/classification.ts';

/** One statement's effect on named statements, in the order of the message's statements. */
export interface NamedEffect {
  /** PREPARE that took new room: its name and the budget's ticket. */
  readonly prepared?: { readonly name: string; readonly ticket: number };
  /** DEALLOCATE name, or `*` for DEALLOCATE ALL and DISCARD ALL, and the budget's mark when sent. */
  readonly deallocates?: { readonly name: string; readonly mark: number };
}

export type TakenEffects =
  | { readonly ok: true; readonly effects: readonly (NamedEffect | undefined)[] | undefined }
  | { readonly ok: false; readonly refusal: string };

/** Takes budget room for the message's PREPAREs (all or none) and notes its DEALLOCATEs; call just before forwarding. */
export function takeNamedEffects(statements: readonly StatementClassification[], budget: PreparedBudget): TakenEffects {
  if (!statements.some((s) => s.prepares !== undefined || s.deallocates !== undefined)) return { ok: true, effects: undefined };
  const prepares = statements.flatMap((s) => (s.prepares === undefined ? [] : [{ name: s.prepares, bytes: Buffer.byteLength(s.text) }]));
  const mark = budget.mark();
  const taken = budget.prepareAll(prepares);
  if (typeof taken === 'string') return { ok: false, refusal: taken };
  let next = 0;
  const effects = statements.map((s): NamedEffect | undefined => {
    if (s.prepares !== undefined) {
      const ticket = taken.tickets[next++];
      return ticket === undefined ? undefined : { prepared: { name: s.prepares, ticket } };
    }
    return s.deallocates === undefined ? undefined : { deallocates: { name: s.deallocates, mark } };
  });
  return { ok: true, effects };
}

/** Tags PostgreSQL answers a completed DEALLOCATE (any form) or DISCARD ALL with. */
const RELEASING_TAGS = new Set(['DEALLOCATE', 'DEALLOCATE ALL', 'DISCARD ALL']);

/** The server completed a statement: releases what its DEALLOCATE dropped; returns the released names. */
export function confirmNamedEffect(effect: NamedEffect | undefined, tag: string, budget: PreparedBudget): string[] {
  const deallocates = effect?.deallocates;
  if (!deallocates || !RELEASING_TAGS.has(tag)) return [];
  return budget.releaseBefore(deallocates.name, deallocates.mark);
}

/** The server stopped at statement `completed` (an error): PREPAREs from there on did not happen. */
export function releaseUncompleted(effects: readonly (NamedEffect | undefined)[], completed: number, budget: PreparedBudget): void {
  for (const effect of effects.slice(completed)) {
    if (effect?.prepared) budget.releaseTicket(effect.prepared.name, effect.prepared.ticket);
  }
}
