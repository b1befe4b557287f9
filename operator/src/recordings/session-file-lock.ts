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
import { type FileHandle, link, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
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
  readonly #ownerText: string;
  /** Locks seen held: their state (inode, times, size) and when this process first saw that state. */
  readonly #watched = new Map<string, { state: string; since: number }>();

  constructor(options: SessionFileLocksOptions) {
    if (!(options.leaseMs > 0) || !(options.waitMs >= 0)) {
      throw new RangeError(`a session file lock needs leaseMs > 0 and waitMs >= 0; got ${options.leaseMs}, ${options.waitMs}`);
    }
    this.#options = options;
    this.#ownerText = `${JSON.stringify(options.owner)}\n`;
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
        await this.#takeOver(lockPath, seen.stats);
        continue;
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new IngestError(
          'Busy',
          `another operator replica is storing records of this session (waited ${this.#options.waitMs} ms for its lock): retry; a lock nobody renews is taken over after ${this.#options.leaseMs} ms`,
        );
      }
      if (seen.verdict === 'Held') await pause(Math.min(left, cappedDelay(POLL, attempt)));
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
      await handle.writeFile(this.#ownerText);
      return new SessionLock(lockPath, handle, await handle.stat({ bigint: true }), this.#options.leaseMs);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(lockPath).catch(() => undefined);
      throw error;
    }
  }

  async #inspect(lockPath: string): Promise<{ verdict: LockVerdict | 'Gone'; stats?: BigIntStats }> {
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
    return { verdict: lockVerdict(observed, this.#options.owner, this.#options.leaseMs, processExists), stats };
  }

  /**
   * Moves the stale lock aside and removes it. Renaming, not unlinking, tells whether another
   * waiter took it over first: then what was moved is that waiter's live lock, and it goes back
   * (link, which does not replace a lock made in the meantime).
   */
  async #takeOver(lockPath: string, judged: BigIntStats | undefined): Promise<void> {
    this.#watched.delete(lockPath);
    const aside = `${lockPath}.${randomUUID()}.stale`;
    try {
      await rename(lockPath, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    try {
      const moved = await stat(aside, { bigint: true });
      if (judged && moved.ino === judged.ino && moved.dev === judged.dev) return;
      await link(aside, lockPath).catch(async (error: NodeJS.ErrnoException) => {
        // EEXIST: a lock made in the meantime stays. A file system without hard links gets it back by rename.
        if (error.code !== 'EEXIST') await rename(aside, lockPath);
      });
    } finally {
      await unlink(aside).catch(() => undefined);
    }
  }
}

class SessionLock implements HeldLock {
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #identity: BigIntStats;
  readonly #leaseMs: number;
  #touchedAt = performance.now();
  #timer: NodeJS.Timeout | undefined;
  #released = false;

  constructor(path: string, handle: FileHandle, identity: BigIntStats, leaseMs: number) {
    this.#path = path;
    this.#handle = handle;
    this.#identity = identity;
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
      const current = await stat(this.#path, { bigint: true }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      if (current?.ino === this.#identity.ino && current.dev === this.#identity.dev) await unlink(this.#path);
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

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, as another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
