/**
 * A Kubernetes object as a list of leaf fields with the paths reviewers read in kubectl and in
 * the API server's validation messages: `spec.template.spec.containers[0].image`,
 * `metadata.labels["app.kubernetes.io/name"]`. An empty map or list is a leaf of its own, so
 * adding `metadata.annotations: {}` still shows.
 */
import { VALUE_MAX_CHARS } from './evidence.ts';
import { isObject } from './upstream-call.ts';

export type PathSegment = string | number;

export interface FlatField {
  readonly segments: readonly PathSegment[];
  /** A string, number, boolean, null, or an empty object or array. */
  readonly value: unknown;
}

/** Leaf fields keyed by their formatted path, in the object's own order. */
export function flattenObject(value: unknown): Map<string, FlatField> {
  const fields = new Map<string, FlatField>();
  const visit = (node: unknown, segments: PathSegment[]): void => {
    if (Array.isArray(node) && node.length > 0) {
      node.forEach((item, index) => {
        visit(item, [...segments, index]);
      });
      return;
    }
    if (isObject(node) && Object.keys(node).length > 0) {
      for (const [key, item] of Object.entries(node)) visit(item, [...segments, key]);
      return;
    }
    if (segments.length > 0) fields.set(formatPath(segments), { segments, value: node });
  };
  visit(value, []);
  return fields;
}

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}

/** A value as JSON, cut to VALUE_MAX_CHARS so a long annotation does not crowd out the rest. */
export function formatValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= VALUE_MAX_CHARS ? text : `${text.slice(0, VALUE_MAX_CHARS - 1)}…`;
}

/** Whether two leaf values are the same (leaves are primitives or empty containers). */
export function sameLeaf(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return JSON.stringify(a) === JSON.stringify(b);
}
