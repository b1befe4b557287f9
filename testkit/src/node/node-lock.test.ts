import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type LockOwner, lockHeld, NodeLock, processStartTime } from './node-lock.ts';

const work = mkdtempSync(join(tmpdir(), 'airlock-node-lock-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a lock is held while its owner or its watchdog runs, and not by a process that reused the PID', () => {
  const times: Record<number, string> = { 10: '500', 11: '600' };
  const startTimeOf = (pid: number) => times[pid];
  const owner: LockOwner = { pid: 10, startTime: '500', since: 'then' };
  assert.equal(lockHeld(owner, startTimeOf), true);
  assert.equal(lockHeld({ ...owner, startTime: '499' }, startTimeOf), false, 'PID 10 is another process now');
  assert.equal(lockHeld({ ...owner, pid: 12 }, startTimeOf), false);
  assert.equal(
    lockHeld({ ...owner, pid: 12, watchdogPid: 11, watchdogStartTime: '600' }, startTimeOf),
    true,
    'the watchdog still restores',
  );
  assert.equal(lockHeld({ ...owner, pid: 12, watchdogPid: 11, watchdogStartTime: '1' }, startTimeOf), false);
});

test("a process's start time is stable and differs between processes", () => {
  const mine = processStartTime(process.pid);
  assert.match(mine ?? '', /^\d+$/);
  assert.equal(processStartTime(process.pid), mine);
  assert.equal(processStartTime(2 ** 22 + 1), undefined);
});

test('a second node waits for the first and fails clearly when it does not stop', async () => {
  const dir = join(work, 'held.lock');
  const first = await NodeLock.acquire({ dir });
  const said: string[] = [];
  await assert.rejects(NodeLock.acquire({ dir, waitMs: 600, log: (line) => said.push(line) }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'NodeBusy');
    assert.match(error.message, new RegExp(`pid ${process.pid}.*one node per machine`));
    return true;
  });
  assert.match(said[0] ?? '', /waiting for the test node of pid/);
  first.release();
  assert.equal(existsSync(dir), false);
  (await NodeLock.acquire({ dir, waitMs: 1000 })).release();
});

test('a lock whose owner and watchdog are gone is taken over', async () => {
  const dir = join(work, 'stale.lock');
  mkdirSync(dir);
  const gone = spawnSync('true').pid as number;
  writeFileSync(join(dir, 'owner.json'), JSON.stringify({ pid: gone, startTime: '1', since: 'long ago' } satisfies LockOwner));
  const lock = await NodeLock.acquire({ dir, waitMs: 2000 });
  lock.release();
});
