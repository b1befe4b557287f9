/**
 * The walk over statements and the commands in them: pipelines and `&&`/`||`/`;` lists,
 * subshells and `{ }` groups, if/while/for/case bodies, function definitions (a body's programs
 * count where it is defined), `(( ))`, `[[ ]]`, declarations, let, time and coproc; and each
 * statement's redirections, which apply to every command under it. Simple commands go on to
 * simple-command-walk.ts, words and expressions to expression-walk.ts.
 */
import { runAffectingName } from './builtin-checks.ts';
import { shellRedirect } from './redirections.ts';
import type { ShellRedirect } from './shell-facts.ts';
import { SimpleCommandWalk } from './simple-command-walk.ts';
import { type Redirect, type Stmt, type SyntaxNode, tagged } from './syntax-tree.ts';
import type { Scope } from './walk-scope.ts';

export class CommandLineWalk extends SimpleCommandWalk {
  stmts(stmts: readonly Stmt[], scope: Scope): void {
    for (const stmt of stmts) this.#stmt(stmt, scope);
  }

  #stmt(stmt: Stmt, scope: Scope): void {
    const inner = this.enter(scope);
    const own = stmt.Redirs.map((redirect) => this.#redirect(redirect, inner));
    const withRedirects: Scope = { ...inner, redirects: [...inner.redirects, ...own] };
    if (stmt.Cmd === null) {
      if (own.length > 0) this.emit(undefined, [], withRedirects);
      return;
    }
    this.#command(stmt.Cmd, withRedirects);
  }

  #redirect(redirect: Redirect, scope: Scope): ShellRedirect {
    const kind = this.parser.operators.redirect.get(redirect.Op);
    const target = redirect.Word ? this.word(redirect.Word, scope) : { text: '', tilde: false };
    if (redirect.Hdoc) this.word(redirect.Hdoc, scope);
    if (kind === undefined) this.unknown('it uses a redirection the analysis does not know');
    return shellRedirect(kind, target, redirect.N?.Value);
  }

  #command(node: SyntaxNode, scope: Scope): void {
    const inner = this.enter(scope);
    const view = tagged(node);
    switch (view.type) {
      case 'CallExpr': {
        const assignments = view.node.Assigns.map((assign) => this.assign(assign, inner));
        const words = view.node.Args.map((word) => this.word(word, inner));
        const withAssignments: Scope = { ...inner, assignments: [...inner.assignments, ...assignments] };
        if (words.length === 0) {
          if (assignments.length > 0 || inner.redirects.length > 0) this.emit(undefined, [], withAssignments);
          return;
        }
        this.run(words, withAssignments);
        return;
      }
      case 'BinaryCmd':
        this.#stmt(view.node.X, inner);
        this.#stmt(view.node.Y, inner);
        return;
      case 'Subshell':
      case 'Block':
        this.stmts(view.node.Stmts, inner);
        return;
      case 'IfClause':
        for (let clause: typeof view.node | null = view.node; clause !== null; clause = clause.Else) {
          this.stmts(clause.Cond, inner);
          this.stmts(clause.Then, inner);
        }
        return;
      case 'WhileClause':
        this.stmts(view.node.Cond, inner);
        this.stmts(view.node.Do, inner);
        return;
      case 'ForClause': {
        const loop = tagged(view.node.Loop);
        if (loop.type === 'WordIter') {
          const problem = runAffectingName(loop.node.Name.Value);
          if (problem) this.unknown(problem);
          for (const item of loop.node.Items) this.word(item, inner);
        } else if (loop.type === 'CStyleLoop') {
          for (const part of [loop.node.Init, loop.node.Cond, loop.node.Post]) if (part) this.arithmetic(part, inner, 'a for (( )) loop');
        } else this.unknown('a for loop uses syntax the analysis does not read');
        this.stmts(view.node.Do, inner);
        return;
      }
      case 'CaseClause':
        this.word(view.node.Word, inner);
        for (const item of view.node.Items) {
          for (const pattern of item.Patterns) this.word(pattern, inner);
          this.stmts(item.Stmts, inner);
        }
        return;
      case 'FuncDecl': {
        const name = view.node.Name.Value;
        if (!this.functions.includes(name)) this.functions.push(name);
        // The body runs wherever the function is called: count its programs where it is defined.
        this.#stmt(view.node.Body, { ...inner, via: [...inner.via, `function ${name}`] });
        return;
      }
      case 'ArithmCmd':
        if (view.node.X) this.arithmetic(view.node.X, inner, '(( ))');
        return;
      case 'TestClause':
        this.test(view.node.X, inner);
        return;
      case 'DeclClause':
        this.declaration(view.node, inner);
        return;
      case 'TimeClause':
        if (view.node.Stmt) this.#stmt(view.node.Stmt, inner);
        return;
      case 'CoprocClause':
        this.#stmt(view.node.Stmt, inner);
        return;
      case 'LetClause':
        for (const expression of view.node.Exprs) this.arithmetic(expression, inner, 'let');
        this.emit('let', [], inner);
        return;
      default:
        this.unknown(`it uses syntax the analysis does not read (${view.type === 'other' ? view.name : view.type})`);
    }
  }
}
