/**
 * Simple commands: their assignments (`X=1 cmd`, and declare/local/export/... in argument form),
 * and the program they run through as many wrappers as it has (wrappers.ts): a wrapper's program
 * payload is run again, a script payload is parsed and walked again, up to maxNestedScripts deep.
 * Checks every program name and assignment for what would make it run something else
 * (builtin-checks.ts).
 */
import { LimitReached, treeLimits } from './analysis-limits.ts';
import { builtinProblem, runAffectingName, variableNameProblem } from './builtin-checks.ts';
import { ExpressionWalk } from './expression-walk.ts';
import type { Assign, DeclClause } from './syntax-tree.ts';
import { type Scope, withContext } from './walk-scope.ts';
import type { WordText } from './word-text.ts';
import { type Payload, unwrap } from './wrappers.ts';

export abstract class SimpleCommandWalk extends ExpressionWalk {
  /** One assignment, as `name=value` (or `name+=value`), after walking its subscripts and words. */
  protected assign(assign: Assign, scope: Scope): string {
    const name = assign.Name?.Value ?? '';
    const problem = runAffectingName(name);
    if (problem) this.unknown(problem);
    if (assign.Index) this.arithmetic(assign.Index, scope, `the subscript of ${name}[...]`);
    for (const element of assign.Array?.Elems ?? []) {
      if (element.Index) this.arithmetic(element.Index, scope, `a subscript in ${name}=(...)`);
      if (element.Value) this.word(element.Value, scope);
    }
    const value = assign.Value ? this.word(assign.Value, scope).text : assign.Array ? '(...)' : '';
    return `${name}${assign.Append ? '+=' : '='}${value}`;
  }

  /** declare, local, export, readonly, typeset, nameref: assignments in argument form. */
  protected declaration(node: DeclClause, scope: Scope): void {
    const variant = node.Variant.Value;
    if (variant === 'nameref') this.unknown('nameref makes one variable name stand for another');
    const args: string[] = [];
    for (const assign of node.Args) {
      if (!assign.Naked) {
        args.push(this.assign(assign, scope));
        continue;
      }
      if (assign.Name) {
        args.push(assign.Name.Value);
        continue;
      }
      if (!assign.Value) continue;
      const word = this.word(assign.Value, scope);
      args.push(word.text);
      if (word.dynamic === undefined && word.text.startsWith('-')) {
        if (word.text.includes('n')) this.unknown(`${variant} -n makes one variable name stand for another`);
        continue;
      }
      const problem = variableNameProblem({ ...word, text: word.text.replace(/=.*$/s, '') }, variant);
      if (problem) this.unknown(problem);
    }
    this.emit(variant, args, scope);
  }

  /** Runs argv: the program, through as many wrappers as it has. */
  protected run(argv: readonly WordText[], scope: Scope): void {
    const inner = this.enter(scope);
    const [program, ...args] = argv;
    if (program === undefined) return;
    if (program.dynamic !== undefined) {
      this.unknown(`the program is ${program.dynamic}, filled in at run time`);
      return;
    }
    if (program.tilde) this.unknown(`the program ${program.text} depends on a home directory (~)`);
    const problem = builtinProblem(program.text, args);
    if (problem) this.unknown(problem);
    for (const assignment of inner.assignments) {
      const affecting = runAffectingName(assignment.replace(/\+?=.*$/s, ''));
      if (affecting) this.unknown(affecting);
    }
    const unwrapped = unwrap(program.text, args);
    if (unwrapped === undefined) {
      this.emit(program.text, args, inner);
      return;
    }
    if (unwrapped.unknown) this.unknown(unwrapped.unknown);
    if (unwrapped.self) this.emit(program.text, args, inner);
    for (const payload of unwrapped.payloads) this.#payload(payload, inner);
  }

  #payload(payload: Payload, scope: Scope): void {
    const inner = withContext(scope, payload.context);
    if (payload.kind === 'argv') {
      this.run(payload.argv, inner);
      return;
    }
    this.#script(payload.script, inner, payload.context.via);
  }

  #script(script: WordText, scope: Scope, via: string): void {
    if (script.dynamic !== undefined) {
      this.unknown(`the script ${via} runs is filled in at run time (${script.dynamic})`);
      return;
    }
    if (scope.scripts >= this.limits.maxNestedScripts)
      throw new LimitReached(`it nests scripts more than ${this.limits.maxNestedScripts} deep`);
    const parsed = this.parser.parse(script.text, treeLimits(this.limits));
    if (!parsed.ok) {
      this.unknown(`the script ${via} runs: ${parsed.reason}`);
      return;
    }
    this.stmts(parsed.file.Stmts, { ...scope, scripts: scope.scripts + 1 });
  }
}
