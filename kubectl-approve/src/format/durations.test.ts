import assert from 'node:assert/strict';
import { test } from 'node:test';
import { age, expiresIn, humanDuration } from './durations.ts';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('durations read like kubectl: precise while short, coarser as they grow', () => {
  const cases: [number, string][] = [
    [-5 * s, '<invalid>'],
    [-500, '0s'],
    [0, '0s'],
    [59 * s, '59s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [4 * m + 30 * s, '4m30s'],
    [10 * m, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [7 * h + 59 * m, '7h59m'],
    [8 * h, '8h'],
    [47 * h, '47h'],
    [2 * d, '2d'],
    [3 * d + 4 * h, '3d4h'],
    [8 * d, '8d'],
    [729 * d, '729d'],
    [2 * 365 * d + 3 * d, '2y3d'],
    [9 * 365 * d, '9y'],
  ];
  for (const [ms, expected] of cases) assert.equal(humanDuration(ms), expected, `${ms} ms`);
});

test('expiry says "in" before and "expired ... ago" after', () => {
  const now = new Date('2026-11-21T13:25:00Z');
  assert.equal(expiresIn('2026-11-21T13:29:00Z', now), 'in 4m');
  assert.equal(expiresIn('2026-11-21T13:23:00Z', now), 'expired 2m ago');
  assert.equal(expiresIn(undefined, now), '<unknown>');
  assert.equal(age('2026-11-21T13:24:30Z', now), '30s');
  assert.equal(age('not a date', now), '<unknown>');
});
