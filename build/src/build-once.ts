/**
 * Builds a set of files into a cache directory once: into a temp dir first, renamed into place
 * under a lock, so parallel processes (test files run concurrently) build once and never see a
 * half-written file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from './log.ts';
import { isAlive } from './process-alive.ts';

/**
 * Makes `names` exist in `dir`: returns at once when they do, otherwise runs `build(out)` with a
 * fresh temp dir inside `dir` that it must fill with those names, and renames them into `dir`.
 */
export async function buildOnce(
  dir: string,
  names: readonly string[],
  what: string,
  log: Log,
  build: (out: string) => Promise<void>,
): Promise<void> {
  const present = () => names.every((n) => existsSync(join(dir, n)));
  if (present()) return;
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, '.lock');
  await acquireLock(lock, present, what, log);
  try {
    if (present()) return;
    const out = mkdtempSync(join(dir, '.build-'));
    try {
      await build(out);
      for (const n of names) renameSync(join(out, n), join(dir, n));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function acquireLock(lock: string, present: () => boolean, what: string, log: Log): Promise<void> {
  let waited = 0;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return;
    } catch {
      const owner = Number(readFileSafe(join(lock, 'pid')));
      if (owner && !isAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (present()) return;
      if (waited % 30_000 === 0) log(`waiting for another process (pid ${owner || '?'}) to finish building ${what}`);
      await sleep(1000);
      waited += 1000;
    }
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
