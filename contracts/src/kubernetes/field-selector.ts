/**
 * Which object a list or watch is limited to by its field selector, as the API server reads it:
 * it parses the selector (terms split at unescaped commas, `!=`, `==` or `=` at the first place
 * one of them occurs, `\` escaping `\`, `,` and `=` in values) and, when a term requires
 * `metadata.name` to equal a value that is a valid path segment name, authorizes and audits the
 * request as one for that name. A selector it cannot parse makes it ignore the name; here that is
 * refused instead, and so are two different names, which the API server settles by sort order.
 */
import { type UnknownRequestInfo, unknownRequest } from './request-info.ts';

const NAME_FIELD = 'metadata.name';
const OPERATORS = ['!=', '==', '='] as const;

/** The name the selector pins (undefined: none), or why the selector cannot be read. */
export function nameFromFieldSelector(selector: string): { readonly name: string | undefined } | UnknownRequestInfo {
  const names = new Set<string>();
  for (const term of splitTerms(selector)) {
    if (term === '') continue;
    const split = splitTerm(term);
    const value = split && unescapeValue(split.rhs);
    if (!split || value === undefined) return unknownRequest('InvalidListOption', 'the field selector does not parse');
    if (split.lhs === NAME_FIELD && split.op !== '!=') names.add(value);
  }
  if (names.size > 1) return unknownRequest('ConflictingNameSelector', 'the field selector requires two different names');
  const [name] = names;
  return { name: name !== undefined && isValidPathSegmentName(name) ? name : undefined };
}

/** Terms end at commas not escaped by a backslash; the backslashes stay in the term. */
function splitTerms(selector: string): string[] {
  if (selector === '') return [];
  const terms: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** The field holds no escapes, so the first operator found splits the term; `!=` and `==` win over `=` at the same place. */
function splitTerm(term: string): { lhs: string; op: (typeof OPERATORS)[number]; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of OPERATORS) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** `\\`, `\,` and `\=` are the only escapes; an unescaped `,` or `=` in a value is an error. */
function unescapeValue(raw: string): string | undefined {
  let value = '';
  let escaped = false;
  for (const c of raw) {
    if (escaped) {
      if (c !== '\\' && c !== ',' && c !== '=') return undefined;
      value += c;
      escaped = false;
    } else if (c === '\\') escaped = true;
    else if (c === ',' || c === '=') return undefined;
    else value += c;
  }
  return escaped ? undefined : value;
}

/** Names the API server accepts as a path segment: not `.` or `..`, no `/` or `%`. */
function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}
