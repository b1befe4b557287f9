/**
 * A small tmpfs the test mounts for itself, to make a store run out of space (fill it) or turn
 * read-only (remount it) for real. Needs root (CAP_SYS_ADMIN); `TmpfsMount.available()` says
 * whether this process can mount, so a test can skip with a reason instead of failing. A watchdog
 * unmounts it and removes its dir if the test process dies first; unmount() does both otherwise.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { HarnessError } from './errors.ts';

export class TmpfsMount {
  /** The mount point. */
  readonly path: string;
  readonly #watchdog: ChildProcess;
  #mounted = true;

  private constructor(path: string, watchdog: ChildProcess) {
    this.path = path;
    this.#watchdog = watchdog;
  }

  /** Whether this process may mount: root, and a kernel that lets it (not a locked-down container). */
  static available(): boolean {
    return process.getuid?.() === 0;
  }

  /** Mounts a tmpfs of `sizeBytes` (rounded up to pages by the kernel) on a fresh temp dir. */
  static mount(options: { readonly sizeBytes: number; readonly prefix?: string }): TmpfsMount {
    const path = mkdtempSync(join(tmpdir(), options.prefix ?? 'airlock-tmpfs-'));
    const watchdog = spawn(process.execPath, [join(import.meta.dirname, 'watchdog.ts')], {
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    const tell = (line: string) => (watchdog.stdin as Writable | null)?.write(`${line}\n`);
    // Told before mounting: a death between the two lines still leaves nothing behind.
    tell(`dir ${path}`);
    tell(`mount ${path}`);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${options.sizeBytes},mode=0700`, 'tmpfs', path], { encoding: 'utf8' });
    if (mounted.status !== 0) {
      tell(`unmounted ${path}`);
      rmSync(path, { recursive: true, force: true });
      tell('done');
      watchdog.stdin?.end();
      throw new HarnessError(
        'MountFailed',
        `could not mount a tmpfs on ${path}: ${mounted.stderr.trim() || mounted.error?.message}; run as root`,
      );
    }
    return new TmpfsMount(path, watchdog);
  }

  /** Remounts read-only (`ro`) or read-write (`rw`), keeping what is on it. */
  remount(mode: 'ro' | 'rw'): void {
    const result = spawnSync('mount', ['-o', `remount,${mode}`, this.path], { encoding: 'utf8' });
    if (result.status !== 0) throw new HarnessError('MountFailed', `could not remount ${this.path} ${mode}: ${result.stderr.trim()}`);
  }

  /** Unmounts (lazily if something still holds a file open) and removes the mount point. Idempotent. */
  unmount(): void {
    if (!this.#mounted) return;
    this.#mounted = false;
    if (spawnSync('umount', [this.path]).status !== 0) spawnSync('umount', ['-l', this.path]);
    rmSync(this.path, { recursive: true, force: true });
    const stdin = this.#watchdog.stdin as Writable | null;
    stdin?.write(`unmounted ${this.path}\ndone\n`);
    stdin?.end();
  }
}
