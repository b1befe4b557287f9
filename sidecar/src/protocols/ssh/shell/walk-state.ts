/**
 * What the walk over a command line collects (the programs, the functions defined, the reasons the
 * line is unknown) and the node and depth limits it counts on the way down. The base of the walk's
 * layers: expression-walk.ts, simple-command-walk.ts, command-line-walk.ts.
 */
import { LimitReached, type ShellAnalysisLimits } from './analysis-limits.ts';
import { writtenFiles } from './redirections.ts';
import type { ShellCommand } from './shell-facts.ts';
import type { ShellParser } from './shell-parser.ts';
import type { Scope } from './walk-scope.ts';
import type { WordText } from './word-text.ts';

export class WalkState {
  readonly commands: ShellCommand[] = [];
  readonly functions: string[] = [];
  readonly reasons: string[] = [];
  #nodes = 0;
  protected readonly parser: ShellParser;
  protected readonly limits: ShellAnalysisLimits;

  constructor(parser: ShellParser, limits: ShellAnalysisLimits) {
    this.parser = parser;
    this.limits = limits;
  }

  unknown(reason: string): void {
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
  }

  /** One node deeper: counts it, and stops the walk at the node or depth limit. */
  protected enter(scope: Scope): Scope {
    if (++this.#nodes > this.limits.maxNodes) throw new LimitReached(`it has more than ${this.limits.maxNodes} syntax nodes`);
    if (scope.depth >= this.limits.maxDepth) throw new LimitReached(`it nests more than ${this.limits.maxDepth} levels deep`);
    return { ...scope, depth: scope.depth + 1 };
  }

  /** Records a program (or, with none, a command of only redirections or assignments) with what its scope applies. */
  protected emit(program: string | undefined, args: readonly WordText[] | readonly string[], scope: Scope): void {
    this.commands.push({
      ...(program === undefined ? {} : { program }),
      arguments: args.map((arg) => (typeof arg === 'string' ? arg : arg.text)),
      redirects: scope.redirects,
      writes: writtenFiles(scope.redirects),
      assignments: scope.assignments,
      ...(scope.runAs ? { runAs: scope.runAs } : {}),
      via: scope.via,
    });
  }
}
