/**
 * Walks what the API server answers (an object, a list, a Table, a Status, a watch event's object)
 * and masks it: Secrets' values always, the policy's rules (when there are any) on every other
 * value. Never mutates its input: a branch with nothing masked is returned as the same reference,
 * so "did anything change" is `result !== input` and an unchanged body is relayed as its bytes.
 *
 * Where Secrets are recognized:
 * - an object with `kind: Secret` at any level the walk reaches (without rules the walk visits
 *   only objects a response is made of: the body, list items, Table rows, watch events' objects);
 * - the items of a SecretList, which carry no kind;
 * - when the request is for `secrets`, any object without a kind and any PartialObjectMetadata
 *   (Table rows with includeObject=Metadata, metadata-only lists), whose annotations may hold the
 *   last-applied Secret.
 *
 * Left alone, because clients need them to decode or continue and they hold no data: `apiVersion`
 * and `kind` of each object the response is made of, list and Table metadata (resourceVersion,
 * continue), an object's `metadata.resourceVersion`, a Table's column definitions and a watch
 * event's `type`. A policy rule cannot select these; everything else it can.
 *
 * Keys used for column rules: an object's key; for array elements the array's key (`args` selects
 * every argument); for the `value` of a name/value pair (env vars, httpHeaders) the pair's
 * `name` as well, so `*password*` masks the value of env var DB_PASSWORD; for Table cells the
 * column's name ("Name", "Data"), so a column rule masks a printed column like the field it shows.
 */
import { REDACTED } from '@airlock/contracts/masking';
import { isRawJson, isRecord, parseJson, setOwn } from './json-text.ts';
import { addCount, type MutableCounts, SECRET_DATA_RULE } from './mask-counts.ts';
import type { PolicyValueMasker } from './policy-values.ts';
import { maskSecretValues } from './secret-values.ts';

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, unknown>;

export interface ResourceMaskerOptions {
  /** Absent: only Secrets are masked. */
  readonly policy?: PolicyValueMasker;
  /** The request is for the core `secrets` resource: objects without a kind are Secrets. */
  readonly secretsRequest: boolean;
}

/** One per response or watch stream: a Table watch may send column definitions in its first event only, and later rows still need their column names. */
export class ResourceMasker {
  readonly #policy: PolicyValueMasker | undefined;
  readonly #secretsRequest: boolean;
  #tableColumns: readonly string[] = [];

  constructor(options: ResourceMaskerOptions) {
    this.#policy = options.policy;
    this.#secretsRequest = options.secretsRequest;
  }

  /** A whole response body, or one object (dry-run evidence). */
  maskResponse(value: unknown, counts: MutableCounts): unknown {
    return this.#resource(value, this.#secretsRequest, counts);
  }

  /** One watch event: {"type":"ADDED","object":{...}}. */
  maskWatchEvent(event: unknown, counts: MutableCounts): unknown {
    if (!isRecord(event)) return this.#value(event, undefined, undefined, counts);
    return this.#copyOnWrite(event, (key, value) => {
      if (key === 'type') return value;
      if (key === 'object') return this.#resource(value, this.#secretsRequest, counts);
      return this.#value(value, key, undefined, counts);
    });
  }

  /** An object a response is made of. `secretLike`: an object here without a kind is a Secret. */
  #resource(value: unknown, secretLike: boolean, counts: MutableCounts): unknown {
    if (!isRecord(value)) return this.#value(value, undefined, undefined, counts);
    const kind = typeof value.kind === 'string' ? value.kind : undefined;
    if (kind === 'Table' && Array.isArray(value.rows)) return this.#table(value, secretLike, counts);
    if (Array.isArray(value.items) && (kind === undefined || kind.endsWith('List')))
      return this.#list(value, secretLike || kind === 'SecretList', counts);
    const secret = kind === 'Secret' || (secretLike && (kind === undefined || kind === 'PartialObjectMetadata'));
    return this.#object(value, secret, counts);
  }

  #list(list: Json, itemsAreSecrets: boolean, counts: MutableCounts): unknown {
    return this.#copyOnWrite(list, (key, value) => {
      if (key === 'apiVersion' || key === 'kind' || key === 'metadata') return value;
      if (key === 'items' && Array.isArray(value)) return copyOnWriteArray(value, (item) => this.#resource(item, itemsAreSecrets, counts));
      return this.#value(value, key, undefined, counts);
    });
  }

  #table(table: Json, rowsAreSecrets: boolean, counts: MutableCounts): unknown {
    if (Array.isArray(table.columnDefinitions) && table.columnDefinitions.length > 0)
      this.#tableColumns = table.columnDefinitions.map((column) =>
        isRecord(column) && typeof column.name === 'string' ? column.name : '',
      );
    const columns = this.#tableColumns;
    return this.#copyOnWrite(table, (key, value) => {
      if (key === 'apiVersion' || key === 'kind' || key === 'metadata' || key === 'columnDefinitions') return value;
      if (key === 'rows' && Array.isArray(value))
        return copyOnWriteArray(value, (row) => {
          if (!isRecord(row)) return this.#value(row, undefined, undefined, counts);
          return this.#copyOnWrite(row, (field, content) => {
            if (field === 'object') return this.#resource(content, rowsAreSecrets, counts);
            if (field === 'cells' && Array.isArray(content) && this.#policy)
              return copyOnWriteArray(content, (cell, index) => this.#value(cell, columns[index], undefined, counts));
            return this.#value(content, field, undefined, counts);
          });
        });
      return this.#value(value, key, undefined, counts);
    });
  }

  /** A single object: Secret values, metadata (annotations, last-applied), then policy rules on the rest. */
  #object(object: Json, secret: boolean, counts: MutableCounts): unknown {
    return this.#copyOnWrite(object, (key, value) => {
      if (key === 'apiVersion' || key === 'kind') return value;
      if (secret && (key === 'data' || key === 'stringData')) return maskSecretValues(value, key, this.#policy, counts);
      if (key === 'metadata' && isRecord(value)) return this.#metadata(value, secret, counts);
      return this.#value(value, key, undefined, counts);
    });
  }

  #metadata(metadata: Json, secret: boolean, counts: MutableCounts): unknown {
    return this.#copyOnWrite(metadata, (key, value) => {
      if (key === 'resourceVersion') return value;
      if (key === 'annotations' && isRecord(value))
        return this.#copyOnWrite(value, (name, annotation) =>
          name === LAST_APPLIED_ANNOTATION && typeof annotation === 'string'
            ? this.#lastApplied(annotation, secret, counts)
            : this.#value(annotation, name, undefined, counts),
        );
      return this.#value(value, key, undefined, counts);
    });
  }

  /**
   * kubectl apply stores the whole object as applied in this annotation (a Secret's data
   * included), as compact JSON plus a newline. It is masked as the object itself would be, and
   * written back the same way.
   */
  #lastApplied(text: string, secret: boolean, counts: MutableCounts): unknown {
    let applied: unknown;
    try {
      applied = parseJson(text, 'the last-applied-configuration annotation');
    } catch {
      if (secret) {
        addCount(counts, SECRET_DATA_RULE);
        return REDACTED;
      }
      return this.#value(text, LAST_APPLIED_ANNOTATION, undefined, counts);
    }
    if (!secret && !this.#policy) return text;
    const masked = isRecord(applied)
      ? this.#object(applied, secret || applied.kind === 'Secret', counts)
      : this.#value(applied, undefined, undefined, counts);
    if (masked === applied) return text;
    return JSON.stringify(masked) + (text.endsWith('\n') ? '\n' : '');
  }

  /** Any other value: policy rules only (and Secrets found inside, e.g. in a `List`). */
  #value(value: unknown, key: string | undefined, pairName: string | undefined, counts: MutableCounts): unknown {
    const policy = this.#policy;
    if (typeof value === 'string') return policy ? policy.maskString(value, key, pairName, counts) : value;
    if (typeof value === 'number' || typeof value === 'boolean' || isRawJson(value))
      return policy ? policy.maskScalar(value, key, pairName, counts) : value;
    if (Array.isArray(value)) return copyOnWriteArray(value, (element) => this.#value(element, key, pairName, counts));
    if (!isRecord(value)) return value;
    if (value.kind === 'Secret' || value.kind === 'SecretList' || value.kind === 'Table') return this.#resource(value, false, counts);
    if (!policy) return value;
    const name = typeof value.name === 'string' ? value.name : undefined;
    return this.#copyOnWrite(value, (field, content) => this.#value(content, field, field === 'value' ? name : undefined, counts));
  }

  /** The object with each value replaced by `mask(key, value)`; the object itself when nothing changed. */
  #copyOnWrite(object: Json, mask: (key: string, value: unknown) => unknown): Json {
    let out: Json | undefined;
    for (const key of Object.keys(object)) {
      const value = object[key];
      const masked = mask(key, value);
      if (masked === value) continue;
      out ??= { ...object };
      setOwn(out, key, masked);
    }
    return out ?? object;
  }
}

function copyOnWriteArray(array: readonly unknown[], mask: (value: unknown, index: number) => unknown): unknown[] {
  let out: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const value = array[i];
    const masked = mask(value, i);
    if (masked === value) continue;
    out ??= array.slice();
    out[i] = masked;
  }
  return (out ?? array) as unknown[];
}
