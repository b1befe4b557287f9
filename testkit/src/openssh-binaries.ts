/**
 * Finds the OpenSSH programs the SSH tests run: sshd, ssh, scp and ssh-keygen from the Debian
 * packages openssh-server and openssh-client (scripts/install-system-packages.sh installs them).
 * sshd must be named by an absolute path: it re-executes itself for every connection.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HarnessError } from './errors.ts';

export interface OpensshBinaries {
  sshd: string;
  ssh: string;
  scp: string;
  sshKeygen: string;
  /** What `sshd -V` prints first, for example OpenSSH_9.2. */
  version: string;
}

const INSTALL_HINT = 'run make system-packages (Debian packages openssh-server, openssh-client)';

export function opensshBinaries(): OpensshBinaries {
  const sshd = find('sshd', ['/usr/sbin', '/usr/local/sbin']);
  if (!sshd) throw new HarnessError('SshdMissing', `the OpenSSH server (sshd) is not installed; ${INSTALL_HINT}`);
  const [ssh, scp, sshKeygen] = ['ssh', 'scp', 'ssh-keygen'].map((name) => {
    const found = find(name, ['/usr/bin', '/usr/local/bin']);
    if (!found) throw new HarnessError('SshClientMissing', `${name} (OpenSSH client) is not installed; ${INSTALL_HINT}`);
    return found;
  }) as [string, string, string];
  const printed = spawnSync(sshd, ['-V'], { encoding: 'utf8' }).stderr ?? '';
  const version = /OpenSSH_[\w.]+/.exec(printed)?.[0];
  if (!version) throw new HarnessError('SshdBroken', `${sshd} -V printed ${JSON.stringify(printed)}; ${INSTALL_HINT}`);
  return { sshd, ssh, scp, sshKeygen, version };
}

function find(name: string, extraDirs: string[]): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs];
  return dirs.map((d) => join(d, name)).find((path) => path.startsWith('/') && existsSync(path));
}
