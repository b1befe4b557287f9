/** --targets: known names only, each once, in the benchmark's order; a mistake names the valid ones. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BenchOptionsError, parseTargets, TARGETS } from './pgbench-cells.ts';

describe('parseTargets', () => {
  test('keeps the benchmark order and drops repeats', () => {
    assert.deepEqual(parseTargets('sidecar-full, floor-synced,direct,floor-synced'), ['direct', 'floor-synced', 'sidecar-full']);
    assert.deepEqual(parseTargets(TARGETS.join(',')), TARGETS);
  });

  test('an unknown or empty list is refused with the names it could have used', () => {
    for (const list of ['direct,floor-sync', '', ' , ']) {
      assert.throws(
        () => parseTargets(list),
        (e: unknown) => e instanceof BenchOptionsError && e.code === 'BENCH_OPTIONS' && e.message.includes(TARGETS.join(', ')),
      );
    }
  });
});
