import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  principalExpiry,
  type SessionTimers,
  scheduleSessionExpiry,
  TOKEN_EXPIRED_REASON,
  TOKEN_EXPIRY_GRACE_MS,
  type TokenExpiry,
} from './token-expiry.ts';

const EXPIRES_AT = '2026-12-03T10:00:00Z';
const EXPIRES_MS = Date.parse(EXPIRES_AT);

/** Timers a test fires by hand, and a clock it sets: nothing runs unless the test says so. */
function manualTime(start: number) {
  let now = start;
  let next = 1;
  const pending = new Map<number, { readonly callback: () => void; readonly ms: number }>();
  const timers: SessionTimers = {
    setTimeout: (callback, ms) => {
      const id = next++;
      pending.set(id, { callback, ms });
      return id;
    },
    clearTimeout: (handle) => {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    clock: () => now,
    set: (ms: number) => {
      now = ms;
    },
    /** The delays of the timers set and not yet fired or cleared. */
    delays: () => [...pending.values()].map((timer) => timer.ms),
    /** Fires every pending timer once (those they set stay pending). */
    fire: () => {
      const due = [...pending.entries()];
      for (const [id] of due) pending.delete(id);
      for (const [, timer] of due) timer.callback();
    },
  };
}

function recorder() {
  const expired: TokenExpiry[] = [];
  const graceOver: TokenExpiry[] = [];
  return { expired, graceOver, onExpired: (e: TokenExpiry) => expired.push(e), onGraceOver: (e: TokenExpiry) => graceOver.push(e) };
}

describe('scheduleSessionExpiry', () => {
  test('a principal without expiresAt (pod identity) schedules nothing and never expires', () => {
    const time = manualTime(EXPIRES_MS + 10_000_000);
    const calls = recorder();
    const expiry = scheduleSessionExpiry({ principal: {}, clock: time.clock, timers: time.timers, ...calls });
    assert.deepEqual(time.delays(), []);
    assert.equal(expiry.expired(), false);
    assert.equal(expiry.expiry(), undefined);
    assert.equal(expiry.expiresAt, undefined);
    expiry.cancel();
    assert.deepEqual(calls.expired, []);
  });

  test('the end is set for the expiry by the clock; at it the protocol is told what to say, then the grace cuts', () => {
    const time = manualTime(EXPIRES_MS - 3_000);
    const calls = recorder();
    const expiry = scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, ...calls });
    assert.deepEqual(time.delays(), [3_000]);
    assert.equal(expiry.expired(), false);
    assert.equal(expiry.expiry(), undefined);
    time.set(EXPIRES_MS);
    time.fire();
    const told: TokenExpiry = {
      expiresAt: '2026-12-03T10:00:00.000Z',
      message: 'your token expired at 2026-12-03T10:00:00.000Z; reconnect with a fresh token',
      reason: TOKEN_EXPIRED_REASON,
    };
    assert.deepEqual(calls.expired, [told]);
    assert.equal(expiry.expired(), true);
    assert.deepEqual(expiry.expiry(), told);
    assert.deepEqual(calls.graceOver, [], 'what is in flight may still finish');
    assert.deepEqual(time.delays(), [TOKEN_EXPIRY_GRACE_MS]);
    time.fire();
    assert.deepEqual(calls.graceOver, [told]);
    assert.deepEqual(time.delays(), [], 'nothing is left scheduled');
    assert.equal(calls.expired.length, 1);
  });

  test('a timer that fires before the clock reaches the expiry is set again for what is left: the clock decides', () => {
    const time = manualTime(EXPIRES_MS - 3_000);
    const calls = recorder();
    scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, ...calls });
    time.set(EXPIRES_MS - 2);
    time.fire();
    assert.deepEqual(calls.expired, []);
    assert.deepEqual(time.delays(), [2]);
    time.set(EXPIRES_MS);
    time.fire();
    assert.equal(calls.expired.length, 1);
  });

  test('a far expiry waits in steps setTimeout can take, and still ends at the clock’s expiry', () => {
    const longAgo = EXPIRES_MS - 40 * 24 * 3_600_000;
    const time = manualTime(longAgo);
    const calls = recorder();
    scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, ...calls });
    assert.deepEqual(time.delays(), [2 ** 31 - 1]);
    time.set(longAgo + 2 ** 31 - 1);
    time.fire();
    assert.deepEqual(calls.expired, []);
    assert.deepEqual(time.delays(), [EXPIRES_MS - (longAgo + 2 ** 31 - 1)]);
  });

  test('a principal already expired when the session starts is ended at the next turn, not synchronously', () => {
    const time = manualTime(EXPIRES_MS + 1_000);
    const calls = recorder();
    const expiry = scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, ...calls });
    assert.equal(expiry.expired(), true);
    assert.deepEqual(calls.expired, [], 'the protocol finishes wiring its session first');
    assert.deepEqual(time.delays(), [0]);
    time.fire();
    assert.equal(calls.expired.length, 1);
  });

  test('a session that ends first clears its timer; at expiry or in the grace, nothing runs after cancel', () => {
    const time = manualTime(EXPIRES_MS - 3_000);
    const before = recorder();
    scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, ...before }).cancel();
    assert.deepEqual(time.delays(), [], 'the timer was cleared');

    const inGrace = recorder();
    const expiry = scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, ...inGrace });
    time.set(EXPIRES_MS);
    time.fire();
    expiry.cancel();
    expiry.cancel();
    assert.deepEqual(time.delays(), []);
    assert.equal(inGrace.expired.length, 1);
    assert.deepEqual(inGrace.graceOver, []);
  });

  test('without onGraceOver nothing is scheduled after the expiry; the grace is the caller’s to choose', () => {
    const time = manualTime(EXPIRES_MS);
    const calls = recorder();
    scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, onExpired: calls.onExpired });
    time.fire();
    assert.deepEqual(time.delays(), []);
    const graced = recorder();
    scheduleSessionExpiry({ principal: { expiresAt: EXPIRES_AT }, clock: time.clock, timers: time.timers, graceMs: 250, ...graced });
    time.fire();
    assert.deepEqual(time.delays(), [250]);
  });

  test('the default timers do not keep the process alive', () => {
    const expiry = scheduleSessionExpiry({
      principal: { expiresAt: new Date(Date.now() + 3_600_000).toISOString() },
      clock: Date.now,
      onExpired: () => assert.fail('not within this test'),
    });
    const active = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    expiry.cancel();
    // An unref'd timer is not an active resource: the count did not change when it was set.
    assert.equal(active, process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length);
  });

  test('principalExpiry: undefined without expiresAt; an unreadable one is already past (fails closed)', () => {
    assert.equal(principalExpiry({}), undefined);
    assert.equal(principalExpiry({ expiresAt: EXPIRES_AT }), EXPIRES_MS);
    assert.equal(principalExpiry({ expiresAt: 'soon' }), Number.NEGATIVE_INFINITY);
  });
});
