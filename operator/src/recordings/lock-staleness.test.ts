import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LockOwner, lockVerdict, parseLockOwner } from './lock-staleness.ts';

const self: LockOwner = { host: 'airlock-operator-7d9f-abcde', pid: 1, start: 1_760_000_000_000 };
const LEASE = 15_000;
const alive = () => true;
const dead = () => false;

test('a lock of another host is held until nobody touched it for a lease, whatever its pid', () => {
  const other = { host: 'airlock-operator-7d9f-fghij', pid: 1, start: 1 };
  assert.equal(lockVerdict({ owner: other, unchangedForMs: LEASE - 1 }, self, LEASE, dead), 'Held');
  assert.equal(lockVerdict({ owner: other, unchangedForMs: LEASE }, self, LEASE, dead), 'LeaseExpired');
});

test('a lock of this host whose process is gone is taken at once', () => {
  assert.equal(lockVerdict({ owner: { ...self, pid: 4242 }, unchangedForMs: 0 }, self, LEASE, dead), 'OwnerGone');
  assert.equal(lockVerdict({ owner: { ...self, pid: 4242 }, unchangedForMs: 0 }, self, LEASE, alive), 'Held');
});

test('a lock with this pid but another start time is a previous incarnation (a restarted container reusing pid 1)', () => {
  assert.equal(lockVerdict({ owner: { ...self, start: self.start - 60_000 }, unchangedForMs: 0 }, self, LEASE, alive), 'OwnerGone');
});

test("this process's own lock (another store in it) is held until its lease expires", () => {
  assert.equal(lockVerdict({ owner: self, unchangedForMs: 10 }, self, LEASE, dead), 'Held');
  assert.equal(lockVerdict({ owner: self, unchangedForMs: LEASE }, self, LEASE, dead), 'LeaseExpired');
});

test('a lock without a readable owner (its creator died before writing it) waits for the lease', () => {
  assert.equal(lockVerdict({ owner: undefined, unchangedForMs: LEASE - 1 }, self, LEASE, dead), 'Held');
  assert.equal(lockVerdict({ owner: undefined, unchangedForMs: LEASE }, self, LEASE, dead), 'LeaseExpired');
});

test('parseLockOwner reads what a lock file holds and nothing else', () => {
  assert.deepEqual(parseLockOwner(`${JSON.stringify(self)}\n`), self);
  for (const text of [
    '',
    '{"host":"h","pid":1',
    'null',
    '[]',
    '{"host":"h","pid":0,"start":1}',
    '{"host":1,"pid":1,"start":1}',
    '{"host":"h","pid":1.5,"start":1}',
  ]) {
    assert.equal(parseLockOwner(text), undefined, text);
  }
});
