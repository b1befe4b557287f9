/**
 * rsync's host side: `rsync -e ssh ...` runs `rsync --server [--sender] <options> . <path>...` on
 * the host. With --sender the host sends (a download), without it the host receives (an upload);
 * the paths are the operands after the `.` placeholder, and options that name directories
 * (--backup-dir, --temp-dir, --link-dest, ...) add theirs, since rsync writes or reads there too.
 *
 * Only the options a client puts on the server's command line are known, from a table; rsync's
 * option parser (popt) reads options anywhere, so every argument is scanned. Anything else is
 * unreadable and never allowed: an unknown option, text the shell fills in where an option could
 * be, --daemon, --files-from, and -s/--secluded-args (the paths
 * then travel inside rsync's own protocol, which is not read). rsync's receiver refuses names with
 * `..` or a leading `/` from the sender, so an upload stays under its target (symbolic links on
 * the host aside).
 */
import { SHELL_DYNAMIC, type TransferDirection } from '@airlock/contracts/policy';
import { type TransferCommand, unreadableTransfer } from './transfer-command.ts';

/** Single-letter options rsync's server_options() sends; `e` takes the rest of its cluster (capability flags). */
const SHORT_FLAGS = new Set('bunlLkKHApEXtUNOJWogDrRdxScCmyzIivqF80'.split(''));

type LongKind = 'flag' | 'value' | 'path';
const LONG_OPTIONS: Readonly<Record<string, LongKind>> = {
  sender: 'flag',
  server: 'flag',
  delete: 'flag',
  'delete-before': 'flag',
  'delete-during': 'flag',
  'delete-delay': 'flag',
  'delete-after': 'flag',
  'delete-excluded': 'flag',
  'delete-missing-args': 'flag',
  'ignore-missing-args': 'flag',
  'ignore-errors': 'flag',
  force: 'flag',
  inplace: 'flag',
  append: 'flag',
  'append-verify': 'flag',
  partial: 'flag',
  'delay-updates': 'flag',
  'remove-source-files': 'flag',
  'numeric-ids': 'flag',
  'size-only': 'flag',
  'ignore-existing': 'flag',
  existing: 'flag',
  'ignore-non-existing': 'flag',
  'no-implied-dirs': 'flag',
  'safe-links': 'flag',
  'munge-links': 'flag',
  'copy-unsafe-links': 'flag',
  'fake-super': 'flag',
  mkpath: 'flag',
  fsync: 'flag',
  'open-noatime': 'flag',
  'list-only': 'flag',
  msgs2stderr: 'flag',
  'no-msgs2stderr': 'flag',
  'write-devices': 'flag',
  preallocate: 'flag',
  from0: 'flag',
  timeout: 'value',
  bwlimit: 'value',
  'max-delete': 'value',
  'max-size': 'value',
  'min-size': 'value',
  'modify-window': 'value',
  'compress-level': 'value',
  'compress-choice': 'value',
  'checksum-choice': 'value',
  'checksum-seed': 'value',
  'block-size': 'value',
  usermap: 'value',
  groupmap: 'value',
  suffix: 'value',
  'log-format': 'value',
  'out-format': 'value',
  'stop-at': 'value',
  'stop-after': 'value',
  'max-alloc': 'value',
  info: 'value',
  debug: 'value',
  iconv: 'value',
  'backup-dir': 'path',
  'partial-dir': 'path',
  'temp-dir': 'path',
  'compare-dest': 'path',
  'copy-dest': 'path',
  'link-dest': 'path',
};
/** Single-letter options with a value: -T is --temp-dir, -B --block-size. */
const SHORT_WITH_VALUE: Readonly<Record<string, LongKind>> = { T: 'path', B: 'value' };

interface Scan {
  readonly flags: Set<string>;
  readonly paths: string[];
  readonly operands: string[];
  readonly problem?: string;
}

function scan(args: readonly string[]): Scan {
  const flags = new Set<string>();
  const paths: string[] = [];
  const operands: string[] = [];
  const fail = (problem: string): Scan => ({ flags, paths, operands, problem });
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith(SHELL_DYNAMIC)) return fail('an argument of rsync is filled in at run time, and could be an option');
    if (arg === '--') {
      operands.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith('--')) {
      const at = arg.indexOf('=');
      const name = at < 0 ? arg.slice(2) : arg.slice(2, at);
      const kind = LONG_OPTIONS[name];
      if (name === 'files-from')
        return fail('rsync --files-from takes its file list from rsync protocol or a file, neither of which is read');
      if (kind === undefined) return fail(`rsync option --${name} is not one the sidecar knows for rsync --server`);
      if (kind === 'flag') {
        if (at >= 0) return fail(`rsync option --${name} takes no value`);
        flags.add(name);
        continue;
      }
      const value = at >= 0 ? arg.slice(at + 1) : args[++i];
      if (value === undefined) return fail(`rsync option --${name} lacks its value`);
      if (kind === 'path') paths.push(value);
      continue;
    }
    if (arg.startsWith('-') && arg !== '-') {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        if (letter === 'e') break; // the capability flags: the rest of the cluster
        if (letter === 's') return fail('rsync -s sends the paths inside rsync protocol, which is not read');
        const withValue = SHORT_WITH_VALUE[letter];
        if (withValue !== undefined) {
          const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
          if (value === undefined) return fail(`rsync option -${letter} lacks its value`);
          if (withValue === 'path') paths.push(value);
          break;
        }
        if (!SHORT_FLAGS.has(letter)) return fail(`rsync option -${letter} is not one the sidecar knows for rsync --server`);
        flags.add(letter);
      }
      continue;
    }
    operands.push(arg);
  }
  return { flags, paths, operands };
}

/** Could this argument be, or turn into, --server? Run-time text splits into words. */
const mayBeServer = (arg: string): boolean => arg === '--server' || arg.startsWith(SHELL_DYNAMIC);

/** `rsync --server ...`; undefined when rsync runs as an ordinary program on the host. */
export function rsyncServerCommand(args: readonly string[]): TransferCommand | undefined {
  if (!args.some(mayBeServer)) return undefined;
  if (args.includes('--daemon'))
    return unreadableTransfer('rsync --daemon serves modules named inside rsync protocol, which is not read', [SHELL_DYNAMIC]);
  const read = scan(args);
  if (read.problem !== undefined) return unreadableTransfer(`${read.problem}, so what it transfers is unknown`, [SHELL_DYNAMIC]);
  if (!read.flags.has('server')) return undefined;
  const sender = read.flags.has('sender');
  // A sender that removes what it sent changes the host as well.
  const directions: TransferDirection[] = sender
    ? read.flags.has('remove-source-files')
      ? ['download', 'upload']
      : ['download']
    : ['upload'];
  const [placeholder, ...named] = read.operands;
  if (placeholder !== '.' || named.length === 0) {
    return {
      directions,
      paths: [...named, ...read.paths, ...(named.length === 0 ? [SHELL_DYNAMIC] : [])],
      unknownReason: 'rsync --server names no path after its `.`',
    };
  }
  return { directions, paths: [...named, ...read.paths] };
}
