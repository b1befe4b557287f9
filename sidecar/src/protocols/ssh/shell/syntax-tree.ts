/**
 * The syntax tree of mvdan/sh (mvdan.cc/sh/v3/syntax v3.5), as go-tree.ts copies it out of the
 * parser: each node a plain object with the Go struct's exported fields and its Go type name in
 * `type`. Typed for what the analysis reads; `tagged` turns a node into a union discriminated on
 * the type name, so the walker switches on it without casts of its own.
 * Field names and meanings: https://pkg.go.dev/mvdan.cc/sh/v3/syntax.
 */

/** Any node; what it is, `type` (the Go type's name) and `tagged` say. */
export interface SyntaxNode {
  readonly type: string;
}

export interface File extends SyntaxNode {
  readonly Stmts: readonly Stmt[];
}

export interface Stmt extends SyntaxNode {
  readonly Cmd: SyntaxNode | null;
  readonly Negated: boolean;
  readonly Background: boolean;
  readonly Coprocess: boolean;
  readonly Redirs: readonly Redirect[];
}

export interface Redirect extends SyntaxNode {
  readonly Op: number;
  /** The file descriptor before the operator (`2>`), or `{var}` in bash. */
  readonly N: Lit | null;
  readonly Word: Word | null;
  /** The body of a here-document. */
  readonly Hdoc: Word | null;
}

export interface Word extends SyntaxNode {
  readonly Parts: readonly SyntaxNode[];
}

export interface Lit extends SyntaxNode {
  readonly Value: string;
}

export interface SglQuoted extends SyntaxNode {
  /** `$'...'`: ANSI-C escapes apply. */
  readonly Dollar: boolean;
  readonly Value: string;
}

export interface DblQuoted extends SyntaxNode {
  /** `$"..."`: translated through the locale's message catalog. */
  readonly Dollar: boolean;
  readonly Parts: readonly SyntaxNode[];
}

export interface CmdSubst extends SyntaxNode {
  readonly Stmts: readonly Stmt[];
}

export interface ProcSubst extends SyntaxNode {
  readonly Stmts: readonly Stmt[];
}

export interface ParamExp extends SyntaxNode {
  readonly Short: boolean;
  /** `${!x}`: indirection, or `${!prefix*}` / `${!arr[@]}` with Names or Index. */
  readonly Excl: boolean;
  readonly Length: boolean;
  readonly Param: Lit | null;
  readonly Index: SyntaxNode | null;
  readonly Slice: { readonly Offset: SyntaxNode | null; readonly Length: SyntaxNode | null } | null;
  readonly Repl: { readonly Orig: Word | null; readonly With: Word | null } | null;
  /** Non-zero for `${!prefix*}` and `${!prefix@}`. */
  readonly Names: number;
  readonly Exp: { readonly Op: number; readonly Word: Word | null } | null;
}

export interface ArithmExp extends SyntaxNode {
  readonly X: SyntaxNode | null;
}

export interface ExtGlob extends SyntaxNode {
  readonly Pattern: Lit | null;
}

export interface CallExpr extends SyntaxNode {
  readonly Assigns: readonly Assign[];
  readonly Args: readonly Word[];
}

export interface Assign extends SyntaxNode {
  readonly Append: boolean;
  /** Without `=`: a name or option given to declare/export/local. */
  readonly Naked: boolean;
  readonly Name: Lit | null;
  readonly Index: SyntaxNode | null;
  readonly Value: Word | null;
  readonly Array: { readonly Elems: readonly { readonly Index: SyntaxNode | null; readonly Value: Word | null }[] } | null;
}

export interface BinaryCmd extends SyntaxNode {
  readonly Op: number;
  readonly X: Stmt;
  readonly Y: Stmt;
}

export interface Block extends SyntaxNode {
  readonly Stmts: readonly Stmt[];
}

export interface IfClause extends SyntaxNode {
  readonly Cond: readonly Stmt[];
  readonly Then: readonly Stmt[];
  readonly Else: IfClause | null;
}

export interface WhileClause extends SyntaxNode {
  readonly Cond: readonly Stmt[];
  readonly Do: readonly Stmt[];
}

export interface ForClause extends SyntaxNode {
  readonly Loop: SyntaxNode;
  readonly Do: readonly Stmt[];
}

export interface WordIter extends SyntaxNode {
  readonly Name: Lit;
  readonly Items: readonly Word[];
}

export interface CStyleLoop extends SyntaxNode {
  readonly Init: SyntaxNode | null;
  readonly Cond: SyntaxNode | null;
  readonly Post: SyntaxNode | null;
}

export interface CaseClause extends SyntaxNode {
  readonly Word: Word;
  readonly Items: readonly { readonly Patterns: readonly Word[]; readonly Stmts: readonly Stmt[] }[];
}

export interface FuncDecl extends SyntaxNode {
  readonly Name: Lit;
  readonly Body: Stmt;
}

export interface ArithmCmd extends SyntaxNode {
  readonly X: SyntaxNode | null;
}

export interface BinaryArithm extends SyntaxNode {
  readonly Op: number;
  readonly X: SyntaxNode;
  readonly Y: SyntaxNode;
}

export interface UnaryArithm extends SyntaxNode {
  readonly Op: number;
  readonly X: SyntaxNode;
}

export interface TestClause extends SyntaxNode {
  readonly X: SyntaxNode;
}

export interface BinaryTest extends SyntaxNode {
  readonly Op: number;
  readonly X: SyntaxNode;
  readonly Y: SyntaxNode;
}

export interface UnaryTest extends SyntaxNode {
  readonly Op: number;
  readonly X: SyntaxNode;
}

export interface DeclClause extends SyntaxNode {
  /** declare, local, export, readonly, typeset or nameref. */
  readonly Variant: Lit;
  readonly Args: readonly Assign[];
}

export interface TimeClause extends SyntaxNode {
  readonly Stmt: Stmt | null;
}

export interface CoprocClause extends SyntaxNode {
  readonly Name: Word | null;
  readonly Stmt: Stmt;
}

export interface LetClause extends SyntaxNode {
  readonly Exprs: readonly SyntaxNode[];
}

/** A node with its type name; `other` for a type the analysis does not know (it fails closed on it). */
export type TaggedNode =
  | { readonly type: 'File'; readonly node: File }
  | { readonly type: 'Stmt'; readonly node: Stmt }
  | { readonly type: 'Word'; readonly node: Word }
  | { readonly type: 'Lit'; readonly node: Lit }
  | { readonly type: 'SglQuoted'; readonly node: SglQuoted }
  | { readonly type: 'DblQuoted'; readonly node: DblQuoted }
  | { readonly type: 'CmdSubst'; readonly node: CmdSubst }
  | { readonly type: 'ProcSubst'; readonly node: ProcSubst }
  | { readonly type: 'ParamExp'; readonly node: ParamExp }
  | { readonly type: 'ArithmExp'; readonly node: ArithmExp }
  | { readonly type: 'ExtGlob'; readonly node: ExtGlob }
  | { readonly type: 'CallExpr'; readonly node: CallExpr }
  | { readonly type: 'BinaryCmd'; readonly node: BinaryCmd }
  | { readonly type: 'Subshell'; readonly node: Block }
  | { readonly type: 'Block'; readonly node: Block }
  | { readonly type: 'IfClause'; readonly node: IfClause }
  | { readonly type: 'WhileClause'; readonly node: WhileClause }
  | { readonly type: 'ForClause'; readonly node: ForClause }
  | { readonly type: 'WordIter'; readonly node: WordIter }
  | { readonly type: 'CStyleLoop'; readonly node: CStyleLoop }
  | { readonly type: 'CaseClause'; readonly node: CaseClause }
  | { readonly type: 'FuncDecl'; readonly node: FuncDecl }
  | { readonly type: 'ArithmCmd'; readonly node: ArithmCmd }
  | { readonly type: 'BinaryArithm'; readonly node: BinaryArithm }
  | { readonly type: 'UnaryArithm'; readonly node: UnaryArithm }
  | { readonly type: 'ParenArithm'; readonly node: ArithmExp }
  | { readonly type: 'TestClause'; readonly node: TestClause }
  | { readonly type: 'BinaryTest'; readonly node: BinaryTest }
  | { readonly type: 'UnaryTest'; readonly node: UnaryTest }
  | { readonly type: 'ParenTest'; readonly node: ArithmExp }
  | { readonly type: 'DeclClause'; readonly node: DeclClause }
  | { readonly type: 'TimeClause'; readonly node: TimeClause }
  | { readonly type: 'CoprocClause'; readonly node: CoprocClause }
  | { readonly type: 'LetClause'; readonly node: LetClause }
  | { readonly type: 'other'; readonly name: string };

const KNOWN = new Set<string>([
  'File',
  'Stmt',
  'Word',
  'Lit',
  'SglQuoted',
  'DblQuoted',
  'CmdSubst',
  'ProcSubst',
  'ParamExp',
  'ArithmExp',
  'ExtGlob',
  'CallExpr',
  'BinaryCmd',
  'Subshell',
  'Block',
  'IfClause',
  'WhileClause',
  'ForClause',
  'WordIter',
  'CStyleLoop',
  'CaseClause',
  'FuncDecl',
  'ArithmCmd',
  'BinaryArithm',
  'UnaryArithm',
  'ParenArithm',
  'TestClause',
  'BinaryTest',
  'UnaryTest',
  'ParenTest',
  'DeclClause',
  'TimeClause',
  'CoprocClause',
  'LetClause',
]);

/** Tags a node with its type name. */
export function tagged(node: SyntaxNode): TaggedNode {
  const { type } = node;
  // The one place the tree's dynamic typing meets ours: the name is the Go type the parser built.
  return KNOWN.has(type) ? ({ type, node } as TaggedNode) : { type: 'other', name: type };
}
