/**
 * The shell parser: mvdan/sh (the parser behind shfmt) in its JavaScript build, the npm package
 * `mvdan-sh` (GopherJS, plain JavaScript: no WASM, no install script, no network). Parses bash.
 * Why this package and not sh-syntax, and what its limits are: docs/adr/0021-ssh-command-analysis.md.
 *
 * Loading is the only I/O: `ShellParser.load()` requires the package once (Node caches it) and
 * learns the numbers the parser gives operators by parsing a probe for each, so nothing here
 * depends on the Go constants of one build. The GopherJS runtime raises `Error.stackTraceLimit` to
 * Infinity when it loads (for Go stack traces), which would make every Error in the process record
 * its whole stack, and publishes `require` as a global; load puts both back.
 *
 * `parse` copies the tree out of the GopherJS runtime into plain objects (go-tree.ts: reading it
 * through the package's wrappers costs tens of microseconds a field). It never throws: a syntax
 * error, a parser that ran out of stack on deep nesting (a RangeError), or a tree over the limits
 * is a failure with a reason, and the caller fails closed on it.
 */
import { createRequire } from 'node:module';
import { GoTreeCopy, TreeLimitReached, type TreeLimits } from './go-tree.ts';
import type { File, ParamExp, Redirect, Stmt, SyntaxNode, TestClause } from './syntax-tree.ts';

/** What a redirection does with its word. */
export type RedirectKind = 'write' | 'append' | 'read' | 'readWrite' | 'dupOut' | 'dupIn' | 'heredoc' | 'herestring';

export interface OperatorTable {
  readonly redirect: ReadonlyMap<number, RedirectKind>;
  /** `[[ a -eq b ]]` and the other operators that evaluate both sides as arithmetic. */
  readonly arithmeticTests: ReadonlySet<number>;
  /** `[[ -v name ]]` and `[[ -R name ]]`: the operand is a variable name, subscript included. */
  readonly nameTests: ReadonlySet<number>;
  /** `${x@op}`: parameter transformation. */
  readonly transformation: number;
}

export type ParseResult = { readonly ok: true; readonly file: File } | { readonly ok: false; readonly reason: string };

interface MvdanParser {
  /** Returns a wrapper of the Go *syntax.File; go-tree.ts copies what is under it. */
  Parse(text: string, name: string): unknown;
}

interface MvdanSyntax {
  NewParser(...options: unknown[]): MvdanParser;
  KeepComments(keep: boolean): unknown;
  Variant(variant: unknown): unknown;
  LangBash: unknown;
}

function isMvdanSyntax(value: unknown): value is MvdanSyntax {
  if (typeof value !== 'object' || value === null) return false;
  const syntax = value as Record<string, unknown>;
  return ['NewParser', 'KeepComments', 'Variant'].every((name) => typeof syntax[name] === 'function');
}

/** Bounds for parses that do not say: the probes, and callers that bound the text another way. */
const DEFAULT_TREE_LIMITS: TreeLimits = { maxNodes: 20_000, maxDepth: 400 };

const REDIRECT_PROBES: readonly (readonly [string, RedirectKind])[] = [
  ['x >f', 'write'],
  ['x >|f', 'write'],
  ['x &>f', 'write'],
  ['x >>f', 'append'],
  ['x &>>f', 'append'],
  ['x <f', 'read'],
  ['x <>f', 'readWrite'],
  ['x >&2', 'dupOut'],
  ['x <&0', 'dupIn'],
  ['x <<E\nE\n', 'heredoc'],
  ['x <<-E\nE\n', 'heredoc'],
  ['x <<<w', 'herestring'],
];

const ARITHMETIC_TEST_OPERATORS = ['-eq', '-ne', '-lt', '-le', '-gt', '-ge'];
const NAME_TEST_OPERATORS = ['-v', '-R'];
// biome-ignore lint/suspicious/noTemplateCurlyInString: a shell probe, ${...} is bash's
const TRANSFORMATION_PROBE = 'x ${a@P}';

export class ShellParser {
  readonly #syntax: MvdanSyntax;
  #parser: MvdanParser;
  readonly operators: OperatorTable;

  private constructor(syntax: MvdanSyntax) {
    this.#syntax = syntax;
    this.#parser = this.#newParser();
    this.operators = this.#calibrate();
  }

  /** Loads mvdan-sh (once per process: Node caches the module) and learns its operator numbers. */
  static load(): ShellParser {
    const stackTraceLimit = Error.stackTraceLimit;
    const hadRequire = Object.hasOwn(globalThis, 'require');
    let loaded: unknown;
    try {
      loaded = createRequire(import.meta.url)('mvdan-sh');
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
      // GopherJS also publishes the loading module's `require` as a global.
      if (!hadRequire) Reflect.deleteProperty(globalThis, 'require');
    }
    const syntax = (loaded as { syntax?: unknown } | undefined)?.syntax;
    if (!isMvdanSyntax(syntax)) throw new Error('mvdan-sh does not export the syntax API this analysis reads (syntax.NewParser, NodeType)');
    return new ShellParser(syntax);
  }

  /** Parses bash; the tree is copied out within `limits` (go-tree.ts). */
  parse(text: string, limits: TreeLimits = DEFAULT_TREE_LIMITS): ParseResult {
    let wrapper: unknown;
    try {
      wrapper = this.#parser.Parse(text, '');
    } catch (error) {
      // A stack overflow may leave the parser mid-way; start the next parse with a fresh one.
      this.#parser = this.#newParser();
      return { ok: false, reason: describeParseError(error) };
    }
    try {
      return { ok: true, file: GoTreeCopy.fromWrapper(wrapper, limits) as File };
    } catch (error) {
      if (error instanceof TreeLimitReached) return { ok: false, reason: error.message };
      throw error;
    }
  }

  #newParser(): MvdanParser {
    const syntax = this.#syntax;
    return syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash));
  }

  #probe(text: string): Stmt {
    const result = this.parse(text);
    const stmt = result.ok ? result.file.Stmts[0] : undefined;
    if (stmt === undefined) throw new Error(`mvdan-sh did not parse the probe ${JSON.stringify(text)}`);
    return stmt;
  }

  #calibrate(): OperatorTable {
    const redirect = new Map<number, RedirectKind>();
    for (const [probe, kind] of REDIRECT_PROBES) {
      const found: Redirect | undefined = this.#probe(probe).Redirs[0];
      if (found === undefined) throw new Error(`mvdan-sh gave no redirection for ${JSON.stringify(probe)}`);
      redirect.set(found.Op, kind);
    }
    const testOp = (text: string): number => {
      const clause = this.#probe(text).Cmd as TestClause | null;
      const op = (clause?.X as { Op?: unknown } | undefined)?.Op;
      if (typeof op !== 'number') throw new Error(`mvdan-sh gave no test operator for ${JSON.stringify(text)}`);
      return op;
    };
    const arithmeticTests = new Set(ARITHMETIC_TEST_OPERATORS.map((op) => testOp(`[[ a ${op} b ]]`)));
    const nameTests = new Set(NAME_TEST_OPERATORS.map((op) => testOp(`[[ ${op} a ]]`)));
    const call = this.#probe(TRANSFORMATION_PROBE).Cmd as { Args?: readonly { Parts: readonly SyntaxNode[] }[] } | null;
    const transformation = (call?.Args?.[1]?.Parts[0] as ParamExp | undefined)?.Exp?.Op;
    if (typeof transformation !== 'number') throw new Error(`mvdan-sh gave no operator for ${JSON.stringify(TRANSFORMATION_PROBE)}`);
    return { redirect, arithmeticTests, nameTests, transformation };
  }
}

function describeParseError(error: unknown): string {
  if (error instanceof RangeError) return 'the command line nests too deeply to parse';
  const described = (error as { Error?: unknown } | null)?.Error;
  if (typeof described === 'function') return `it does not parse as bash: ${String(described.call(error))}`;
  return `it does not parse as bash: ${error instanceof Error ? error.message : String(error)}`;
}
