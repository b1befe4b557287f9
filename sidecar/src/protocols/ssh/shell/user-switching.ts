/**
 * Wrappers that run their command as another user: sudo, doas, pkexec, su and runuser. The user
 * (root when none is given, or when the shell fills it in) goes with the payload as `runAs`.
 */
import { type OptionTable, scanOptions } from './option-scan.ts';
import type { ShellRunAs } from './shell-facts.ts';
import { argv, baseName, isAssignment, type PayloadContext, POSIX_SHELLS, SELF, type Unwrapped, unknown } from './unwrapped.ts';
import type { WordText } from './word-text.ts';

function runAs(via: string, user: WordText | undefined): ShellRunAs {
  const name = user === undefined ? 'root' : user.text;
  const root = user === undefined || user.dynamic !== undefined || name === 'root' || name === '#0' || name === '0';
  return { via, user: name, root };
}

const SUDO: OptionTable = {
  flags: 'AbEeHiKklnPSsVv',
  withArgument: 'CDghpRrTtUu',
  long: {
    askpass: 'flag',
    background: 'flag',
    'preserve-env': 'optional',
    edit: 'flag',
    'set-home': 'flag',
    login: 'flag',
    'remove-timestamp': 'flag',
    'reset-timestamp': 'flag',
    list: 'flag',
    'non-interactive': 'flag',
    'preserve-groups': 'flag',
    stdin: 'flag',
    shell: 'flag',
    version: 'flag',
    validate: 'flag',
    'close-from': 'argument',
    chdir: 'argument',
    group: 'argument',
    host: 'argument',
    prompt: 'argument',
    chroot: 'argument',
    role: 'argument',
    type: 'argument',
    'command-timeout': 'argument',
    'other-user': 'argument',
    user: 'argument',
  },
};

export function sudo(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, SUDO);
  if (!scan.ok) return unknown(scan.reason);
  const has = (...names: string[]): boolean => scan.options.some((option) => names.includes(option.name));
  const user = scan.options.findLast((option) => option.name === 'u' || option.name === 'user')?.value;
  let operands = scan.operands;
  const assignments: string[] = [];
  while (operands[0] !== undefined && isAssignment(operands[0])) {
    assignments.push(operands[0].text);
    operands = operands.slice(1);
  }
  const context: PayloadContext = { via: program, runAs: runAs(program, user), assignments };
  if (has('e', 'edit'))
    return { self: false, payloads: [{ kind: 'argv', argv: [{ text: 'sudoedit', tilde: false }, ...operands], context }] };
  if (has('s', 'shell', 'i', 'login') && operands.length === 0) {
    return unknown(`${program} ${has('i', 'login') ? '-i' : '-s'} starts a shell that reads its commands from standard input`);
  }
  if (operands.length === 0) return SELF;
  return argv(operands, context);
}

const DOAS: OptionTable = { flags: 'Lns', withArgument: 'Cu' };

export function doas(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, DOAS);
  if (!scan.ok) return unknown(scan.reason);
  const user = scan.options.findLast((option) => option.name === 'u')?.value;
  if (scan.operands.length === 0) {
    return scan.options.some((option) => option.name === 's')
      ? unknown(`${program} -s starts a shell that reads its commands from standard input`)
      : SELF;
  }
  return argv(scan.operands, { via: program, runAs: runAs(program, user) });
}

const PKEXEC: OptionTable = {
  flags: '',
  withArgument: '',
  long: { user: 'argument', 'disable-internal-agent': 'flag', 'keep-cwd': 'flag', version: 'flag', help: 'flag' },
};

export function pkexec(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, PKEXEC);
  if (!scan.ok) return unknown(scan.reason);
  if (scan.operands.length === 0) return unknown(`${program} without a program starts a root shell that reads standard input`);
  const user = scan.options.findLast((option) => option.name === 'user')?.value;
  return argv(scan.operands, { via: program, runAs: runAs(program, user) });
}

const SU: OptionTable = {
  flags: 'lmpPf',
  withArgument: 'cgGsuw',
  long: {
    login: 'flag',
    'preserve-environment': 'flag',
    pty: 'flag',
    command: 'argument',
    'session-command': 'argument',
    group: 'argument',
    'supp-group': 'argument',
    shell: 'argument',
    user: 'argument',
    'whitelist-environment': 'argument',
  },
  dashIsOption: true,
  permute: true,
};

/** su and runuser: `su [options] [-] [user [args]]`, the command in -c; runuser also `-u user [--] command`. */
export function su(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, SU);
  if (!scan.ok) return unknown(scan.reason);
  const value = (...names: string[]): WordText | undefined => scan.options.findLast((option) => names.includes(option.name))?.value;
  const shell = value('s', 'shell');
  if (shell !== undefined && (shell.dynamic !== undefined || !POSIX_SHELLS.has(baseName(shell.text)))) {
    return unknown(`${program} runs its command with the shell ${shell.text}, which the analysis does not read`);
  }
  const directUser = program === 'runuser' ? value('u', 'user') : undefined;
  if (directUser !== undefined) {
    if (scan.operands.length === 0) return unknown(`${program} -u without a command starts a shell that reads standard input`);
    return argv(scan.operands, { via: program, runAs: runAs(program, directUser) });
  }
  const [user, ...extra] = scan.operands;
  if (extra.length > 0) return unknown(`${program} passes ${extra.map((word) => word.text).join(' ')} to the user's shell`);
  const command = value('c', 'command', 'session-command');
  if (command === undefined) return unknown(`${program} without -c starts a shell that reads its commands from standard input`);
  return { self: false, payloads: [{ kind: 'script', script: command, context: { via: `${program} -c`, runAs: runAs(program, user) } }] };
}
