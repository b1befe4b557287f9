/**
 * Reads the fields of one parsed YAML document of a test file and collects every problem on the
 * way, each as a field path and a message that says what is allowed, so one run reports them all.
 * Pure; the PolicyTest format (test-file-format.ts) says which fields there are.
 */

import type { ValidationIssue } from '@airlock/crds';

export type Fields = Readonly<Record<string, unknown>>;

export const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
export const shown = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** Collects issues while reading one document; each read returns undefined when the value is wrong. */
export class FieldReader {
  readonly issues: ValidationIssue[] = [];

  fields(value: unknown, path: string, allowed: readonly string[], required: readonly string[]): Fields | undefined {
    if (!isFields(value)) {
      this.issues.push({
        path,
        message: `must be a mapping with ${required.join(', ')}${path ? '' : ' (a PolicyTest document)'} (got ${shown(value)})`,
      });
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.issues.push({ path: at(path, key), message: `unknown field; the fields here are: ${allowed.join(', ')}` });
    }
    for (const key of required) {
      if (value[key] === undefined) this.issues.push({ path: at(path, key), message: 'required field is missing' });
    }
    return value;
  }

  string(fields: Fields, key: string, path: string, check?: { pattern: RegExp; help: string }): string | undefined {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.push({ path: at(path, key), message: `must be a non-empty string (got ${shown(value)})` });
      return undefined;
    }
    if (check && !check.pattern.test(value)) {
      this.issues.push({ path: at(path, key), message: `${shown(value)} is not valid: ${check.help}` });
      return undefined;
    }
    return value;
  }

  oneOf<T extends string>(fields: Fields, key: string, path: string, allowed: readonly T[]): T | undefined {
    const value = fields[key];
    if (value === undefined) return undefined;
    const found = allowed.find((candidate) => candidate === value);
    if (found === undefined)
      this.issues.push({ path: at(path, key), message: `must be one of: ${allowed.join(', ')} (got ${shown(value)})` });
    return found;
  }

  strings(fields: Fields, key: string, path: string): string[] | undefined {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.issues.push({ path: at(path, key), message: `must be a list of strings (got ${shown(value)})` });
      return undefined;
    }
    const ok = value.every((entry, i) => {
      if (typeof entry === 'string' && entry.trim() !== '') return true;
      this.issues.push({ path: at(at(path, key), i), message: `must be a non-empty string (got ${shown(entry)})` });
      return false;
    });
    return ok ? value : undefined;
  }

  /** A whole number from min to max; `help` says what the numbers mean. */
  integer(fields: Fields, key: string, path: string, range: { min: number; max: number; help: string }): number | undefined {
    const value = fields[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < range.min || value > range.max) {
      this.issues.push({
        path: at(path, key),
        message: `must be a whole number from ${range.min} to ${range.max}: ${range.help} (got ${shown(value)})`,
      });
      return undefined;
    }
    return value;
  }

  labels(fields: Fields, key: string, path: string): Record<string, string> | undefined {
    const value = fields[key];
    if (value === undefined) return {};
    if (!isFields(value)) {
      this.issues.push({ path: at(path, key), message: `must be a mapping of label names to strings (got ${shown(value)})` });
      return undefined;
    }
    const labels: Record<string, string> = {};
    for (const [name, labelValue] of Object.entries(value)) {
      if (typeof labelValue === 'string') labels[name] = labelValue;
      else
        this.issues.push({ path: at(at(path, key), name), message: `a label value must be a string; quote it (got ${shown(labelValue)})` });
    }
    return labels;
  }
}
