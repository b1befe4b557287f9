/**
 * Validates airlock objects the way the API server does: the structural schema (types, enums,
 * patterns, bounds, required and unknown fields) with ajv, then the CEL rules and list
 * uniqueness. Sidecars and the operator use it on config; tests use it on examples.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { GROUP, VERSION } from '../schema/common.ts';
import { SOURCES } from '../schema/index.ts';
import type { CrdSource, Schema } from '../schema/json-schema.ts';
import { CelRules } from './cel-rules.ts';
import { objectSchema } from './crd-builder.ts';
import type { AirlockKind, AirlockObject } from './generated/types.ts';
import { isRecord } from './is-record.ts';
import type { ValidationIssue } from './validation-issue.ts';

export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: ValidationIssue[] };

const ANNOTATION_KEYWORDS = [
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-map-type',
];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class AirlockValidator {
  readonly #ajv: Ajv;
  readonly #byKind = new Map<string, { source: CrdSource; schema: Schema; compiled: ValidateFunction }>();
  readonly #cel = new CelRules();

  constructor(sources: readonly CrdSource[] = SOURCES) {
    this.#ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false });
    this.#ajv.addVocabulary(ANNOTATION_KEYWORDS);
    this.#ajv.addFormat('date-time', { type: 'string', validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)) });
    this.#ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this.#ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    this.#ajv.addFormat('byte', { type: 'string', validate: (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 });
    for (const source of sources) {
      const schema = objectSchema(source);
      this.#byKind.set(source.kind, { source, schema, compiled: this.#ajv.compile(closed(schema)) });
    }
  }

  /**
   * Checks one object. Pass the stored version as `old` to also run transition rules
   * (immutability, append-only reviews, phase order), as the API server does on update.
   */
  validate<T extends AirlockObject = AirlockObject>(doc: unknown, old?: unknown): ValidationResult<T> {
    const issues: ValidationIssue[] = [];
    if (!isRecord(doc)) return { ok: false, issues: [{ path: '', message: 'expected an object' }] };
    if (doc.apiVersion !== `${GROUP}/${VERSION}`) {
      issues.push({ path: 'apiVersion', message: `must be ${GROUP}/${VERSION} (got ${JSON.stringify(doc.apiVersion)})` });
    }
    const entry = typeof doc.kind === 'string' ? this.#byKind.get(doc.kind) : undefined;
    if (!entry) {
      issues.push({ path: 'kind', message: `must be one of ${[...this.#byKind.keys()].join(', ')} (got ${JSON.stringify(doc.kind)})` });
      return { ok: false, issues };
    }
    const meta = doc.metadata;
    if (!isRecord(meta) || (typeof meta.name !== 'string' && typeof meta.generateName !== 'string')) {
      issues.push({ path: 'metadata.name', message: 'required: every object needs a name' });
    }
    if (!entry.compiled(doc)) {
      issues.push(...(entry.compiled.errors ?? []).map(describe));
    } else {
      // CEL rules assume the structure is right; the API server also runs them only then.
      this.#cel.check(entry.schema, doc, old, '', issues);
    }
    const cleaned = issues.map((i) => ({ ...i, path: i.path.replace(/^\./, '') }));
    return cleaned.length === 0 ? { ok: true, value: doc as unknown as T } : { ok: false, issues: cleaned };
  }

  kinds(): AirlockKind[] {
    return [...this.#byKind.keys()] as AirlockKind[];
  }
}

/** The API server drops or (with strict field validation) rejects unknown fields; so do we. */
function closed(schema: Schema): Schema {
  const copy: Schema = { ...schema };
  if (copy.properties) {
    copy.properties = Object.fromEntries(Object.entries(copy.properties).map(([k, v]) => [k, k === 'metadata' ? v : closed(v)]));
    if (copy.additionalProperties === undefined && !copy['x-kubernetes-preserve-unknown-fields']) copy.additionalProperties = false;
  }
  if (copy.items) copy.items = closed(copy.items);
  if (typeof copy.additionalProperties === 'object') copy.additionalProperties = closed(copy.additionalProperties);
  return copy;
}

function describe(error: ErrorObject): ValidationIssue {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s.replaceAll('~1', '/').replaceAll('~0', '~')}`))
    .join('')
    .replace(/^\./, '');
  const p = error.params as Record<string, unknown>;
  const got = (v: unknown) => (v === undefined ? '' : ` (got ${JSON.stringify(v)})`);
  switch (error.keyword) {
    case 'required':
      return { path: path ? `${path}.${String(p.missingProperty)}` : String(p.missingProperty), message: 'required field is missing' };
    case 'additionalProperties':
      return { path: path ? `${path}.${String(p.additionalProperty)}` : String(p.additionalProperty), message: 'unknown field' };
    case 'enum':
      return { path, message: `must be one of: ${(p.allowedValues as unknown[]).join(', ')}${got(error.data)}` };
    case 'pattern':
      return { path, message: `${JSON.stringify(error.data)} is not valid: ${firstSentence(error.parentSchema?.description)}` };
    case 'type':
      return { path, message: `must be ${String(p.type)}${got(error.data)}` };
    case 'format':
      return {
        path,
        message: `must be ${String(p.format) === 'date-time' ? 'an RFC 3339 time such as 2026-01-02T15:04:05Z' : `a valid ${String(p.format)}`}${got(error.data)}`,
      };
    default:
      return { path, message: `${error.message ?? 'is invalid'}${got(error.data)}` };
  }
}

function firstSentence(text: unknown): string {
  if (typeof text !== 'string') return 'see the field description';
  const end = text.indexOf('. ');
  return end === -1 ? text.replace(/\.$/, '') : text.slice(0, end);
}
