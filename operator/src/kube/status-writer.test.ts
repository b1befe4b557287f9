import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeMachineryError } from './errors.ts';
import { jsonEqual, mergePatch } from './json-diff.ts';
import { statusPatch } from './status-writer.ts';

describe('jsonEqual', () => {
  test('ignores key order at every depth', () => {
    assert.ok(jsonEqual({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  });
  test('treats undefined properties as absent, like JSON', () => {
    assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(!jsonEqual({ a: 1, b: null }, { a: 1 }));
  });
  test('arrays are ordered', () => {
    assert.ok(!jsonEqual([1, 2], [2, 1]));
    assert.ok(!jsonEqual([1], [1, 1]));
  });
  test('different types differ', () => {
    assert.ok(!jsonEqual({}, []));
    assert.ok(!jsonEqual('1', 1));
    assert.ok(!jsonEqual(undefined, {}));
    assert.ok(!jsonEqual({ a: {} }, { a: { b: 1 } }));
  });
});

describe('mergePatch', () => {
  test('sets changed keys, nulls removed ones, recurses into objects and replaces arrays', () => {
    const from = { phase: 'Pending', endpoint: 'x', nested: { a: 1, b: 2 }, list: [1, 2], same: { k: 'v' } };
    const to = { phase: 'Approved', nested: { a: 1, b: 3, c: 4 }, list: [1], same: { k: 'v' } };
    assert.deepEqual(mergePatch(from, to), { endpoint: null, phase: 'Approved', nested: { b: 3, c: 4 }, list: [1] });
  });
  test('applying the patch the way the API server does yields the target', () => {
    const from = { a: { b: { c: 1, d: 2 } }, e: [1], f: 'x' };
    const to = { a: { b: { c: 1 } }, e: [2, 3], g: true };
    assert.deepEqual(applyMergePatch(from, mergePatch(from, to)), to);
  });
});

describe('statusPatch', () => {
  const object = {
    kind: 'Target',
    metadata: { name: 'orders-db', namespace: 'agents', resourceVersion: '42' },
    status: { observedGeneration: 1, endpoint: 'postgres://db:5432/orders', conditions: [{ type: 'Ready', status: 'True' }] },
  };

  test('is undefined when the status is deeply equal, key order aside', () => {
    const same = { conditions: [{ status: 'True', type: 'Ready' }], endpoint: 'postgres://db:5432/orders', observedGeneration: 1 };
    assert.equal(statusPatch(object, same), undefined);
  });

  test('carries the resourceVersion it was computed from and only what changed', () => {
    const next = { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'False' }] };
    assert.deepEqual(statusPatch(object, next), {
      metadata: { resourceVersion: '42' },
      status: { endpoint: null, observedGeneration: 2, conditions: [{ type: 'Ready', status: 'False' }] },
    });
  });

  test('writes a first status onto an object without one', () => {
    assert.deepEqual(statusPatch({ metadata: { name: 'n', resourceVersion: '7' } }, { phase: 'Pending' }), {
      metadata: { resourceVersion: '7' },
      status: { phase: 'Pending' },
    });
  });

  test('refuses an object without resourceVersion, since it could overwrite a newer status', () => {
    assert.throws(
      () => statusPatch({ metadata: { name: 'n' } }, { phase: 'Pending' }),
      (error: unknown) => error instanceof KubeMachineryError && error.code === 'StatusWithoutResourceVersion',
    );
  });
});

/** RFC 7386 apply, written from the RFC's pseudo code, independent of mergePatch. */
function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const result: Record<string, unknown> =
    typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}
