/**
 * The file transfer a program of an exec line is, if it is one (ADR 0024): `scp -t`/`scp -f` and
 * `rsync --server`, what `scp -O` and `rsync -e ssh` run on the host; `sftp-server` run as a command
 * speaks SFTP on its standard input, which is read only in the sftp subsystem, so it is a transfer
 * that cannot be read. Any other program is not a transfer: cat, tar or dd over the exec channel
 * move files too, and are decided as the programs they are.
 *
 * Paths reach the policy normalised (contracts transfer-path.ts). A relative path is relative to
 * the login directory only when the transfer is the whole line: after a `cd`, or through a
 * wrapper (sudo, env --chdir), the working directory is the shell's to decide, so the path is
 * taken as one under a directory filled in at run time. `~` is the home directory the shell fills in.
 */
import { normalizeTransferPath, SHELL_DYNAMIC } from '@airlock/contracts/policy';
import type { ShellCommand, ShellFacts } from '../shell/index.ts';
import { rsyncServerCommand } from './rsync-server-command.ts';
import { scpServerCommand } from './scp-server-command.ts';
import { type TransferCommand, unreadableTransfer } from './transfer-command.ts';

const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function readTransfer(program: string, args: readonly string[]): TransferCommand | undefined {
  switch (baseName(program)) {
    case 'scp':
      return scpServerCommand(args);
    case 'rsync':
      return rsyncServerCommand(args);
    case 'sftp-server':
      return unreadableTransfer('sftp-server run as a command speaks SFTP on its input, which is read only in the sftp subsystem', [
        SHELL_DYNAMIC,
      ]);
    default:
      return undefined;
  }
}

function policyPath(path: string, alone: boolean): string {
  let named = path;
  if (named.startsWith('~')) {
    const slash = named.indexOf('/');
    named = `${SHELL_DYNAMIC}${slash < 0 ? '' : named.slice(slash)}`;
  }
  if (!named.startsWith('/') && !named.startsWith(SHELL_DYNAMIC) && !alone) named = `${SHELL_DYNAMIC}/${named}`;
  return normalizeTransferPath(named);
}

/** The transfer `command` is, with its paths as the policy reads them; undefined when it is no transfer. */
export function execTransfer(command: ShellCommand, line: Pick<ShellFacts, 'commands'>): TransferCommand | undefined {
  if (command.program === undefined) return undefined;
  const transfer = readTransfer(command.program, command.arguments);
  if (transfer === undefined) return undefined;
  const alone = line.commands.length === 1 && command.via.length === 0;
  return { ...transfer, paths: transfer.paths.map((path) => policyPath(path, alone)) };
}
