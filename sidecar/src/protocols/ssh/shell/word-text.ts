/**
 * Quote removal: what a word of the parsed command line becomes when the shell runs it, where that
 * is known from the text alone. `'r'"m"`, `\r\m` and `$'\x72m'` are all `rm`.
 *
 * A word is static when nothing in it is filled in at run time. Parameter, command, arithmetic and
 * process substitutions, `$"..."` (translated through the locale's catalogue), file-name globs
 * (`r*`, `a[bc]`, extended globs) and brace expansion (`{r,}m`) are not: their part of the text is
 * SHELL_DYNAMIC, or the whole word is (a glob or brace expansion can become several words).
 * `$'...'` escapes are decoded as bash does, except escapes that produce a NUL (bash cuts the word
 * there) or a byte or character outside ASCII (its meaning depends on the locale): those make the
 * word dynamic rather than guess.
 */
import { SHELL_DYNAMIC } from '@airlock/contracts/policy';
import { type SyntaxNode, tagged, type Word } from './syntax-tree.ts';

export interface WordText {
  /** After quote removal; SHELL_DYNAMIC where the shell fills in at run time. */
  readonly text: string;
  /** Why the word is not static (the first reason); absent when it is. */
  readonly dynamic?: string;
  /** It starts with an unquoted `~`, which the shell replaces with a home directory. */
  readonly tilde: boolean;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Decodes the body of `$'...'` as bash does; undefined when the result is not plain text (see the header). */
export function decodeAnsiC(raw: string): string | undefined {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const next = raw[i + 1]!;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
      continue;
    }
    let code: number | undefined;
    let consumed = 0;
    const digits = (pattern: RegExp, max: number, from: number): string => {
      let run = '';
      while (run.length < max && from + run.length < raw.length && pattern.test(raw[from + run.length]!)) run += raw[from + run.length];
      return run;
    };
    if (/[0-7]/.test(next)) {
      const run = digits(/[0-7]/, 3, i + 1);
      code = Number.parseInt(run, 8) & 0xff;
      consumed = run.length;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const run = digits(/[0-9a-fA-F]/, next === 'x' ? 2 : next === 'u' ? 4 : 8, i + 2);
      if (run.length === 0) {
        out += `\\${next}`;
        i++;
        continue;
      }
      code = Number.parseInt(run, 16);
      consumed = run.length + 1;
    } else if (next === 'c' && i + 2 < raw.length) {
      const control = raw[i + 2]!;
      code = control === '?' ? 0x7f : control.toUpperCase().charCodeAt(0) & 0x1f;
      consumed = 2;
    }
    if (code === undefined) {
      // An escape bash does not know stays as written, backslash included.
      out += `\\${next}`;
      i++;
      continue;
    }
    if (code === 0 || code > 0x7f) return undefined;
    out += String.fromCharCode(code);
    i += consumed;
  }
  return out;
}

/** Inside double quotes a backslash escapes only $ ` " \ and a newline; elsewhere it stays. */
function unescapeDoubleQuoted(value: string): string {
  return value.replace(/\\([$`"\\\n])/g, (_, c: string) => (c === '\n' ? '' : c));
}

/** Reads a word. */
export function wordText(word: Word): WordText {
  let text = '';
  let dynamic: string | undefined;
  let tilde = false;
  let wholeWord: string | undefined;
  // Brace expansion needs an unquoted `{`, then an unquoted `,` or `..`, then an unquoted `}`.
  let braceOpen = false;
  let braceSeparated = false;
  let bracketOpen = false;
  const markDynamic = (reason: string): void => {
    dynamic ??= reason;
    text += SHELL_DYNAMIC;
  };

  word.Parts.forEach((part, index) => {
    const view = tagged(part);
    switch (view.type) {
      case 'Lit': {
        const value = view.node.Value;
        if (index === 0 && value.startsWith('~')) tilde = true;
        for (let i = 0; i < value.length; i++) {
          const c = value[i]!;
          if (c === '\\') {
            if (i + 1 < value.length) text += value[++i];
            continue;
          }
          if (c === '*' || c === '?') wholeWord ??= 'a file-name glob';
          else if (c === '[') bracketOpen = true;
          else if (c === ']' && bracketOpen) wholeWord ??= 'a file-name glob';
          else if (c === '{') braceOpen = true;
          else if (braceOpen && (c === ',' || (c === '.' && value[i + 1] === '.'))) braceSeparated = true;
          else if (c === '}' && braceSeparated) wholeWord ??= 'a brace expansion';
          text += c;
        }
        return;
      }
      case 'SglQuoted': {
        if (!view.node.Dollar) {
          text += view.node.Value;
          return;
        }
        const decoded = decodeAnsiC(view.node.Value);
        if (decoded === undefined) markDynamic("a $'...' escape for a NUL or a non-ASCII byte");
        else text += decoded;
        return;
      }
      case 'DblQuoted': {
        if (view.node.Dollar) {
          markDynamic('$"..." (translated through the locale)');
          return;
        }
        for (const inner of view.node.Parts) {
          const innerView = tagged(inner);
          if (innerView.type === 'Lit') text += unescapeDoubleQuoted(innerView.node.Value);
          else markDynamic(describeExpansion(innerView.type, inner));
        }
        return;
      }
      default:
        markDynamic(describeExpansion(view.type, part));
    }
  });
  if (wholeWord !== undefined) return { text: SHELL_DYNAMIC, dynamic: dynamic ?? wholeWord, tilde };
  return dynamic === undefined ? { text, tilde } : { text, dynamic, tilde };
}

function describeExpansion(type: string, node: SyntaxNode): string {
  switch (type) {
    case 'ParamExp': {
      const name = (node as { Param?: { Value?: string } | null }).Param?.Value;
      return name ? `the variable $${name}` : 'a parameter expansion';
    }
    case 'CmdSubst':
      return 'a command substitution';
    case 'ArithmExp':
      return 'an arithmetic expansion';
    case 'ProcSubst':
      return 'a process substitution';
    case 'ExtGlob':
      return 'an extended glob';
    default:
      return `a ${type}`;
  }
}
