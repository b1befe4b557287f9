import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Condition } from '@airlock/crds';
import { findCondition, kubeTime, setCondition } from './conditions.ts';

const t0 = new Date('2026-11-21T12:00:00.123Z');
const t1 = new Date('2026-11-21T12:05:00.999Z');
const ready = { type: 'Ready', status: 'True', reason: 'CredentialsPresent', message: 'the Secret has username and password' } as const;

describe('setCondition', () => {
  test('adds a condition with the generation and a whole-second transition time', () => {
    assert.deepEqual(setCondition(undefined, ready, 3, t0), [
      {
        type: 'Ready',
        status: 'True',
        observedGeneration: 3,
        lastTransitionTime: '2026-11-21T12:00:00Z',
        reason: 'CredentialsPresent',
        message: 'the Secret has username and password',
      },
    ]);
  });

  test('keeps lastTransitionTime when the status stays, but takes the new reason, message and generation', () => {
    const first = setCondition(undefined, ready, 1, t0);
    const second = setCondition(first, { ...ready, reason: 'Rechecked', message: 'still fine' }, 2, t1);
    assert.equal(second[0]?.lastTransitionTime, '2026-11-21T12:00:00Z');
    assert.equal(second[0]?.observedGeneration, 2);
    assert.equal(second[0]?.reason, 'Rechecked');
    assert.equal(second[0]?.message, 'still fine');
  });

  test('moves lastTransitionTime when the status changes', () => {
    const first = setCondition(undefined, ready, 1, t0);
    const second = setCondition(first, { ...ready, status: 'False', reason: 'SecretNotFound' }, 1, t1);
    assert.equal(second[0]?.lastTransitionTime, '2026-11-21T12:05:00Z');
    assert.equal(second[0]?.status, 'False');
  });

  test('replaces in place, keeps the other conditions and their order, and does not change its input', () => {
    const other: Condition = {
      type: 'Synced',
      status: 'Unknown',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      reason: 'Pending',
      message: '',
    };
    const before = [setCondition(undefined, ready, 1, t0)[0] as Condition, other];
    const frozen = structuredClone(before);
    const after = setCondition(before, { ...ready, status: 'False' }, 2, t1);
    assert.deepEqual(
      after.map((c) => c.type),
      ['Ready', 'Synced'],
    );
    assert.equal(after[1], other);
    assert.deepEqual(before, frozen);
    const appended = setCondition(before, { type: 'Degraded', status: 'False', reason: 'AsExpected', message: '' }, 2, t1);
    assert.deepEqual(
      appended.map((c) => c.type),
      ['Ready', 'Synced', 'Degraded'],
    );
  });

  test('setting the same condition twice gives equal conditions, so the status writer sees no change', () => {
    const first = setCondition(undefined, ready, 4, t0);
    assert.deepEqual(setCondition(first, ready, 4, t1), first);
  });
});

describe('findCondition', () => {
  test('finds by type, or undefined', () => {
    const conditions = setCondition(undefined, ready, 1, t0);
    assert.equal(findCondition(conditions, 'Ready')?.status, 'True');
    assert.equal(findCondition(conditions, 'Missing'), undefined);
    assert.equal(findCondition(undefined, 'Ready'), undefined);
  });
});

test('kubeTime drops the fraction and keeps UTC', () => {
  assert.equal(kubeTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678))), '2026-01-02T03:04:05Z');
});
