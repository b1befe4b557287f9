/**
 * An upper bound on how deeply a text's parse tree can nest, computed without parsing.
 *
 * Why: libpg-query's WASM build recurses through JavaScript frames. A deep enough tree
 * (`1 + 1 + ...` some thousands of times; a few hundred nested subqueries or NOTs for normalize)
 * overflows the JavaScript stack inside the parser, which then leaks its memory context (tens of
 * MB each time) and, after a few dozen such texts, answers valid SQL with nonsense. So texts are
 * measured first, and the deep ones never reach the parser (classifier.ts has the limits).
 *
 * The bound errs high, never low, as long as this scan agrees with PostgreSQL's scanner (scan.l,
 * standard_conforming_strings on, as in libpg-query) about what is a string, a quoted identifier
 * or a comment: their contents cannot nest, everything else counts. Where the two could disagree
 * the text is one PostgreSQL rejects, and rejection happens in the grammar, which does not recurse.
 *
 * Units, per bracket level:
 * - `(`, `[` and CASE open a level 4 deeper; `)`, `]` and END close only the level they opened;
 * - operator characters and nesting keywords (NOT, IS, COLLATE, ...) add 2 to the level's chain,
 *   other words 1, so that a nesting keyword missing from the list still counts at half weight;
 * - a comma, semicolon, AND, OR, WHEN, THEN or ELSE ends a chain (the grammar flattens AND and OR
 *   lists), except the AND that belongs to a BETWEEN;
 * - JOIN and UNION/INTERSECT/EXCEPT nest their left side, so they add 2 that only `;` resets.
 */

const OPEN_LEVEL = 4;
const NESTING_STEP = 2;
const WORD_STEP = 1;

const CHAIN_ENDS = new Set(['and', 'or', 'when', 'then', 'else']);
const SPINE_WORDS = new Set(['join', 'union', 'intersect', 'except']);
/** Words that nest what follows or precedes them without brackets (NOT x, x IS NULL, x COLLATE c, ...). */
const NESTING_WORDS = new Set(
  `not is isnull notnull like ilike similar escape collate at between in overlaps operator any all some unique exists
   array row distinct default`.split(/\s+/),
);
const OPERATOR_CHARS = new Set('~!@#^&|`?+-*/%<>=:'.split(''));

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code >= 0x80;
}

/** PostgreSQL identifiers continue with letters, digits, `_` and `$` (bytes >= 0x80 count as letters). */
function isIdentChar(code: number): boolean {
  return isLetter(code) || isDigit(code) || code === 36;
}

function isNewline(char: string | undefined): boolean {
  return char === '\n' || char === '\r';
}

/** Index just past a run quoted by `quote`, where a doubled quote stays inside. */
function skipQuoted(text: string, from: number, quote: string, backslashEscapes: boolean): number {
  let index = from;
  while (index < text.length) {
    const char = text[index];
    if (backslashEscapes && char === '\\') index += 2;
    else if (char === quote && text[index + 1] === quote) index += 2;
    else if (char === quote) return index + 1;
    else index++;
  }
  return index;
}

/** `'abc'` newline `'def'` is one string (in the first one's mode); returns where the next part's body starts. */
function continuation(text: string, from: number): number | undefined {
  let index = from;
  let newline = false;
  while (index < text.length) {
    const char = text[index];
    if (isNewline(char)) {
      newline = true;
      index++;
    } else if (char === ' ' || char === '\t' || char === '\f' || char === '\v') {
      index++;
    } else if (newline && char === '-' && text[index + 1] === '-') {
      while (index < text.length && !isNewline(text[index])) index++;
    } else {
      break;
    }
  }
  return newline && text[index] === "'" ? index + 1 : undefined;
}

function skipString(text: string, from: number, backslashEscapes: boolean): number {
  let index = skipQuoted(text, from, "'", backslashEscapes);
  for (let next = continuation(text, index); next !== undefined; next = continuation(text, index)) {
    index = skipQuoted(text, next, "'", backslashEscapes);
  }
  return index;
}

function skipBlockComment(text: string, from: number): number {
  let depth = 1;
  let index = from;
  while (index < text.length && depth > 0) {
    const pair = text.slice(index, index + 2);
    if (pair === '/*') depth++;
    else if (pair === '*/') depth--;
    index += pair === '/*' || pair === '*/' ? 2 : 1;
  }
  return index;
}

const DOLLAR_TAG = /^\$([A-Za-z_\u0080-\uffff][A-Za-z_0-9\u0080-\uffff]*)?\$/;

/** `$tag$ ... $tag$` at `from` (a `$` at a token start), or undefined when it is not one. */
function skipDollarQuoted(text: string, from: number): number | undefined {
  const match = DOLLAR_TAG.exec(text.slice(from, from + 130));
  if (!match) return undefined;
  const delimiter = match[0];
  const end = text.indexOf(delimiter, from + delimiter.length);
  return end < 0 ? text.length : end + delimiter.length;
}

interface Level {
  readonly opener: string;
  /** Depth at which this level starts. */
  readonly base: number;
  /** Chain units since the last separator. */
  chain: number;
  /** JOINs and set operations met on this level. */
  spine: number;
  /** BETWEENs waiting for their AND. */
  betweens: number;
}

class NestingScan {
  readonly #levels: Level[] = [{ opener: '', base: 0, chain: 0, spine: 0, betweens: 0 }];
  deepest = 0;

  get #current(): Level {
    return this.#levels[this.#levels.length - 1]!;
  }

  #step(units: number, spine = false): void {
    const level = this.#current;
    if (spine) level.spine += units;
    else level.chain += units;
    this.deepest = Math.max(this.deepest, level.base + level.chain + level.spine);
  }

  #open(opener: string): void {
    const level = this.#current;
    const base = level.base + level.chain + level.spine + OPEN_LEVEL;
    this.#levels.push({ opener, base, chain: 0, spine: 0, betweens: 0 });
    this.deepest = Math.max(this.deepest, base);
  }

  /** Closes only the level `opener` opened: a stray closer (a syntax error) lowers nothing. */
  #close(opener: string): void {
    if (this.#levels.length > 1 && this.#current.opener === opener) this.#levels.pop();
  }

  word(lower: string): void {
    const level = this.#current;
    if (lower === 'case') {
      this.#step(NESTING_STEP);
      this.#open('case');
    } else if (lower === 'end') {
      this.#close('case');
    } else if (lower === 'and' && level.betweens > 0) {
      level.betweens--;
    } else if (CHAIN_ENDS.has(lower)) {
      level.chain = 0;
    } else if (SPINE_WORDS.has(lower)) {
      this.#step(NESTING_STEP, true);
    } else {
      if (lower === 'between') level.betweens++;
      this.#step(NESTING_WORDS.has(lower) ? NESTING_STEP : WORD_STEP);
    }
  }

  punctuation(char: string): void {
    if (char === '(' || char === '[') {
      this.#step(NESTING_STEP);
      this.#open(char);
    } else if (char === ')') {
      this.#close('(');
    } else if (char === ']') {
      this.#close('[');
    } else if (char === ',' || char === ';') {
      const level = this.#current;
      level.chain = 0;
      level.betweens = 0;
      if (char === ';') level.spine = 0;
    } else if (OPERATOR_CHARS.has(char)) {
      this.#step(NESTING_STEP);
    }
  }
}

/** An upper bound on the parse tree's nesting depth, in the units above (`a + b + c` is 5). */
export function estimateNesting(text: string): number {
  const scan = new NestingScan();
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    const code = text.charCodeAt(index);
    const next = text[index + 1];
    const afterNext = text[index + 2];
    if (char === '-' && next === '-') {
      while (index < text.length && !isNewline(text[index])) index++;
    } else if (char === '/' && next === '*') {
      index = skipBlockComment(text, index + 2);
    } else if (char === "'") {
      index = skipString(text, index + 1, false);
    } else if ((char === 'e' || char === 'E') && next === "'") {
      index = skipString(text, index + 2, true);
    } else if ('bBxXnN'.includes(char) && next === "'") {
      index = skipString(text, index + 2, false);
    } else if ((char === 'u' || char === 'U') && next === '&' && afterNext === "'") {
      index = skipString(text, index + 3, false);
    } else if ((char === 'u' || char === 'U') && next === '&' && afterNext === '"') {
      index = skipQuoted(text, index + 3, '"', false);
    } else if (char === '"') {
      index = skipQuoted(text, index + 1, '"', false);
    } else if (char === '$' && isDigit(text.charCodeAt(index + 1))) {
      index += 2;
      while (isDigit(text.charCodeAt(index))) index++;
    } else if (char === '$') {
      index = skipDollarQuoted(text, index) ?? index + 1;
    } else if (isLetter(code)) {
      const start = index;
      while (index < text.length && isIdentChar(text.charCodeAt(index))) index++;
      scan.word(text.slice(start, index).toLowerCase());
    } else if (isDigit(code) || (char === '.' && isDigit(text.charCodeAt(index + 1)))) {
      // A number, with its exponent, radix prefix or underscores: a literal, never nesting.
      while (index < text.length && (isIdentChar(text.charCodeAt(index)) || text[index] === '.') && text[index] !== '$') index++;
    } else {
      scan.punctuation(char);
      index++;
    }
  }
  return scan.deepest;
}
