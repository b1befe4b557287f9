/**
 * The legacy scp protocol's host side: `scp -O` (and OpenSSH before 9.0) runs `scp -t <target>` on
 * the host to upload and `scp -f <source>...` to download, with -r, -p, -d, -v as needed. Without
 * -t or -f, scp on the host is an ordinary program (a copy from the host to somewhere else) and not
 * a transfer with the agent.
 *
 * Read with scp's own option table, as getopt reads it, so `-oStrictHostKeyChecking=no` is one
 * option with a value and not a hidden -t. In server mode only -t, -f, -d, -r, -p, -v and -q are
 * anything the client sends; any other option, an option after an operand (a getopt that permutes
 * would read it) or run-time text where an option could be makes the transfer unreadable. The
 * host's scp sink refuses file names with `/` or `..` from the client, so an upload stays under
 * its target (symbolic links on the host aside).
 */

import type { TransferDirection } from '@airlock/contracts/policy';
import { SHELL_DYNAMIC } from '@airlock/contracts/policy';
import { type OptionTable, scanOptions } from '../shell/option-scan.ts';
import type { WordText } from '../shell/word-text.ts';
import { type TransferCommand, unreadableTransfer } from './transfer-command.ts';

/** OpenSSH 9's scp getopt string: 12346ABCTdfOpqRrstvD:F:J:M:P:S:c:i:l:o:X: */
const SCP_OPTIONS: OptionTable = { flags: '12346ABCTdfOpqRrstv', withArgument: 'DFJMPScilox' };
/** What the client side of the legacy protocol puts on the host's command line. */
const SERVER_MODE_OPTIONS = new Set(['t', 'f', 'd', 'r', 'p', 'v', 'q']);

export const asWords = (args: readonly string[]): WordText[] =>
  args.map((text) => (text.includes(SHELL_DYNAMIC) ? { text, tilde: false, dynamic: 'text the shell fills in' } : { text, tilde: false }));

/** Could this argument be, or hide, a -t or -f? */
const mayBeServerMode = (arg: string): boolean => arg.includes(SHELL_DYNAMIC) || /^-[^-]*[tf]/.test(arg);

export function scpServerCommand(args: readonly string[]): TransferCommand | undefined {
  const scan = scanOptions('scp', asWords(args), SCP_OPTIONS);
  if (!scan.ok) {
    return args.some(mayBeServerMode)
      ? unreadableTransfer(`${scan.reason}, so whether it transfers files is unknown`, [SHELL_DYNAMIC])
      : undefined;
  }
  const letters = new Set(scan.options.map((option) => option.name));
  const operands = scan.operands.map((word) => word.text);
  if (!letters.has('t') && !letters.has('f')) {
    if (operands.some(mayBeServerMode)) {
      return unreadableTransfer('scp is given -t or -f, or run-time text, after an operand', [SHELL_DYNAMIC]);
    }
    return undefined;
  }
  const directions: TransferDirection[] = [
    ...(letters.has('f') ? ['download' as const] : []),
    ...(letters.has('t') ? ['upload' as const] : []),
  ];
  const paths = operands.length > 0 ? operands : [SHELL_DYNAMIC];
  const foreign = [...letters].filter((letter) => !SERVER_MODE_OPTIONS.has(letter));
  if (foreign.length > 0) {
    return { directions, paths, unknownReason: `scp -t/-f is given ${foreign.map((l) => `-${l}`).join(' ')}, which no scp client sends` };
  }
  if (operands.length === 0) return { directions, paths, unknownReason: 'scp -t/-f names no file' };
  if (operands.some((operand) => operand.startsWith('-'))) {
    return {
      directions,
      paths,
      unknownReason: 'scp -t/-f has an operand that starts with -, which a getopt that permutes reads as an option',
    };
  }
  return { directions, paths };
}
