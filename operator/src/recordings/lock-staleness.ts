/**
 * When a session file's lock may be taken from its holder: pure, so the rule is tested without
 * files or processes. Operator replicas share the recordings volume, and a replica that died
 * holding a lock must not block its session for good (docs/adr/0019-shared-recordings-volume.md).
 *
 * - Its owner ran on this host and is gone: the owner's pid is this process's pid with another
 *   start time (a restarted container reusing pid 1), or no process has that pid. Taken at once.
 *   This trusts that two live processes with the same hostname share a pid namespace, which holds
 *   for pods without hostNetwork: a pod's hostname is its name.
 * - Otherwise: nobody touched the lock file (inode, ctime, mtime, size) for a lease period as this
 *   process observed it on its own monotonic clock. A holder touches its lock every third of the
 *   lease, so a live holder's lock never looks unchanged that long. Only this process's clock is
 *   read, so clock skew between hosts and the file server does not matter (the Kubernetes Lease
 *   rule of leader election).
 */

/** Who holds a lock, as written into the lock file. */
export interface LockOwner {
  readonly host: string;
  readonly pid: number;
  /** When the owning process started (epoch ms), which tells a reused pid from its first user. */
  readonly start: number;
}

export type LockVerdict =
  /** Someone may be writing: wait. */
  | 'Held'
  /** The owner's process is gone (same host). */
  | 'OwnerGone'
  /** Nobody touched the lock for a lease period. */
  | 'LeaseExpired';

export interface ObservedLock {
  /** What the lock file says, or undefined when it cannot be read as an owner (empty: its creator is still writing it, or died doing so). */
  readonly owner: LockOwner | undefined;
  /** How long this process has seen the lock file unchanged. */
  readonly unchangedForMs: number;
}

export function lockVerdict(lock: ObservedLock, self: LockOwner, leaseMs: number, isAlive: (pid: number) => boolean): LockVerdict {
  const { owner } = lock;
  if (owner !== undefined && owner.host === self.host) {
    if (owner.pid === self.pid) {
      if (owner.start !== self.start) return 'OwnerGone';
    } else if (!isAlive(owner.pid)) {
      return 'OwnerGone';
    }
  }
  return lock.unchangedForMs >= leaseMs ? 'LeaseExpired' : 'Held';
}

/** The owner a lock file names, or undefined when its text is not one. */
export function parseLockOwner(text: string): LockOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { host, pid, start } = value as Record<string, unknown>;
  if (typeof host !== 'string' || !Number.isSafeInteger(pid) || (pid as number) <= 0 || typeof start !== 'number') return undefined;
  return { host, pid: pid as number, start };
}
