/**
 * PostgreSQL and PgBouncer refuse to run as root. When the harness is root (containers, CI), their
 * processes run as an unprivileged user instead: `postgres` (the Debian package creates it), or
 * `nobody`. `setpriv` (util-linux, always on Debian) switches user and then execs, so the PID the
 * supervisor and its watchdog know is the server's own, and no PAM session sits in between.
 */
import { spawnSync } from 'node:child_process';
import { lchownSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HarnessError } from './errors.ts';

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
}

/** Who the servers run as: undefined (the current user) unless we are root. */
export function unprivilegedUser(candidates: string[] = ['postgres', 'nobody']): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n');
  for (const name of candidates) {
    const fields = passwd.find((line) => line.startsWith(`${name}:`))?.split(':');
    if (fields?.[2] && fields[3]) {
      if (spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status !== 0) {
        throw new HarnessError('SetprivMissing', 'running as root needs setpriv (util-linux) to start servers as an unprivileged user');
      }
      return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
    }
  }
  throw new HarnessError('NoUnprivilegedUser', `running as root, but none of ${candidates.join(', ')} exists to run the servers as`);
}

/** The command line that runs `command` as `runAs` (or unchanged when runAs is undefined). */
export function commandAs(runAs: RunAs | undefined, command: string, args: string[]): [string, string[]] {
  if (!runAs) return [command, args];
  return ['setpriv', [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--clear-groups', '--', command, ...args]];
}

/** chown -R, without following symlinks. */
export function chownTree(path: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  lchownSync(path, runAs.uid, runAs.gid);
  if (lstatSync(path).isDirectory()) chownEntries(path, runAs);
}

function chownEntries(dir: string, runAs: RunAs): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const child = join(dir, entry.name);
    lchownSync(child, runAs.uid, runAs.gid);
    if (entry.isDirectory()) chownEntries(child, runAs);
  }
}

/** Fails clearly when `runAs` cannot reach `dir` (a TMPDIR under /root, say) instead of letting initdb fail obscurely. */
export function assertReachable(dir: string, runAs: RunAs | undefined): void {
  if (!runAs) return;
  for (let p = dirname(dir); ; p = dirname(p)) {
    const st = statSync(p);
    const searchable = st.uid === runAs.uid ? st.mode & 0o100 : st.gid === runAs.gid ? st.mode & 0o010 : st.mode & 0o001;
    if (!searchable) {
      throw new HarnessError(
        'TempDirUnreachable',
        `${dir} is inside ${p}, which user ${runAs.name} cannot enter; set TMPDIR to a directory every user can reach (for example /tmp)`,
      );
    }
    if (p === dirname(p)) return;
  }
}
