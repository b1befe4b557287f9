import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { IngestError } from './ingest-store.ts';
import type { LockOwner } from './lock-staleness.ts';
import { SessionFileLocks } from './session-file-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'airlock-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const lockPath = (): string => {
  const dir = join(root, String(n++));
  mkdirSync(dir);
  return join(dir, 'sess-a.jsonl.lock');
};
const me: LockOwner = { host: hostname(), pid: process.pid, start: performance.timeOrigin };
const replica = (name: string, options: { waitMs?: number; leaseMs?: number } = {}) =>
  new SessionFileLocks({ owner: { host: name, pid: 1, start: 1 }, waitMs: options.waitMs ?? 1000, leaseMs: options.leaseMs ?? 15_000 });
const isBusy = (e: unknown) => e instanceof IngestError && e.code === 'Busy';

/** A pid no process has: a child that already exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', '']);
  assert.ok(child.pid && child.status === 0);
  return child.pid;
};

test('acquire writes the owner and a token of this lock into the lock; release removes it', async () => {
  const path = lockPath();
  const locks = new SessionFileLocks({ owner: me, waitMs: 0, leaseMs: 15_000 });
  const held = await locks.acquire(path);
  const { lock, ...owner } = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(owner, me);
  assert.match(lock, /^[0-9a-f-]{36}$/);
  await held.release();
  assert.equal(existsSync(path), false);
  await held.release();
});

test('a lock another replica holds is waited for, then refused as Busy after waitMs', async () => {
  const path = lockPath();
  const held = await replica('a').acquire(path);
  const started = performance.now();
  await assert.rejects(replica('b', { waitMs: 50 }).acquire(path), isBusy);
  assert.ok(performance.now() - started >= 45);
  await held.release();
  await (await replica('b', { waitMs: 0 }).acquire(path)).release();
});

test('a waiter gets the lock as soon as the holder releases it', async () => {
  const path = lockPath();
  const held = await replica('a').acquire(path);
  const waiting = replica('b').acquire(path);
  await sleep(30);
  await held.release();
  await (await waiting).release();
});

test('a lock from a dead process of this host is taken over at once', async () => {
  const path = lockPath();
  writeFileSync(path, JSON.stringify({ host: me.host, pid: deadPid(), start: 1 }));
  const held = await new SessionFileLocks({ owner: me, waitMs: 0, leaseMs: 15_000 }).acquire(path);
  await held.release();
  assert.deepEqual(
    readdirSync(join(path, '..')).filter((name) => name.includes('.lock')),
    [],
    'no lock and no moved-aside lock is left behind',
  );
});

test('a lock from an earlier process with this pid (a restarted container) is taken over at once', async () => {
  const path = lockPath();
  writeFileSync(path, JSON.stringify({ ...me, start: me.start - 60_000 }));
  await (await new SessionFileLocks({ owner: me, waitMs: 0, leaseMs: 15_000 }).acquire(path)).release();
});

test('a lock of another host nobody touches is taken over once this process saw it unchanged for the lease', async () => {
  const path = lockPath();
  writeFileSync(path, JSON.stringify({ host: 'gone-replica', pid: 1, start: 1 }));
  // Old on the file's clock, but only this process's observation counts.
  utimesSync(path, new Date(0), new Date(0));
  const locks = replica('b', { waitMs: 0, leaseMs: 100 });
  await assert.rejects(locks.acquire(path), isBusy, 'first sight starts the lease');
  await sleep(120);
  // waitMs 0: this call alone waits for nothing; what the first call saw counts.
  await (await locks.acquire(path)).release();
});

test('an empty lock file (its creator died before writing it) is taken over after the lease', async () => {
  const path = lockPath();
  writeFileSync(path, '');
  const started = performance.now();
  await (await replica('b', { waitMs: 1000, leaseMs: 80 }).acquire(path)).release();
  assert.ok(performance.now() - started >= 75);
});

test('a holder that outlives the lease keeps its lock: it renews it', async () => {
  const path = lockPath();
  const held = await replica('a', { leaseMs: 150 }).acquire(path);
  await assert.rejects(replica('b', { waitMs: 600, leaseMs: 150 }).acquire(path), isBusy);
  held.assertHeld();
  await held.release();
});

test('two waiters racing for one stale lock: one holds at a time', async () => {
  const path = lockPath();
  writeFileSync(path, JSON.stringify({ host: me.host, pid: deadPid(), start: 1 }));
  let holding = 0;
  let most = 0;
  const work = async (name: string) => {
    const held = await new SessionFileLocks({ owner: me, waitMs: 2000, leaseMs: 15_000 }).acquire(path);
    holding++;
    most = Math.max(most, holding);
    await sleep(10);
    holding--;
    await held.release();
    return name;
  };
  assert.deepEqual(await Promise.all(['a', 'b', 'c', 'd'].map(work)), ['a', 'b', 'c', 'd']);
  assert.equal(most, 1);
  assert.equal(existsSync(path), false);
});

test('a stale lock is taken over only by the holder of <lock>.break; a fresh breaker makes others wait', async () => {
  const path = lockPath();
  writeFileSync(path, JSON.stringify({ host: me.host, pid: deadPid(), start: 1 }));
  writeFileSync(`${path}.break`, '');
  await assert.rejects(new SessionFileLocks({ owner: me, waitMs: 200, leaseMs: 15_000 }).acquire(path), isBusy);
  assert.equal(existsSync(path), true, 'the stale lock stays while another waiter holds the breaker');
});

test('a breaker older than the lease (its holder died) is removed, then the stale lock is taken over', async () => {
  const path = lockPath();
  writeFileSync(path, JSON.stringify({ host: me.host, pid: deadPid(), start: 1 }));
  writeFileSync(`${path}.break`, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(`${path}.break`, old, old);
  const held = await new SessionFileLocks({ owner: me, waitMs: 2000, leaseMs: 15_000 }).acquire(path);
  assert.equal(existsSync(`${path}.break`), false);
  await held.release();
  assert.equal(existsSync(path), false);
});
