/**
 * Evaluates what the API server checks beyond plain JSON Schema: the CEL rules in
 * x-kubernetes-validations (transition rules too, when an old object is given) and the uniqueness
 * of set and map lists. Old values are correlated the way the API server does it: through object
 * properties and map-list keys, never through atomic or set lists.
 */
import { parse } from '@marcbachmann/cel-js';
import type { Schema } from '../schema/json-schema.ts';
import { isRecord } from './is-record.ts';
import type { ValidationIssue } from './validation-issue.ts';

type Compiled = ReturnType<typeof parse>;

const NOT_CORRELATED = Symbol('not correlated');
type Old = unknown | typeof NOT_CORRELATED;

export class CelRules {
  readonly #compiled = new Map<string, Compiled>();

  check(schema: Schema, value: unknown, old: Old, path: string, issues: ValidationIssue[]): void {
    if (value === undefined || value === null) return;
    for (const rule of schema['x-kubernetes-validations'] ?? []) {
      const transition = /\boldSelf\b/.test(rule.rule);
      if (transition && (old === NOT_CORRELATED || old === undefined)) continue;
      let result: unknown;
      try {
        result = this.#compile(rule.rule)(transition ? { self: value, oldSelf: old } : { self: value });
      } catch (error) {
        issues.push({
          path: join(path, rule.fieldPath),
          message: `rule could not be evaluated (${(error as Error).message}): ${rule.message}`,
        });
        continue;
      }
      if (result !== true) issues.push({ path: join(path, rule.fieldPath), message: rule.message });
    }
    if (schema.type === 'object' && isRecord(value)) {
      const oldRecord = isRecord(old) ? old : undefined;
      for (const [name, child] of Object.entries(schema.properties ?? {})) {
        this.check(child, value[name], oldRecord ? oldRecord[name] : NOT_CORRELATED, `${path}.${name}`, issues);
      }
      if (typeof schema.additionalProperties === 'object') {
        for (const [name, child] of Object.entries(value)) {
          this.check(schema.additionalProperties, child, oldRecord ? oldRecord[name] : NOT_CORRELATED, `${path}.${name}`, issues);
        }
      }
    }
    if (schema.type === 'array' && Array.isArray(value) && schema.items) {
      this.#checkList(schema, schema.items, value, old, path, issues);
    }
  }

  #checkList(schema: Schema, items: Schema, value: unknown[], old: Old, path: string, issues: ValidationIssue[]): void {
    const listType = schema['x-kubernetes-list-type'];
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const keyOf = (item: unknown) => JSON.stringify(keys.map((k) => (isRecord(item) ? item[k] : undefined)));
    const seen = new Set<string>();
    const oldByKey = new Map<string, unknown>();
    if (listType === 'map' && Array.isArray(old)) for (const item of old) oldByKey.set(keyOf(item), item);
    value.forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      if (listType === 'set' || listType === 'map') {
        const key = listType === 'set' ? JSON.stringify(item) : keyOf(item);
        if (seen.has(key)) {
          const what =
            listType === 'set'
              ? JSON.stringify(item)
              : keys.map((k) => `${k}=${JSON.stringify(isRecord(item) ? item[k] : undefined)}`).join(', ');
          issues.push({ path: itemPath, message: `duplicate entry ${what}: entries must be unique` });
        }
        seen.add(key);
      }
      this.check(
        items,
        item,
        listType === 'map' && oldByKey.has(keyOf(item)) ? oldByKey.get(keyOf(item)) : NOT_CORRELATED,
        itemPath,
        issues,
      );
    });
  }

  #compile(expression: string): Compiled {
    let compiled = this.#compiled.get(expression);
    if (!compiled) {
      compiled = parse(expression);
      this.#compiled.set(expression, compiled);
    }
    return compiled;
  }
}

function join(path: string, fieldPath: string | undefined): string {
  return fieldPath ? `${path}${fieldPath}` : path;
}
