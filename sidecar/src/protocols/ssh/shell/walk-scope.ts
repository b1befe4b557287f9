/**
 * What the walk carries down the syntax tree: how deep it is, the redirections, assignments and
 * user that apply to the commands below, and how they were reached (`via`). Kept apart so every
 * part of the walk shares one definition.
 */
import type { ShellRedirect, ShellRunAs } from './shell-facts.ts';
import type { PayloadContext } from './wrappers.ts';

export interface Scope {
  readonly depth: number;
  readonly scripts: number;
  readonly redirects: readonly ShellRedirect[];
  readonly via: readonly string[];
  readonly runAs?: ShellRunAs;
  readonly assignments: readonly string[];
}

/** The scope of the command line itself. */
export const TOP: Scope = { depth: 0, scripts: 0, redirects: [], via: [], assignments: [] };

/** The scope a wrapper's payload runs in: reached through the wrapper, maybe as another user, with its assignments. */
export function withContext(scope: Scope, context: PayloadContext): Scope {
  return {
    ...scope,
    via: [...scope.via, context.via],
    ...(context.runAs ? { runAs: context.runAs } : {}),
    assignments: [...scope.assignments, ...(context.assignments ?? [])],
  };
}
