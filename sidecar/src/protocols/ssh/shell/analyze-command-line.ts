/**
 * What an SSH exec command line runs, read from bash's own grammar (mvdan/sh, shell-parser.ts):
 * every program, in pipelines, `&&`/`||`/`;` lists, subshells, `{ }` groups, if/while/for/case
 * bodies, command and process substitutions (also inside here-documents and redirections),
 * function bodies, and the payloads of wrappers (wrappers.ts: sudo, env, xargs, find -exec,
 * `bash -c`, eval, ...), each with its arguments after quote removal, its redirections and
 * assignments and the user it runs as. Design and limits: docs/adr/0021-ssh-command-analysis.md.
 *
 * Fails closed: whatever hides a program from the text makes the line unknown with a reason, and
 * policy never allows an unknown line (contracts policy/decide.ts). That is: a program the shell
 * computes (`$X`, `$(echo rm)`, `r*`, `{r,}m`, `~/x`); a script read from standard input or a file
 * (`curl | sh`, `bash < f`, `source f`); a script given at run time (`bash -c "$X"`, `eval "$X"`);
 * a name made to run something else (alias, hash -p, PATH/IFS/LD_* and kin, a nameref); arithmetic
 * or an array subscript that reads a variable (bash evaluates the value as an expression, and a
 * `$(...)` hidden in it runs); `${!x}` and `${x@P}`; shells with another syntax (zsh, fish);
 * options of a wrapper this analysis does not know; text that does not parse; and anything over
 * the limits below. A function is reported by its body's programs (wherever it is defined) and by
 * its name at each call, so `ls() { rm -rf /; }; ls` runs rm and ls.
 *
 * Pure: text in, facts out. The cost is bounded before and during the walk: the text's size
 * (ShellAnalysisLimits.maxBytes) bounds the parse; the walk counts nodes (maxNodes), its depth
 * (maxDepth) and nested scripts (maxNestedScripts), and stops at the first limit crossed.
 */
import { SHELL_DYNAMIC } from '@airlock/contracts/policy';
import { builtinProblem, runAffectingName, variableNameProblem } from './builtin-checks.ts';
import type { TreeLimits } from './go-tree.ts';
import type { ShellCommand, ShellFacts, ShellRedirect, ShellRunAs } from './shell-facts.ts';
import type { ShellParser } from './shell-parser.ts';
import {
  type Assign,
  type DeclClause,
  type ParamExp,
  type Redirect,
  type Stmt,
  type SyntaxNode,
  tagged,
  type Word,
} from './syntax-tree.ts';
import { type WordText, wordText } from './word-text.ts';
import { type Payload, type PayloadContext, unwrap } from './wrappers.ts';

export interface ShellAnalysisLimits {
  /** Longer command lines (UTF-8 bytes) are unknown without being parsed. */
  readonly maxBytes: number;
  /** Syntax nodes visited, over the line and every script nested in it. */
  readonly maxNodes: number;
  /** Nesting of statements, commands and expressions. */
  readonly maxDepth: number;
  /** Scripts within scripts (`bash -c "sudo sh -c '...'"`). */
  readonly maxNestedScripts: number;
}

/**
 * 16 KiB is far more than a command line an agent types, and parses in tens of milliseconds at
 * worst (ADR 0021 has the measurements); the node and depth limits are far above what such a line
 * needs and stop a pathological one early.
 */
export const DEFAULT_SHELL_LIMITS: ShellAnalysisLimits = { maxBytes: 16 * 1024, maxNodes: 20_000, maxDepth: 100, maxNestedScripts: 4 };

/** Redirection targets that are not files on the host's disks. */
const HARMLESS_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty']);

interface Scope {
  readonly depth: number;
  readonly scripts: number;
  readonly redirects: readonly ShellRedirect[];
  readonly via: readonly string[];
  readonly runAs?: ShellRunAs;
  readonly assignments: readonly string[];
}

class LimitReached extends Error {}

const NUMBER = /^(0[xX][0-9a-fA-F]+|[0-9]+(#[0-9a-zA-Z@_]+)?)$/;

class CommandLineWalk {
  readonly commands: ShellCommand[] = [];
  readonly functions: string[] = [];
  readonly reasons: string[] = [];
  #nodes = 0;
  readonly #parser: ShellParser;
  readonly #limits: ShellAnalysisLimits;

  constructor(parser: ShellParser, limits: ShellAnalysisLimits) {
    this.#parser = parser;
    this.#limits = limits;
  }

  unknown(reason: string): void {
    if (!this.reasons.includes(reason)) this.reasons.push(reason);
  }

  #enter(scope: Scope): Scope {
    if (++this.#nodes > this.#limits.maxNodes) throw new LimitReached(`it has more than ${this.#limits.maxNodes} syntax nodes`);
    if (scope.depth >= this.#limits.maxDepth) throw new LimitReached(`it nests more than ${this.#limits.maxDepth} levels deep`);
    return { ...scope, depth: scope.depth + 1 };
  }

  #tag(node: SyntaxNode) {
    return tagged(node);
  }

  /** Quote removal, after walking the word's substitutions (their programs run too). */
  #word(word: Word, scope: Scope): WordText {
    this.#wordParts(word.Parts, this.#enter(scope));
    return wordText(word);
  }

  #wordParts(parts: readonly SyntaxNode[], scope: Scope): void {
    for (const part of parts) {
      const inner = this.#enter(scope);
      const view = this.#tag(part);
      switch (view.type) {
        case 'Lit':
        case 'SglQuoted':
        case 'ExtGlob':
          break;
        case 'DblQuoted':
          this.#wordParts(view.node.Parts, inner);
          break;
        case 'CmdSubst':
          this.stmts(view.node.Stmts, { ...inner, via: [...inner.via, '$(...)'] });
          break;
        case 'ProcSubst':
          this.stmts(view.node.Stmts, { ...inner, via: [...inner.via, '<(...)'] });
          break;
        case 'ArithmExp':
          if (view.node.X) this.#arithmetic(view.node.X, inner);
          break;
        case 'ParamExp':
          this.#parameter(view.node, inner);
          break;
        default:
          this.unknown(`it uses syntax the analysis does not read (${view.type === 'other' ? view.name : view.type})`);
      }
    }
  }

  #parameter(node: ParamExp, scope: Scope): void {
    const name = node.Param?.Value ?? '';
    const index = node.Index ? this.#tag(node.Index) : undefined;
    // `${a[@]}` and `${a[*]}` (and `${!a[@]}`, the keys) name every element: no subscript is evaluated.
    const only = index?.type === 'Word' && index.node.Parts.length === 1 ? this.#tag(index.node.Parts[0]!) : undefined;
    const everyElement = only?.type === 'Lit' && (only.node.Value === '@' || only.node.Value === '*');
    if (node.Excl && node.Names === 0 && !everyElement) this.unknown(`\${!${name}} reads the variable whose name $${name} holds`);
    if (node.Exp?.Op === this.#parser.operators.transformation && node.Exp.Word) {
      if (wordText(node.Exp.Word).text.includes('P')) this.unknown(`\${${name}@P} expands the value as a prompt, which runs $(...) in it`);
    }
    if (node.Index && !node.Excl && !everyElement) this.#arithmetic(node.Index, scope, `the subscript of \${${name}[...]}`);
    if (node.Slice?.Offset) this.#arithmetic(node.Slice.Offset, scope, `the offset of \${${name}:...}`);
    if (node.Slice?.Length) this.#arithmetic(node.Slice.Length, scope, `the length of \${${name}:...}`);
    for (const word of [node.Repl?.Orig, node.Repl?.With, node.Exp?.Word]) if (word) this.#word(word, scope);
  }

  /** Arithmetic: numbers only. A name or an expansion is evaluated as an expression, and `a[$(cmd)]` in a value runs cmd. */
  #arithmetic(node: SyntaxNode, scope: Scope, where = 'arithmetic'): void {
    const inner = this.#enter(scope);
    const view = this.#tag(node);
    switch (view.type) {
      case 'BinaryArithm':
        this.#arithmetic(view.node.X, inner, where);
        this.#arithmetic(view.node.Y, inner, where);
        return;
      case 'UnaryArithm':
        this.#arithmetic(view.node.X, inner, where);
        return;
      case 'ParenArithm':
        if (view.node.X) this.#arithmetic(view.node.X, inner, where);
        return;
      case 'Word': {
        const text = this.#word(view.node, inner);
        if (text.dynamic !== undefined || !NUMBER.test(text.text)) {
          this.unknown(`${where} reads ${text.dynamic ?? `the variable ${text.text}`}, whose value bash evaluates as an expression`);
        }
        return;
      }
      default:
        this.unknown(`${where} uses syntax the analysis does not read`);
    }
  }

  #test(node: SyntaxNode, scope: Scope): void {
    const inner = this.#enter(scope);
    const view = this.#tag(node);
    const operators = this.#parser.operators;
    switch (view.type) {
      case 'BinaryTest':
        if (operators.arithmeticTests.has(view.node.Op)) {
          this.#arithmetic(view.node.X, inner, 'an arithmetic test');
          this.#arithmetic(view.node.Y, inner, 'an arithmetic test');
        } else {
          this.#test(view.node.X, inner);
          this.#test(view.node.Y, inner);
        }
        return;
      case 'UnaryTest': {
        const operand = this.#tag(view.node.X);
        if (operators.nameTests.has(view.node.Op) && operand.type === 'Word') {
          const text = this.#word(operand.node, inner);
          if (text.dynamic !== undefined || /\[.*[$`]/.test(text.text))
            this.unknown(`[[ -v ${text.text} ]] makes bash evaluate a subscript`);
          return;
        }
        this.#test(view.node.X, inner);
        return;
      }
      case 'ParenTest':
        if (view.node.X) this.#test(view.node.X, inner);
        return;
      case 'Word':
        this.#word(view.node, inner);
        return;
      default:
        this.unknown('a [[ ]] test uses syntax the analysis does not read');
    }
  }

  stmts(stmts: readonly Stmt[], scope: Scope): void {
    for (const stmt of stmts) this.#stmt(stmt, scope);
  }

  #stmt(stmt: Stmt, scope: Scope): void {
    const inner = this.#enter(scope);
    const own = stmt.Redirs.map((redirect) => this.#redirect(redirect, inner));
    const withRedirects: Scope = { ...inner, redirects: [...inner.redirects, ...own] };
    if (stmt.Cmd === null) {
      if (own.length > 0) this.#emit(undefined, [], withRedirects);
      return;
    }
    this.#command(stmt.Cmd, withRedirects);
  }

  #redirect(redirect: Redirect, scope: Scope): ShellRedirect {
    const kind = this.#parser.operators.redirect.get(redirect.Op);
    const target = redirect.Word ? this.#word(redirect.Word, scope) : { text: '', tilde: false };
    if (redirect.Hdoc) this.#word(redirect.Hdoc, scope);
    const fd = redirect.N?.Value;
    const base = fd === undefined ? {} : { fd };
    if (kind === undefined) {
      this.unknown('it uses a redirection the analysis does not know');
      return { kind: 'write', target: SHELL_DYNAMIC, ...base };
    }
    if (kind === 'dupOut' || kind === 'dupIn') {
      // `>&2` duplicates a descriptor; `>&file` (a word that is not a number) writes the file.
      if (target.dynamic === undefined && /^(\d+-?|-)$/.test(target.text)) return { kind: 'dup', target: target.text, ...base };
      return { kind: kind === 'dupOut' ? 'write' : 'read', target: target.text, ...base };
    }
    if (kind === 'heredoc') return { kind, target: '', ...base };
    return { kind, target: target.text, ...base };
  }

  #command(node: SyntaxNode, scope: Scope): void {
    const inner = this.#enter(scope);
    const view = this.#tag(node);
    switch (view.type) {
      case 'CallExpr': {
        const assignments = view.node.Assigns.map((assign) => this.#assign(assign, inner));
        const words = view.node.Args.map((word) => this.#word(word, inner));
        const withAssignments: Scope = { ...inner, assignments: [...inner.assignments, ...assignments] };
        if (words.length === 0) {
          if (assignments.length > 0 || inner.redirects.length > 0) this.#emit(undefined, [], withAssignments);
          return;
        }
        this.#run(words, withAssignments);
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
        const loop = this.#tag(view.node.Loop);
        if (loop.type === 'WordIter') {
          const problem = runAffectingName(loop.node.Name.Value);
          if (problem) this.unknown(problem);
          for (const item of loop.node.Items) this.#word(item, inner);
        } else if (loop.type === 'CStyleLoop') {
          for (const part of [loop.node.Init, loop.node.Cond, loop.node.Post]) if (part) this.#arithmetic(part, inner, 'a for (( )) loop');
        } else this.unknown('a for loop uses syntax the analysis does not read');
        this.stmts(view.node.Do, inner);
        return;
      }
      case 'CaseClause':
        this.#word(view.node.Word, inner);
        for (const item of view.node.Items) {
          for (const pattern of item.Patterns) this.#word(pattern, inner);
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
        if (view.node.X) this.#arithmetic(view.node.X, inner, '(( ))');
        return;
      case 'TestClause':
        this.#test(view.node.X, inner);
        return;
      case 'DeclClause':
        this.#declaration(view.node, inner);
        return;
      case 'TimeClause':
        if (view.node.Stmt) this.#stmt(view.node.Stmt, inner);
        return;
      case 'CoprocClause':
        this.#stmt(view.node.Stmt, inner);
        return;
      case 'LetClause':
        for (const expression of view.node.Exprs) this.#arithmetic(expression, inner, 'let');
        this.#emit('let', [], inner);
        return;
      default:
        this.unknown(`it uses syntax the analysis does not read (${view.type === 'other' ? view.name : view.type})`);
    }
  }

  #assign(assign: Assign, scope: Scope): string {
    const name = assign.Name?.Value ?? '';
    const problem = runAffectingName(name);
    if (problem) this.unknown(problem);
    if (assign.Index) this.#arithmetic(assign.Index, scope, `the subscript of ${name}[...]`);
    for (const element of assign.Array?.Elems ?? []) {
      if (element.Index) this.#arithmetic(element.Index, scope, `a subscript in ${name}=(...)`);
      if (element.Value) this.#word(element.Value, scope);
    }
    const value = assign.Value ? this.#word(assign.Value, scope).text : assign.Array ? '(...)' : '';
    return `${name}${assign.Append ? '+=' : '='}${value}`;
  }

  /** declare, local, export, readonly, typeset, nameref: assignments in argument form. */
  #declaration(node: DeclClause, scope: Scope): void {
    const variant = node.Variant.Value;
    if (variant === 'nameref') this.unknown('nameref makes one variable name stand for another');
    const args: string[] = [];
    for (const assign of node.Args) {
      if (!assign.Naked) {
        args.push(this.#assign(assign, scope));
        continue;
      }
      if (assign.Name) {
        args.push(assign.Name.Value);
        continue;
      }
      if (!assign.Value) continue;
      const word = this.#word(assign.Value, scope);
      args.push(word.text);
      if (word.dynamic === undefined && word.text.startsWith('-')) {
        if (word.text.includes('n')) this.unknown(`${variant} -n makes one variable name stand for another`);
        continue;
      }
      const problem = variableNameProblem({ ...word, text: word.text.replace(/=.*$/s, '') }, variant);
      if (problem) this.unknown(problem);
    }
    this.#emit(variant, args, scope);
  }

  /** Runs argv: the program, through as many wrappers as it has. */
  #run(argv: readonly WordText[], scope: Scope): void {
    const inner = this.#enter(scope);
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
      this.#emit(program.text, args, inner);
      return;
    }
    if (unwrapped.unknown) this.unknown(unwrapped.unknown);
    if (unwrapped.self) this.#emit(program.text, args, inner);
    for (const payload of unwrapped.payloads) this.#payload(payload, inner);
  }

  #payload(payload: Payload, scope: Scope): void {
    const inner = withContext(scope, payload.context);
    if (payload.kind === 'argv') {
      this.#run(payload.argv, inner);
      return;
    }
    this.script(payload.script, inner, payload.context.via);
  }

  script(script: WordText, scope: Scope, via: string): void {
    if (script.dynamic !== undefined) {
      this.unknown(`the script ${via} runs is filled in at run time (${script.dynamic})`);
      return;
    }
    if (scope.scripts >= this.#limits.maxNestedScripts)
      throw new LimitReached(`it nests scripts more than ${this.#limits.maxNestedScripts} deep`);
    const parsed = this.#parser.parse(script.text, treeLimits(this.#limits));
    if (!parsed.ok) {
      this.unknown(`the script ${via} runs: ${parsed.reason}`);
      return;
    }
    this.stmts(parsed.file.Stmts, { ...scope, scripts: scope.scripts + 1 });
  }

  #emit(program: string | undefined, args: readonly WordText[] | readonly string[], scope: Scope): void {
    const writes = scope.redirects
      .filter((redirect) => redirect.kind === 'write' || redirect.kind === 'append' || redirect.kind === 'readWrite')
      .map((redirect) => redirect.target)
      .filter((target) => !HARMLESS_TARGETS.has(target));
    this.commands.push({
      ...(program === undefined ? {} : { program }),
      arguments: args.map((arg) => (typeof arg === 'string' ? arg : arg.text)),
      redirects: scope.redirects,
      writes: [...new Set(writes)],
      assignments: scope.assignments,
      ...(scope.runAs ? { runAs: scope.runAs } : {}),
      via: scope.via,
    });
  }
}

function withContext(scope: Scope, context: PayloadContext): Scope {
  return {
    ...scope,
    via: [...scope.via, context.via],
    ...(context.runAs ? { runAs: context.runAs } : {}),
    assignments: [...scope.assignments, ...(context.assignments ?? [])],
  };
}

/** The text as bash would get it, or why it cannot be analyzed at all. */
function admissible(text: string, limits: ShellAnalysisLimits): string | undefined {
  if (!text.isWellFormed()) return 'it is not valid Unicode (a lone surrogate)';
  if (text.includes('\0')) return 'it contains a NUL byte, where the remote shell would cut it';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) return `it is ${bytes} bytes, over the limit of ${limits.maxBytes}`;
  return undefined;
}

/** The copy of a parse tree is bounded like the walk; a level of shell nesting is a few tree levels. */
const treeLimits = (limits: ShellAnalysisLimits): TreeLimits => ({ maxNodes: limits.maxNodes, maxDepth: limits.maxDepth * 4 });

const TOP: Scope = { depth: 0, scripts: 0, redirects: [], via: [], assignments: [] };

/** Analyzes one command line. Pure given the parser: no I/O, no state kept between calls. */
export function analyzeCommandLine(parser: ShellParser, text: string, limits: ShellAnalysisLimits = DEFAULT_SHELL_LIMITS): ShellFacts {
  const refused = admissible(text, limits);
  if (refused !== undefined) return { text, commands: [], functions: [], unknownReasons: [refused] };
  const parsed = parser.parse(text, treeLimits(limits));
  if (!parsed.ok) return { text, commands: [], functions: [], unknownReasons: [parsed.reason] };
  const walk = new CommandLineWalk(parser, limits);
  try {
    walk.stmts(parsed.file.Stmts, TOP);
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
    walk.unknown(error.message);
  }
  return { text, commands: walk.commands, functions: walk.functions, unknownReasons: walk.reasons };
}

/** Bytes off the wire: text that is not UTF-8 is unknown, as bash and the analysis could read it differently. */
export function analyzeCommandBytes(
  parser: ShellParser,
  bytes: Uint8Array,
  limits: ShellAnalysisLimits = DEFAULT_SHELL_LIMITS,
): ShellFacts {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const shown = Buffer.from(bytes).toString('latin1');
    return { text: shown, commands: [], functions: [], unknownReasons: ['it is not valid UTF-8'] };
  }
  return analyzeCommandLine(parser, text, limits);
}
