/**
 * Programs whose job is to run another program or a script: `sudo rm x` runs rm, `bash -c 'rm x'`
 * runs a script, `find . -exec rm {} ;` runs find and rm. For each, where its payload is and what
 * it changes (the user, the environment). The analysis then reads the payload as it reads the
 * line: a program goes through `unwrap` again, a script is parsed again (simple-command-walk.ts
 * bounds how deep).
 *
 * A wrapper that is transparent (sudo, env, nice, timeout, xargs, ...) is not a program of the line
 * itself: `sudo systemctl restart x` is systemctl, run as root. One that does work of its own as
 * well (find, ssh) is both. Anything that would hide the payload is unknown: an option the table
 * does not know, a payload the shell fills in at run time, a shell that reads its commands from
 * standard input (`curl ... | sh`, `bash < file`, `sudo -s`), `source` of a file, a shell whose
 * syntax is not bash's (zsh, fish, csh). Programs not listed here (python -c, awk, vim, git -c,
 * strace) are programs like any other: a rule that allows one allows whatever it can run.
 */
import { SHELL_DYNAMIC } from '@airlock/contracts/policy';
import { type OptionTable, scanOptions } from './option-scan.ts';
import { argv, baseName, isAssignment, type Payload, POSIX_SHELLS, SELF, type Unwrapped, unknown } from './unwrapped.ts';
import { doas, pkexec, su, sudo } from './user-switching.ts';
import type { WordText } from './word-text.ts';

export type { Payload, PayloadContext, Unwrapped } from './unwrapped.ts';

const dynamicWord = (text = SHELL_DYNAMIC): WordText => ({ text, dynamic: 'text the program supplies at run time', tilde: false });

/** Unwraps a wrapper that only takes options before its command. */
function optionsThenCommand(program: string, args: readonly WordText[], table: OptionTable, via = program): Unwrapped {
  const scan = scanOptions(program, args, table);
  if (!scan.ok) return unknown(scan.reason);
  return scan.operands.length === 0 ? SELF : argv(scan.operands, { via });
}

const ENV: OptionTable = {
  flags: 'i0v',
  withArgument: 'uCP',
  long: {
    'ignore-environment': 'flag',
    null: 'flag',
    unset: 'argument',
    chdir: 'argument',
    debug: 'flag',
    'block-signal': 'optional',
    'default-signal': 'optional',
    'ignore-signal': 'optional',
    'list-signal-handling': 'flag',
  },
  dashIsOption: true,
};

const splitsString = (arg: WordText) =>
  arg.dynamic === undefined && (arg.text === '-S' || arg.text.startsWith('--split-string') || /^-[^-]*S/.test(arg.text));

function env(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, ENV);
  // Only env's own options: `env FOO=1 ls -S` passes -S to ls. When the scan fails, every
  // argument may be env's, so any -S names the reason.
  const own = scan.ok ? args.slice(0, args.length - scan.operands.length) : args;
  if (own.some(splitsString)) {
    return unknown(`${program} -S splits a string into the command, which the analysis does not read`);
  }
  if (!scan.ok) return unknown(scan.reason);
  let operands = scan.operands;
  const assignments: string[] = [];
  while (operands[0] !== undefined && isAssignment(operands[0])) {
    assignments.push(operands[0].text);
    operands = operands.slice(1);
  }
  if (operands[0]?.dynamic !== undefined && /^[^=]*=/.test(operands[0].text)) {
    return unknown(`an assignment given to ${program} is filled in at run time`);
  }
  if (operands.length === 0) return SELF;
  return argv(operands, { via: program, assignments });
}

const NICE: OptionTable = { flags: '', withArgument: 'n', long: { adjustment: 'argument' } };

function nice(program: string, args: readonly WordText[]): Unwrapped {
  // The old form `nice -5 cmd`.
  const rest = args[0]?.dynamic === undefined && /^-\d+$/.test(args[0]?.text ?? '') ? args.slice(1) : args;
  return optionsThenCommand(program, rest, NICE);
}

const TIMEOUT: OptionTable = {
  flags: 'v',
  withArgument: 'ks',
  long: { 'kill-after': 'argument', signal: 'argument', 'preserve-status': 'flag', foreground: 'flag', verbose: 'flag' },
};

function timeout(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, TIMEOUT);
  if (!scan.ok) return unknown(scan.reason);
  // The first operand is the duration.
  return scan.operands.length <= 1 ? SELF : argv(scan.operands.slice(1), { via: program });
}

const XARGS: OptionTable = {
  flags: '0oprtx',
  withArgument: 'adEILnPs',
  long: {
    null: 'flag',
    'open-tty': 'flag',
    interactive: 'flag',
    'no-run-if-empty': 'flag',
    verbose: 'flag',
    exit: 'flag',
    'show-limits': 'flag',
    'arg-file': 'argument',
    delimiter: 'argument',
    eof: 'optional',
    replace: 'optional',
    'max-lines': 'optional',
    'max-args': 'argument',
    'max-procs': 'argument',
    'max-chars': 'argument',
    'process-slot-var': 'argument',
  },
};

function xargs(program: string, args: readonly WordText[]): Unwrapped {
  // -e, -i and -l take their optional argument attached only; without one they are flags.
  const normalized = args.map((arg) =>
    arg.dynamic === undefined && /^-[eil]/.test(arg.text) ? { ...arg, text: arg.text.slice(0, 2) } : arg,
  );
  const scan = scanOptions(program, normalized, { ...XARGS, flags: `${XARGS.flags}eil` });
  if (!scan.ok) return unknown(scan.reason);
  const replace = scan.options.find((option) => option.name === 'I' || option.name === 'i' || option.name === 'replace');
  const command = scan.operands.length === 0 ? [{ text: 'echo', tilde: false }] : scan.operands;
  if (replace !== undefined) {
    const token = replace.value?.text ?? '{}';
    const replaced = command.map((word, index) =>
      index > 0 && word.text.includes(token) ? dynamicWord(word.text.split(token).join(SHELL_DYNAMIC)) : word,
    );
    return argv(replaced, { via: program });
  }
  // xargs appends what it reads from standard input.
  return argv([...command, dynamicWord()], { via: program });
}

const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);

function find(program: string, args: readonly WordText[]): Unwrapped {
  const payloads: Payload[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.dynamic !== undefined && arg.text.startsWith('-')) return unknown(`an action of ${program} is filled in at run time`);
    if (!FIND_EXEC.has(arg.text)) continue;
    const end = args.findIndex((word, at) => at > i && (word.text === ';' || word.text === '+'));
    if (end < 0) return unknown(`${program} ${arg.text} has no ; or + to end its command`);
    const command = args
      .slice(i + 1, end)
      .map((word) => (word.text.includes('{}') ? dynamicWord(word.text.split('{}').join(SHELL_DYNAMIC)) : word));
    if (command.length === 0) return unknown(`${program} ${arg.text} names no command`);
    payloads.push({ kind: 'argv', argv: command, context: { via: `${program} ${arg.text}` } });
    i = end;
  }
  return { self: true, payloads };
}

const WATCH: OptionTable = {
  flags: 'bCcdeghptwrx',
  withArgument: 'nq',
  long: {
    beep: 'flag',
    color: 'flag',
    'no-color': 'flag',
    differences: 'optional',
    errexit: 'flag',
    chgexit: 'flag',
    precise: 'flag',
    'no-title': 'flag',
    'no-wrap': 'flag',
    'no-rerun': 'flag',
    exec: 'flag',
    interval: 'argument',
    equexit: 'argument',
  },
};

/** watch runs its arguments joined by spaces with `sh -c`, or as a command with -x. */
function watch(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, WATCH);
  if (!scan.ok) return unknown(scan.reason);
  if (scan.operands.length === 0) return SELF;
  if (scan.options.some((option) => option.name === 'x' || option.name === 'exec')) return argv(scan.operands, { via: program });
  return { self: false, payloads: [{ kind: 'script', script: joined(scan.operands), context: { via: `${program} (sh -c)` } }] };
}

const LOCAL_COMMAND_OPTION = /^\s*(proxycommand|localcommand|permitlocalcommand|knownhostscommand|match)\b/i;
const SSH: OptionTable = { flags: '46AaCfGgKkMNnqsTtVvXxYy', withArgument: 'BbcDEeFIiJLlmOoPpQRSWw' };

/** ssh runs its remote command, the words after the destination joined by spaces, with the remote user's shell. */
function ssh(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, SSH);
  if (!scan.ok) return unknown(scan.reason);
  // ProxyCommand, LocalCommand and KnownHostsCommand run local commands; a config file can set them.
  const local = scan.options.find(
    (option) =>
      option.name === 'F' ||
      (option.name === 'o' && (option.value?.dynamic !== undefined || LOCAL_COMMAND_OPTION.test(option.value?.text ?? ''))),
  );
  if (local !== undefined)
    return unknown(`${program} -${local.name} ${local.value?.text ?? ''} can run a local command the analysis does not read`);
  const [, ...command] = scan.operands;
  if (scan.operands.length === 0) return SELF;
  if (command.length === 0) {
    if (scan.options.some((option) => option.name === 'N')) return SELF;
    return unknown(`${program} without a remote command runs what its standard input says on the other host`);
  }
  return { self: true, payloads: [{ kind: 'script', script: joined(command), context: { via: `${program} (remote)` } }] };
}

/** Shells with their own syntax: a bash parser could miss what their scripts run (zsh glob qualifiers run code). */
const OTHER_SHELLS = new Set([
  'zsh',
  'ksh',
  'mksh',
  'ksh93',
  'pdksh',
  'yash',
  'posh',
  'fish',
  'csh',
  'tcsh',
  'elvish',
  'nu',
  'xonsh',
  'pwsh',
]);

const SHELL_OPTIONS: OptionTable = {
  flags: 'abcefhiklmnprstuvxBCEHPT',
  withArgument: 'oO',
  long: {
    login: 'flag',
    noprofile: 'flag',
    norc: 'flag',
    posix: 'flag',
    restricted: 'flag',
    verbose: 'flag',
    noediting: 'flag',
    debugger: 'flag',
    rcfile: 'argument',
    'init-file': 'argument',
  },
};

/** `bash -c 'script' [name [args]]`, `bash file [args]`, or `bash` reading standard input. */
function shell(program: string, args: readonly WordText[]): Unwrapped {
  // `+O shopt` and `+o option` unset options; they take an argument like -O and -o.
  const normalized: WordText[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.dynamic === undefined && (arg.text === '+O' || arg.text === '+o')) {
      i++;
      continue;
    }
    if (arg.dynamic === undefined && /^\+[a-zA-Z]+$/.test(arg.text)) continue;
    normalized.push(arg);
  }
  const scan = scanOptions(program, normalized, SHELL_OPTIONS);
  if (!scan.ok) return unknown(scan.reason);
  const has = (name: string): boolean => scan.options.some((option) => option.name === name);
  if (has('rcfile') || has('init-file')) return unknown(`${program} --rcfile runs the commands of a file the analysis cannot see`);
  if (has('c')) {
    const [script] = scan.operands;
    if (script === undefined) return unknown(`${program} -c has no script`);
    return { self: false, payloads: [{ kind: 'script', script, context: { via: `${program} -c` } }] };
  }
  if (has('s') || scan.operands.length === 0) return unknown(`${program} reads its commands from standard input`);
  // `bash file args`: the file is the program that runs, as `./file` would be.
  return argv(scan.operands, { via: program });
}

function busybox(program: string, args: readonly WordText[]): Unwrapped {
  const [applet] = args;
  if (applet === undefined || (applet.dynamic === undefined && applet.text.startsWith('-'))) return SELF;
  return argv(args, { via: program });
}

/** exec, command and builtin: options, then the command. */
const EXEC: OptionTable = { flags: 'cl', withArgument: 'a' };
const COMMAND: OptionTable = { flags: 'pVv', withArgument: '' };
const NO_OPTIONS: OptionTable = { flags: '', withArgument: '' };
const STDBUF: OptionTable = { flags: '', withArgument: 'ioe', long: { input: 'argument', output: 'argument', error: 'argument' } };
const SETSID: OptionTable = { flags: 'cfw', withArgument: '', long: { ctty: 'flag', fork: 'flag', wait: 'flag' } };
const IONICE: OptionTable = { flags: 't', withArgument: 'cn', long: { class: 'argument', classdata: 'argument', ignore: 'flag' } };
const TIME: OptionTable = {
  flags: 'apqvV',
  withArgument: 'fo',
  long: { format: 'argument', output: 'argument', append: 'flag', portability: 'flag', quiet: 'flag', verbose: 'flag' },
};
const CHROOT: OptionTable = { flags: '', withArgument: '', long: { userspec: 'argument', groups: 'argument', 'skip-chdir': 'flag' } };

function chroot(program: string, args: readonly WordText[]): Unwrapped {
  const scan = scanOptions(program, args, CHROOT);
  if (!scan.ok) return unknown(scan.reason);
  if (scan.operands.length <= 1) return unknown(`${program} without a command starts an interactive shell in the new root`);
  return argv(scan.operands.slice(1), { via: program });
}

/** eval runs its arguments joined by spaces as a script; trap keeps its first argument to run later. */
function evalScript(program: string, args: readonly WordText[]): Unwrapped {
  if (args.length === 0) return SELF;
  return { self: false, payloads: [{ kind: 'script', script: joined(args), context: { via: program } }] };
}

function trap(program: string, args: readonly WordText[]): Unwrapped {
  const first = args[0];
  if (first === undefined || (first.dynamic === undefined && (first.text.startsWith('-') || first.text === ''))) return SELF;
  // `trap INT` (one argument) resets a signal in bash; reading it as a script only adds a program.
  return { self: false, payloads: [{ kind: 'script', script: first, context: { via: program } }] };
}

type Unwrap = (program: string, args: readonly WordText[]) => Unwrapped;

const WRAPPERS: ReadonlyMap<string, Unwrap> = new Map<string, Unwrap>([
  ['sudo', sudo],
  ['doas', doas],
  ['pkexec', pkexec],
  ['su', su],
  ['runuser', su],
  ['env', env],
  ['nice', nice],
  ['nohup', (program, args) => optionsThenCommand(program, args, NO_OPTIONS)],
  ['timeout', timeout],
  ['xargs', xargs],
  ['exec', (program, args) => optionsThenCommand(program, args, EXEC)],
  ['command', (program, args) => optionsThenCommand(program, args, COMMAND)],
  ['builtin', (program, args) => optionsThenCommand(program, args, NO_OPTIONS)],
  ['time', (program, args) => optionsThenCommand(program, args, TIME)],
  ['stdbuf', (program, args) => optionsThenCommand(program, args, STDBUF)],
  ['setsid', (program, args) => optionsThenCommand(program, args, SETSID)],
  ['ionice', (program, args) => optionsThenCommand(program, args, IONICE)],
  ['chroot', chroot],
  ['find', find],
  ['watch', watch],
  ['ssh', ssh],
  ['busybox', busybox],
  ['toybox', busybox],
  ['eval', evalScript],
  ['trap', trap],
  ...[...POSIX_SHELLS].map((name): [string, Unwrap] => [name, shell]),
]);

/** Builtins that read a file of commands: what it holds is not on the line. */
const SOURCES = new Set(['source', '.']);

/**
 * What running `program args` runs. `program` is the name as written; wrappers are found by base
 * name, so `/usr/bin/sudo` is sudo. Undefined when the program is not a wrapper.
 */
export function unwrap(program: string, args: readonly WordText[]): Unwrapped | undefined {
  const name = baseName(program);
  if (SOURCES.has(program)) return unknown(`${program} runs the commands of a file the analysis cannot see`);
  if (OTHER_SHELLS.has(name)) {
    return args.length === 0 || !args.some((arg) => arg.text === '-c' || /^-[a-zA-Z]*c/.test(arg.text))
      ? unknown(`${program} reads its commands from standard input or a file`)
      : unknown(`${program} -c runs a script in a syntax other than bash's, which the analysis does not read`);
  }
  return WRAPPERS.get(name)?.(program, args);
}

function joined(words: readonly WordText[]): WordText {
  const dynamic = words.find((word) => word.dynamic !== undefined)?.dynamic;
  const text = words.map((word) => word.text).join(' ');
  return dynamic === undefined ? { text, tilde: false } : { text, dynamic, tilde: false };
}
