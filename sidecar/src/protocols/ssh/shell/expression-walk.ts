/**
 * The walk through words and expressions: quote removal, and the programs hidden in them (command
 * and process substitutions run too), parameter expansions, arithmetic and `[[ ]]` tests. Bash
 * evaluates a name in arithmetic as an expression, so arithmetic is numbers only or the line is
 * unknown. Statements inside substitutions go back to the statement walk (command-line-walk.ts)
 * through the abstract `stmts`.
 */
import type { ParamExp, Stmt, SyntaxNode, Word } from './syntax-tree.ts';
import { tagged } from './syntax-tree.ts';
import type { Scope } from './walk-scope.ts';
import { WalkState } from './walk-state.ts';
import { type WordText, wordText } from './word-text.ts';

const NUMBER = /^(0[xX][0-9a-fA-F]+|[0-9]+(#[0-9a-zA-Z@_]+)?)$/;

export abstract class ExpressionWalk extends WalkState {
  abstract stmts(stmts: readonly Stmt[], scope: Scope): void;

  /** Quote removal, after walking the word's substitutions (their programs run too). */
  protected word(word: Word, scope: Scope): WordText {
    this.#wordParts(word.Parts, this.enter(scope));
    return wordText(word);
  }

  #wordParts(parts: readonly SyntaxNode[], scope: Scope): void {
    for (const part of parts) {
      const inner = this.enter(scope);
      const view = tagged(part);
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
          if (view.node.X) this.arithmetic(view.node.X, inner);
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
    const index = node.Index ? tagged(node.Index) : undefined;
    // `${a[@]}` and `${a[*]}` (and `${!a[@]}`, the keys) name every element: no subscript is evaluated.
    const only = index?.type === 'Word' && index.node.Parts.length === 1 ? tagged(index.node.Parts[0]!) : undefined;
    const everyElement = only?.type === 'Lit' && (only.node.Value === '@' || only.node.Value === '*');
    if (node.Excl && node.Names === 0 && !everyElement) this.unknown(`\${!${name}} reads the variable whose name $${name} holds`);
    if (node.Exp?.Op === this.parser.operators.transformation && node.Exp.Word) {
      if (wordText(node.Exp.Word).text.includes('P')) this.unknown(`\${${name}@P} expands the value as a prompt, which runs $(...) in it`);
    }
    if (node.Index && !node.Excl && !everyElement) this.arithmetic(node.Index, scope, `the subscript of \${${name}[...]}`);
    if (node.Slice?.Offset) this.arithmetic(node.Slice.Offset, scope, `the offset of \${${name}:...}`);
    if (node.Slice?.Length) this.arithmetic(node.Slice.Length, scope, `the length of \${${name}:...}`);
    for (const word of [node.Repl?.Orig, node.Repl?.With, node.Exp?.Word]) if (word) this.word(word, scope);
  }

  /** Arithmetic: numbers only. A name or an expansion is evaluated as an expression, and `a[$(cmd)]` in a value runs cmd. */
  protected arithmetic(node: SyntaxNode, scope: Scope, where = 'arithmetic'): void {
    const inner = this.enter(scope);
    const view = tagged(node);
    switch (view.type) {
      case 'BinaryArithm':
        this.arithmetic(view.node.X, inner, where);
        this.arithmetic(view.node.Y, inner, where);
        return;
      case 'UnaryArithm':
        this.arithmetic(view.node.X, inner, where);
        return;
      case 'ParenArithm':
        if (view.node.X) this.arithmetic(view.node.X, inner, where);
        return;
      case 'Word': {
        const text = this.word(view.node, inner);
        if (text.dynamic !== undefined || !NUMBER.test(text.text)) {
          this.unknown(`${where} reads ${text.dynamic ?? `the variable ${text.text}`}, whose value bash evaluates as an expression`);
        }
        return;
      }
      default:
        this.unknown(`${where} uses syntax the analysis does not read`);
    }
  }

  /** A `[[ ]]` test: its words, with arithmetic operators' operands read as arithmetic. */
  protected test(node: SyntaxNode, scope: Scope): void {
    const inner = this.enter(scope);
    const view = tagged(node);
    const operators = this.parser.operators;
    switch (view.type) {
      case 'BinaryTest':
        if (operators.arithmeticTests.has(view.node.Op)) {
          this.arithmetic(view.node.X, inner, 'an arithmetic test');
          this.arithmetic(view.node.Y, inner, 'an arithmetic test');
        } else {
          this.test(view.node.X, inner);
          this.test(view.node.Y, inner);
        }
        return;
      case 'UnaryTest': {
        const operand = tagged(view.node.X);
        if (operators.nameTests.has(view.node.Op) && operand.type === 'Word') {
          const text = this.word(operand.node, inner);
          if (text.dynamic !== undefined || /\[.*[$`]/.test(text.text))
            this.unknown(`[[ -v ${text.text} ]] makes bash evaluate a subscript`);
          return;
        }
        this.test(view.node.X, inner);
        return;
      }
      case 'ParenTest':
        if (view.node.X) this.test(view.node.X, inner);
        return;
      case 'Word':
        this.word(view.node, inner);
        return;
      default:
        this.unknown('a [[ ]] test uses syntax the analysis does not read');
    }
  }
}
