import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { type SessionTimeoutEvent, SessionTimeouts } from './session-timeouts.ts';

// One mocked clock, reset between tests (per-test mocks of setTimeout leaked timers across tests).
beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
afterEach(() => mock.timers.reset());

const limits = { idleSessionTimeoutMs: 1000, idleInTransactionTimeoutMs: 500, partialFrameTimeoutMs: 200 };

function fired(): { events: SessionTimeoutEvent[]; on: (event: SessionTimeoutEvent) => void } {
  const events: SessionTimeoutEvent[] = [];
  return { events, on: (event) => events.push(event) };
}

test('idle outside and inside a transaction: the PostgreSQL SQLSTATEs, after the configured time', () => {
  const { events, on } = fired();
  const timeouts = new SessionTimeouts(limits, on, () => true);
  timeouts.idle(0x54);
  mock.timers.tick(499);
  assert.equal(events.length, 0);
  mock.timers.tick(1);
  assert.equal(events[0]?.kind, 'idleInTransaction');
  assert.match(events[0]!.fatal.toString('latin1'), /25P03/);
  const second = fired();
  const idle = new SessionTimeouts(limits, second.on, () => true);
  idle.idle(0x49);
  mock.timers.tick(1000);
  assert.equal(second.events[0]?.kind, 'idleSession');
  assert.match(second.events[0]!.fatal.toString('latin1'), /57P05/);
});

test('agent bytes end idleness; a partial frame is timed from its first byte, not reset by progress', () => {
  const { events, on } = fired();
  const timeouts = new SessionTimeouts(limits, on, () => true);
  timeouts.idle(0x49);
  mock.timers.tick(900);
  timeouts.agentData(true);
  mock.timers.tick(150);
  timeouts.agentData(true);
  mock.timers.tick(50);
  assert.deepEqual(
    events.map((e) => e.kind),
    ['partialFrame'],
  );
});

test('time while the sidecar is not reading does not count against a partial frame', () => {
  const { events, on } = fired();
  let reading = false;
  const timeouts = new SessionTimeouts(limits, on, () => reading);
  timeouts.agentData(true);
  mock.timers.tick(1000);
  assert.equal(events.length, 0);
  reading = true;
  mock.timers.tick(200);
  assert.equal(events[0]?.kind, 'partialFrame');
});

test('0 turns a timeout off; stop cancels everything', () => {
  const { events, on } = fired();
  const off = new SessionTimeouts({ idleSessionTimeoutMs: 0, idleInTransactionTimeoutMs: 0, partialFrameTimeoutMs: 0 }, on, () => true);
  off.idle(0x49);
  off.agentData(true);
  const stopped = new SessionTimeouts(limits, on, () => true);
  stopped.idle(0x49);
  stopped.stop();
  mock.timers.tick(10_000);
  assert.equal(events.length, 0);
});
