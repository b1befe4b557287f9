/**
 * sshd's privilege separation directory, /run/sshd (compiled in; the unauthenticated half of each
 * connection is chrooted there). Debian's service creates it when it starts; a machine that never
 * ran the service has none, so the harness makes it and removes it again, leaving the machine as
 * found. Several harnesses (test files run in parallel) share it: a marker file says the harness
 * made it, and whichever harness stops last, when no sshd at all runs any more, removes both.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';

export const PRIVSEP_DIR = '/run/sshd';
const MARKER = '/run/airlock-made-sshd-privsep-dir';

/** Makes /run/sshd (root-owned, 0755, as sshd demands) when it is missing. */
export function claimPrivsepDir(dir: string = PRIVSEP_DIR, marker: string = MARKER): void {
  if (existsSync(dir)) return;
  // The marker first: a death between the two leaves a marker without a dir, which release removes.
  writeFileSync(marker, `made by the airlock test harness for its sshd; removed when no sshd runs\n`);
  try {
    mkdirSync(dir);
    chmodSync(dir, 0o755); // not what the umask leaves: sshd refuses a dir others can write
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** Removes /run/sshd if a harness made it and no sshd runs; an sshd of another harness keeps it. */
export function releasePrivsepDir(dir: string = PRIVSEP_DIR, marker: string = MARKER, sshd = '/usr/sbin/sshd'): void {
  if (!existsSync(marker) || sshdRunning(sshd)) return;
  try {
    rmdirSync(dir); // only when empty: never a dir somebody put things in
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return;
  }
  rmSync(marker, { force: true });
}

/** Any sshd, ours or the machine's: its connections need the dir. */
function sshdRunning(sshd: string): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/exe`).startsWith(sshd)) return true;
    } catch {
      // gone, or a kernel thread
    }
  }
  return false;
}
