/**
 * A request's query parameters as the API server's Go code reads them (`&` separates, `+` is a
 * space, keys and values are percent-decoded, a pair without `=` has the value ''), except that
 * what Go skips silently is refused here: Go drops a pair holding `;` or a bad escape and reads
 * the rest, so a gate that read that pair differently would decide on a request the API server
 * never sees.
 *
 * A parameter given twice is read by the API server from its first value. A gate reads its
 * parameters through `single`, which refuses two different values: then no reader can take the
 * other one.
 */
import { isUnknownRequest, type UnknownRequestInfo, unknownRequest } from './request-info.ts';

/** RFC 3986 query characters: path characters and `?`. */
const QUERY_CHARACTERS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$/;
/** Values the parser reads are printable ASCII: they reach reviewers through describe(). */
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Go servers stop reading a query past a limit; a gate reads no query larger than any sane client sends. */
const MAX_PARAMETERS = 1000;

export class QueryParameters {
  readonly #values: ReadonlyMap<string, readonly string[]>;

  private constructor(values: ReadonlyMap<string, readonly string[]>) {
    this.#values = values;
  }

  static parse(rawQuery: string): QueryParameters | UnknownRequestInfo {
    if (!QUERY_CHARACTERS.test(rawQuery)) return unknownRequest('MalformedQuery', 'the query has characters a URL query cannot hold');
    if (rawQuery.includes(';')) return unknownRequest('MalformedQuery', 'the query has a ;, whose pair the API server drops');
    const values = new Map<string, string[]>();
    const pairs = rawQuery.split('&').filter((pair) => pair !== '');
    if (pairs.length > MAX_PARAMETERS) return unknownRequest('MalformedQuery', `the query has more than ${MAX_PARAMETERS} parameters`);
    for (const pair of pairs) {
      const equals = pair.indexOf('=');
      const key = decodeQueryComponent(equals < 0 ? pair : pair.slice(0, equals));
      const value = decodeQueryComponent(equals < 0 ? '' : pair.slice(equals + 1));
      if (key === undefined || value === undefined) {
        return unknownRequest(
          'MalformedQuery',
          'a query parameter has a bad percent escape or is not UTF-8, so the API server would drop it',
        );
      }
      const list = values.get(key);
      if (list) list.push(value);
      else values.set(key, [value]);
    }
    return new QueryParameters(values);
  }

  /** Every value of the parameter, in order; each printable ASCII. */
  all(name: string): readonly string[] | UnknownRequestInfo {
    const values = this.#values.get(name) ?? [];
    if (!values.every((value) => PRINTABLE.test(value))) {
      return unknownRequest('MalformedQuery', `a ${name} value holds characters other than printable ASCII`);
    }
    return values;
  }

  /** The parameter's value (undefined when absent); refused when it is given twice with different values. */
  single(name: string): { readonly value: string | undefined } | UnknownRequestInfo {
    const values = this.all(name);
    if (isUnknownRequest(values)) return values;
    const [first] = values;
    if (values.some((value) => value !== first)) {
      return unknownRequest('ConflictingQueryParameter', `${name} is given twice with different values`);
    }
    return { value: first };
  }
}

function decodeQueryComponent(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return undefined;
  }
}
