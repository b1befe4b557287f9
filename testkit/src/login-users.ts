/**
 * Unix accounts that tests log in as over SSH (sshd switches to a real user; there is no other
 * way to be one). Created with useradd and removed with userdel, with no lastlog or faillog entry
 * and no mail spool; the home directory belongs to the caller (a temp dir it removes). Needs root.
 * useradd and userdel refuse while another process holds the password file lock, so both retry.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { HarnessError } from './errors.ts';
import { processesOwnedBy, terminate } from './process-tree.ts';
import type { RunAs } from './run-as.ts';

const LOCK_RETRY_MS = 10_000;

/** A login name useradd accepts on every distribution (lower case, at most 32 characters). */
export const LOGIN_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

export function findLoginUser(name: string): RunAs | undefined {
  const fields = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith(`${name}:`))
    ?.split(':');
  return fields?.[2] && fields[3] ? { name, uid: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

/** Creates `name` with a group of its own and `home` as its home (which the caller makes). */
export async function createLoginUser(name: string, home: string): Promise<RunAs> {
  if (!LOGIN_NAME.test(name)) throw new HarnessError('BadLoginName', `${JSON.stringify(name)} is not a valid login name`);
  if (findLoginUser(name))
    throw new HarnessError('LoginUserExists', `user ${name} already exists; remove it (userdel ${name}) or pick another name`);
  const shell = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
  const args = [
    '--no-log-init',
    '--no-create-home',
    '--home-dir',
    home,
    '--shell',
    shell,
    '--user-group',
    '--comment',
    'airlock test',
    name,
  ];
  await withLockRetry('useradd', args);
  const user = findLoginUser(name);
  if (!user) throw new HarnessError('LoginUserNotCreated', `useradd ${name} succeeded but /etc/passwd does not list it`);
  return user;
}

/** Sets the password (also unlocks the account: sshd without PAM refuses any login to a locked one). */
export function setLoginPassword(name: string, password: string): void {
  if (/[:\n]/.test(password)) throw new HarnessError('BadPassword', 'a password for chpasswd cannot contain ":" or a line break');
  const result = spawnSync('chpasswd', [], { input: `${name}:${password}\n`, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new HarnessError('SetPasswordFailed', `chpasswd for ${name} failed: ${result.stderr.trim() || result.error?.message}`);
  }
}

/** Ends the user's processes and removes the user and its group. Idempotent. */
export async function removeLoginUser(name: string): Promise<void> {
  const user = findLoginUser(name);
  if (!user) return;
  await terminate(processesOwnedBy(user.uid));
  // --force: a process that slipped in after the kill must not keep the account on the machine.
  await withLockRetry('userdel', ['--force', name]);
}

async function withLockRetry(command: string, args: string[]): Promise<void> {
  const deadline = Date.now() + LOCK_RETRY_MS;
  for (;;) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status === 0) return;
    const message = result.stderr?.trim() || result.error?.message || `exit ${result.status}`;
    if (!/lock/i.test(message) || Date.now() > deadline) {
      throw new HarnessError('LoginUserCommandFailed', `${command} ${args.join(' ')} failed: ${message}`);
    }
    await sleep(100 + Math.random() * 200);
  }
}
