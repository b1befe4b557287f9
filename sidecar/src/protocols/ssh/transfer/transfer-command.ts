/**
 * What a transfer command on the host (`scp -t`/`scp -f`, `rsync --server`) does to files, read
 * from its arguments: the directions it moves data and the paths it names, as written. When its
 * arguments cannot be read with certainty (an option the tables do not know, text the shell fills
 * in where an option could be), `unknownReason` says why, and the operation is never allowed.
 */
import type { TransferDirection } from '@airlock/contracts/policy';

export interface TransferCommand {
  readonly directions: readonly TransferDirection[];
  /** As written after quote removal, SHELL_DYNAMIC where the shell fills in; never empty. */
  readonly paths: readonly string[];
  readonly unknownReason?: string;
}

/** Both ways and any path: what a transfer whose arguments cannot be read could do. */
export function unreadableTransfer(reason: string, paths: readonly string[]): TransferCommand {
  return { directions: ['download', 'upload'], paths, unknownReason: reason };
}
