/**
 * Applies the add/replace/remove ops a webhook returns to a copy of a document, as the API server
 * would, so unit tests can look at the patched pod instead of at paths.
 */
import type { JsonPatchOp } from '../json-patch.ts';

export function applyPatch<T>(document: T, ops: readonly JsonPatchOp[]): T {
  const root = { value: structuredClone(document) as unknown };
  for (const op of ops) {
    const tokens = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    let parent: Record<string, unknown> | unknown[] = root as Record<string, unknown>;
    let key: string = 'value';
    for (const token of tokens) {
      const next = (parent as Record<string, unknown>)[key];
      if (typeof next !== 'object' || next === null) throw new Error(`JSON patch path ${op.path} does not exist`);
      parent = next as Record<string, unknown>;
      key = token;
    }
    if (Array.isArray(parent)) {
      const index = key === '-' ? parent.length : Number(key);
      if (op.op === 'remove') parent.splice(index, 1);
      else if (op.op === 'add') parent.splice(index, 0, op.value);
      else if (op.op === 'replace') parent[index] = op.value;
    } else if (op.op === 'remove') delete (parent as Record<string, unknown>)[key];
    else if (op.op !== 'test') (parent as Record<string, unknown>)[key] = op.value;
  }
  return root.value as T;
}
