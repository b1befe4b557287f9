/**
 * An exclusive lock per session file, for operator replicas that share the recordings volume:
 * `<file>.lock`, created with O_EXCL (atomic on local file systems and on NFS v3+, CephFS, EFS)
 * and naming its owner. One append holds it while it reads the file's head, decides, writes,
 * fsyncs and closes the file, so two replicas never write a session at once and each opens the
 * file after the other closed it (what NFS close-to-open consistency needs to show it the other's
 * bytes). The holder touches the lock every third of the lease. A waiter polls until the lock is
 * gone, takes it over when lockVerdict says its holder is gone or its lease expired, and gives up
 * after waitMs with IngestError Busy: the broker answers 503 Unavailable and the sidecar retries.
 * See docs/adr/0019-shared-recordings-volume.md.
 */
import { randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cappedDelay, pause } from '@airlock/runtime';
import { IngestError } from './ingest-store.ts';
import { type LockOwner, type LockVerdict, lockVerdict, parseLockOwner } from './lock-staleness.ts';

export interface SessionFileLocksOptions {
  /** This process, as written into its lock files. */
  readonly owner: LockOwner;
  /** How long acquire() waits for a held lock before IngestError Busy. */
  readonly waitMs: number;
  /** A lock nobody touched this long (as this process observed it) is taken over. */
  readonly leaseMs: number;
}

export interface HeldLock {
  /**
   * Throws IngestError Busy when the lock could not be touched for two thirds of the lease, so a
   * waiter may soon take it over: start no write then.
   */
  assertHeld(): void;
  /** Stops touching the lock and removes it, if it is still this holder's. */
  release(): Promise<void>;
}

/** Polling a held lock: 5 ms doubling to 100 ms. Holds last one write and one fsync. */
const POLL = { initialMs: 5, maxMs: 100 };
/** Held locks being watched for a lease to expire; past this many the oldest watch is dropped. */
const MAX_WATCHED = 1024;

export class SessionFileLocks {
  readonly #options: SessionFileLocksOptions;
  /** Locks seen held: their state (inode, times, size) and when this process first saw that state. */
  readonly #watched = new Map<string, { state: string; since: number }>();

  constructor(options: SessionFileLocksOptions) {
    if (!(options.leaseMs > 0) || !(options.waitMs >= 0)) {
      throw new RangeError(`a session file lock needs leaseMs > 0 and waitMs >= 0; got ${options.leaseMs}, ${options.waitMs}`);
    }
    this.#options = options;
  }

  async acquire(lockPath: string): Promise<HeldLock> {
    const deadline = performance.now() + this.#options.waitMs;
    for (let attempt = 1; ; attempt++) {
      const held = await this.#create(lockPath);
      if (held) {
        this.#watched.delete(lockPath);
        return held;
      }
      const seen = await this.#inspect(lockPath);
      if (seen.verdict === 'OwnerGone' || seen.verdict === 'LeaseExpired') {
        // Removed: create it now. Not removed (another waiter is taking it over): wait as for a held lock.
        if (await this.#takeOver(lockPath, seen)) continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new IngestError(
          'Busy',
          `another operator replica is storing records of this session (waited ${this.#options.waitMs} ms for its lock): retry; a lock nobody renews is taken over after ${this.#options.leaseMs} ms`,
        );
      }
      if (seen.verdict !== 'Gone') await pause(Math.min(left, cappedDelay(POLL, attempt)));
    }
  }

  /** The new lock, or undefined when one exists. */
  async #create(lockPath: string, madeDirectory = false): Promise<HeldLock | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(lockPath, 'wx');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return undefined;
      if (code !== 'ENOENT' || madeDirectory) throw error;
      await mkdir(dirname(lockPath), { recursive: true });
      return this.#create(lockPath, true);
    }
    try {
      // The owner, and a token of this lock alone: a lock is known by its content, never by its
      // inode number, which the file system hands to the next file as soon as a lock is removed.
      const text = `${JSON.stringify({ ...this.#options.owner, lock: randomUUID() })}\n`;
      await handle.writeFile(text);
      return new SessionLock(lockPath, handle, text, this.#options.leaseMs);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(lockPath).catch(() => undefined);
      throw error;
    }
  }

  async #inspect(lockPath: string): Promise<{ verdict: LockVerdict | 'Gone'; stats?: BigIntStats; text?: string }> {
    let handle: FileHandle;
    try {
      handle = await open(lockPath, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { verdict: 'Gone' };
      throw error;
    }
    let stats: BigIntStats;
    let text: string;
    try {
      stats = await handle.stat({ bigint: true });
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    const state = `${stats.dev}:${stats.ino}:${stats.ctimeNs}:${stats.mtimeNs}:${stats.size}`;
    const now = performance.now();
    let watch = this.#watched.get(lockPath);
    if (watch?.state !== state) {
      watch = { state, since: now };
      this.#watched.delete(lockPath);
      this.#watched.set(lockPath, watch);
      for (const key of this.#watched.keys()) {
        if (this.#watched.size <= MAX_WATCHED) break;
        this.#watched.delete(key);
      }
    }
    const observed = { owner: parseLockOwner(text), unchangedForMs: now - watch.since };
    return { verdict: lockVerdict(observed, this.#options.owner, this.#options.leaseMs, processExists), stats, text };
  }

  /**
   * Removes the lock judged stale, if it is still that lock. Takeovers are serialized by a second
   * O_EXCL file, `<lock>.break`: only its holder removes a stale lock, and only after reading it
   * again through one handle — same inode, times, size and content (the content holds a token per
   * lock) as when it was judged. Without that, a waiter that judged the old lock could remove the
   * lock another waiter made after taking it over (ext4 hands a freed inode number to the next
   * file), or move a live lock aside while a third waiter makes a new one: two holders at once.
   * A waiter that finds the breaker held goes back to polling. A breaker older than the lease
   * (its holder died in the microseconds it holds it) is removed.
   */
  async #takeOver(lockPath: string, judged: { readonly stats?: BigIntStats; readonly text?: string }): Promise<boolean> {
    this.#watched.delete(lockPath);
    const breakerPath = `${lockPath}.break`;
    let breaker: FileHandle;
    try {
      breaker = await open(breakerPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      await this.#removeAbandonedBreaker(breakerPath);
      return false;
    }
    try {
      const now = await readLock(lockPath);
      // Gone already (its holder released it): free for the taking.
      if (!now) return true;
      if (judged.stats && judged.text !== undefined && sameLock(now.stats, judged.stats) && now.text === judged.text) {
        await unlink(lockPath);
        return true;
      }
      return false;
    } finally {
      await breaker.close();
      await unlink(breakerPath).catch(() => undefined);
    }
  }

  async #removeAbandonedBreaker(breakerPath: string): Promise<void> {
    const stats = await stat(breakerPath).catch(() => undefined);
    if (stats && Date.now() - stats.mtimeMs > this.#options.leaseMs) await unlink(breakerPath).catch(() => undefined);
  }
}

class SessionLock implements HeldLock {
  readonly #path: string;
  readonly #handle: FileHandle;
  /** What this lock holds: the owner and its own token. */
  readonly #text: string;
  readonly #leaseMs: number;
  #touchedAt = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #released = false;

  constructor(path: string, handle: FileHandle, text: string, leaseMs: number) {
    this.#path = path;
    this.#handle = handle;
    this.#text = text;
    this.#leaseMs = leaseMs;
    this.#schedule();
  }

  assertHeld(): void {
    const since = performance.now() - this.#touchedAt;
    if (since > (2 * this.#leaseMs) / 3) {
      throw new IngestError(
        'Busy',
        `this replica could not renew its lock of the session file for ${Math.round(since)} ms, so another may take it over: retry`,
      );
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    try {
      // Removed only while it is still this lock: after a takeover the path holds another's. (Its
      // inode number is not reused meanwhile: this holder keeps the file open.)
      const current = await readFile(this.#path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (current === this.#text) await unlink(this.#path);
    } finally {
      await this.#handle.close();
    }
  }

  /** Touches the lock every third of the lease, one touch at a time (a hung file server does not pile them up). */
  #schedule(): void {
    this.#timer = setTimeout(async () => {
      try {
        const now = new Date();
        await this.#handle.utimes(now, now);
        this.#touchedAt = performance.now();
      } catch {
        // assertHeld() reports a lock that cannot be renewed.
      }
      if (!this.#released) this.#schedule();
    }, this.#leaseMs / 3);
    this.#timer.unref();
  }
}

/** A lock's state and content read through one handle, or undefined when there is none. */
async function readLock(lockPath: string): Promise<{ stats: BigIntStats; text: string } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(lockPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return { stats: await handle.stat({ bigint: true }), text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}

const sameLock = (a: BigIntStats, b: BigIntStats): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.ctimeNs === b.ctimeNs && a.mtimeNs === b.mtimeNs && a.size === b.size;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
