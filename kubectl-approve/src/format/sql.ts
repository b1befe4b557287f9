/**
 * SQL for reviewers' eyes: a PostgreSQL-lexical tokenizer, a layout that puts each clause on its
 * own line, and highlighting. Pure, dependency-free (it ships in the single-file plugin, where
 * the WASM parser the sidecar uses cannot go).
 *
 * The layout only ever rewrites whitespace that was already between two tokens: it never joins
 * or splits a token, never touches the inside of a string, identifier or comment, and always
 * keeps the line break that ends a `--` comment. So what a reviewer reads is token for token what
 * runs; `sql.test.ts` checks that against PostgreSQL's own scanner for the sidecar's corpus.
 */
import { PLAIN, type Style, safeText } from './terminal-text.ts';

export type TokenKind = 'space' | 'comment' | 'string' | 'number' | 'word' | 'quoted' | 'parameter' | 'operator' | 'punctuation' | 'other';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const SPACE = /[ \t\n\r\f\v]+/y;
const NUMBER = /(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.(?!\.)[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?)/y;
const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;
const PARAMETER = /\$\d+/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?';
const PUNCTUATION = '(),;[].:';
/** Word prefixes that make the following quote a string: E'..', B'..', X'..', N'..', U&'..'. */
const STRING_PREFIXES = new Set(['e', 'b', 'x', 'n']);

/** Splits `sql` into tokens whose texts, joined, give `sql` back exactly. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const push = (kind: TokenKind, end: number) => {
    tokens.push({ kind, text: sql.slice(i, end) });
    i = end;
  };
  const at = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = i;
    return pattern.exec(sql)?.[0];
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const space = at(SPACE);
    if (space) {
      push('space', i + space.length);
      continue;
    }
    if (sql.startsWith('--', i)) {
      const nl = sql.indexOf('\n', i);
      push('comment', nl === -1 ? sql.length : nl);
      continue;
    }
    if (sql.startsWith('/*', i)) {
      push('comment', blockCommentEnd(sql, i));
      continue;
    }
    if (c === "'" || c === '"') {
      push(c === "'" ? 'string' : 'quoted', quotedEnd(sql, i, c, false));
      continue;
    }
    const parameter = at(PARAMETER);
    if (parameter) {
      push('parameter', i + parameter.length);
      continue;
    }
    const tag = at(DOLLAR_TAG);
    if (tag) {
      const close = sql.indexOf(tag, i + tag.length);
      push('string', close === -1 ? sql.length : close + tag.length);
      continue;
    }
    const number = at(NUMBER);
    if (number && number !== '.') {
      push('number', i + number.length);
      continue;
    }
    const word = at(WORD);
    if (word) {
      const after = i + word.length;
      const lower = word.toLowerCase();
      const quote = sql[after + 1];
      if (sql[after] === "'" && STRING_PREFIXES.has(lower)) push('string', quotedEnd(sql, after, "'", lower === 'e'));
      else if (lower === 'u' && sql[after] === '&' && (quote === "'" || quote === '"')) {
        push(quote === "'" ? 'string' : 'quoted', quotedEnd(sql, after + 1, quote, false));
      } else push('word', after);
      continue;
    }
    if (OPERATOR_CHARS.includes(c)) push('operator', operatorEnd(sql, i));
    else if (c === ':' && sql[i + 1] === ':') push('operator', i + 2);
    else if (PUNCTUATION.includes(c)) push('punctuation', i + 1);
    else push('other', i + (sql.codePointAt(i)! > 0xffff ? 2 : 1));
  }
  return tokens;
}

/** Nested, as PostgreSQL's are; an unterminated comment runs to the end. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < sql.length) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i += 2;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else i++;
  }
  return sql.length;
}

/** The end of a quoted run starting at `start`: doubled quotes stay inside, and backslashes escape in E'' strings. */
function quotedEnd(sql: string, start: number, quote: string, backslashes: boolean): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashes && c === '\\') i += 2;
    else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else i++;
  }
  return sql.length;
}

function operatorEnd(sql: string, start: number): number {
  let i = start;
  while (i < sql.length && OPERATOR_CHARS.includes(sql[i]!)) {
    if (i > start && (sql.startsWith('--', i) || sql.startsWith('/*', i))) break;
    i++;
  }
  return i;
}

/** Keywords that start a clause on a new line, longest first where they share a first word. */
const CLAUSES: readonly (readonly string[])[] = [
  ['with'],
  ['select'],
  ['from'],
  ['where'],
  ['group', 'by'],
  ['having'],
  ['window'],
  ['order', 'by'],
  ['limit'],
  ['offset'],
  ['fetch'],
  ['union', 'all'],
  ['union'],
  ['intersect'],
  ['except'],
  ['insert', 'into'],
  ['values'],
  ['update'],
  ['set'],
  ['delete', 'from'],
  ['returning'],
  ['on', 'conflict'],
  ['do', 'update'],
  ['do', 'nothing'],
  ['natural', 'join'],
  ['cross', 'join'],
  ['inner', 'join'],
  ['left', 'outer', 'join'],
  ['left', 'join'],
  ['right', 'outer', 'join'],
  ['right', 'join'],
  ['full', 'outer', 'join'],
  ['full', 'join'],
  ['join'],
];
const CONDITIONS = new Set(['and', 'or']);
/** Clauses whose AND/OR start a new line; elsewhere (CREATE OR REPLACE) they stay put. */
const CONDITION_CLAUSES = new Set(['where', 'having', ...CLAUSES.filter((c) => c.at(-1) === 'join').map((c) => c.join(' '))]);
/** A parenthesis whose first word is one of these holds a query: its clauses break lines too. */
const QUERY_STARTS = new Set(['select', 'with', 'values', 'insert', 'update', 'delete']);
const INDENT = '    ';

/**
 * The statement laid out one clause per line, AND/OR of a condition indented under it, subqueries
 * indented by depth. Only whitespace between tokens changes (see the file comment).
 */
export function prettySql(sql: string): string {
  const tokens = tokenize(sql);
  const words = tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const lowerAt = (index: number) => (words[index]?.kind === 'word' ? words[index].text.toLowerCase() : undefined);
  /** Index in `words` of each token, for looking ahead at multi-word clauses. */
  let wordIndex = -1;
  /** One entry per open parenthesis: does it hold a query? */
  const parens: boolean[] = [];
  let queryDepth = 0;
  /** Per query level: the clause being laid out, so AND/OR break only in conditions. */
  const clauses: string[] = [''];
  /** After BETWEEN, the next AND belongs to it. */
  let betweenPending = false;
  let out = '';
  let pendingSpace: string | undefined;
  let previous: Token | undefined;
  let clauseWordsLeft = 0;

  for (const token of tokens) {
    if (token.kind === 'space') {
      pendingSpace = token.text;
      continue;
    }
    if (token.kind !== 'comment') wordIndex++;
    const lower = token.kind === 'word' ? token.text.toLowerCase() : undefined;
    const atQueryLevel = parens.length === 0 || parens[parens.length - 1] === true;
    let breakHere = false;
    let indent = INDENT.repeat(queryDepth);
    if (lower && atQueryLevel && clauseWordsLeft === 0) {
      const clause = CLAUSES.find((words) => words.every((w, k) => lowerAt(wordIndex + k) === w));
      if (clause) {
        breakHere = true;
        clauseWordsLeft = clause.length;
        clauses[queryDepth] = clause.join(' ');
      } else if (CONDITIONS.has(lower) && CONDITION_CLAUSES.has(clauses[queryDepth] ?? '')) {
        if (lower === 'and' && betweenPending) betweenPending = false;
        else {
          breakHere = true;
          indent += '  ';
        }
      }
    }
    if (clauseWordsLeft > 0) clauseWordsLeft--;
    if (lower === 'between') betweenPending = true;

    if (previous !== undefined) {
      if (previous.kind === 'comment' && previous.text.startsWith('--')) out += `\n${indent}`;
      else if (pendingSpace !== undefined) {
        if (breakHere) out += `\n${indent}`;
        else if (previous.text === ';' && parens.length === 0) out += '\n';
        else out += ' ';
      }
    }
    out += token.text;
    pendingSpace = undefined;
    previous = token;

    if (token.text === '(' && token.kind === 'punctuation') {
      const holdsQuery = QUERY_STARTS.has(lowerAt(wordIndex + 1) ?? '');
      parens.push(holdsQuery);
      if (holdsQuery) clauses[++queryDepth] = '';
    } else if (token.text === ')' && token.kind === 'punctuation') {
      if (parens.pop() === true) queryDepth--;
    }
  }
  // A trailing line comment keeps its end of line.
  if (previous?.kind === 'comment' && previous.text.startsWith('--') && pendingSpace?.includes('\n')) out += '\n';
  return out;
}

/** Keywords highlighted as such; identifiers that happen to be keywords are highlighted too, which is harmless. */
const KEYWORDS = new Set(
  `abort add all alter analyze and any array as asc begin between both by call cascade case cast check checkpoint close cluster
  collate column comment commit concurrently conflict constraint copy create cross current_date current_time current_timestamp
  current_user cursor database deallocate declare default delete desc discard distinct do drop else end except execute exists
  explain extension false fetch for foreign from full function grant group having if ilike in index inner insert intersect into
  is join key lateral leading left like limit listen load local lock materialized natural not nothing notify null nulls offset
  on only or order outer over partition policy prepare primary procedure reassign recursive references refresh reindex release
  rename replace reset restrict returning revoke right role rollback rule savepoint schema security select sequence session_user
  set show similar some table tablespace temp temporary then to trailing trigger true truncate type union unique unlisten update
  user using vacuum values verbose view when where window with`.split(/\s+/),
);

/** `sql` with token classes styled; unsafe characters escaped in every token (see terminal-text.ts). */
export function highlightSql(sql: string, style: Style = PLAIN): string {
  return tokenize(sql)
    .map((token) => {
      const text = safeText(token.text, { multiline: true, style });
      switch (token.kind) {
        case 'word':
          return KEYWORDS.has(token.text.toLowerCase()) ? style.keyword(text) : style.identifier(text);
        case 'string':
          return style.string(text);
        case 'number':
          return style.number(text);
        case 'comment':
          return style.comment(text);
        case 'parameter':
          return style.parameter(text);
        default:
          return text;
      }
    })
    .join('');
}
