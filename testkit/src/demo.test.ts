import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseDemoMode } from './demo.ts';

const can = { available: true } as const;
const cannot = { available: false, reason: 'no test node on this machine: it needs root' } as const;

test('the node when the machine can run one, unless AIRLOCK_DEMO=processes', () => {
  assert.equal(chooseDemoMode(undefined, can).mode, 'node');
  assert.equal(chooseDemoMode('', can).mode, 'node');
  assert.equal(chooseDemoMode('node', can).mode, 'node');
  assert.deepEqual(chooseDemoMode('processes', can), { mode: 'processes', why: 'AIRLOCK_DEMO=processes' });
});

test('the fallback says why it was chosen', () => {
  const chosen = chooseDemoMode(undefined, cannot);
  assert.equal(chosen.mode, 'processes');
  assert.match(chosen.why, /it needs root; falling back to the processes/);
});

test('AIRLOCK_DEMO=node refuses the fallback; an unknown mode is refused', () => {
  assert.throws(() => chooseDemoMode('node', cannot), { code: 'DemoNodeUnavailable', message: /AIRLOCK_DEMO=node, but .*needs root/ });
  assert.throws(() => chooseDemoMode('kind', can), { code: 'DemoModeUnknown', message: /use node or processes/ });
});
