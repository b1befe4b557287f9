/**
 * Builtins that change what a later name runs, or that make bash evaluate text the line does not
 * show, and the variables whose value changes which program runs. Each is a reason the line is
 * unknown (analyze-command-line.ts); the walker asks here for every program it names.
 *
 * Why these: `alias x=rm` and `hash -p /bin/rm ls` make a name run another program; `enable -f`
 * loads a builtin from a shared object; `mapfile -C` and `compgen -C` run a command string. An
 * array subscript in a variable name is evaluated as arithmetic, and bash expands `$(...)` inside
 * it: `unset 'a[$(rm -rf ~)]'`, `read 'a[$(id)]'`, `[[ -v a[$(id)] ]]` each run the command. PATH
 * and its relatives decide what a bare name runs (RUN_AFFECTING_NAMES).
 */
import type { WordText } from './word-text.ts';

/**
 * Variables whose value changes which program a name runs or what the shell runs besides the line:
 * the search path, aliases and the hash table as arrays, startup files, the trace prompt, field
 * splitting, the dynamic loader.
 */
const RUN_AFFECTING_NAMES = new Set([
  'PATH',
  'IFS',
  'ENV',
  'BASH_ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'EXECIGNORE',
  'BASH_CMDS',
  'BASH_ALIASES',
  'BASH_LOADABLES_PATH',
  'GCONV_PATH',
]);

/** Why setting `name` makes the line unknown; undefined when it does not. */
export function runAffectingName(name: string): string | undefined {
  const bare = name.replace(/\[.*$/, '');
  if (RUN_AFFECTING_NAMES.has(bare) || bare.startsWith('LD_') || bare.startsWith('BASH_FUNC_')) {
    return `it sets ${bare}, which changes what the shell runs`;
  }
  return undefined;
}

/** Why using `word` as a variable name makes the line unknown: a subscript bash evaluates, or a name chosen at run time. */
export function variableNameProblem(word: WordText, what: string): string | undefined {
  if (word.dynamic !== undefined) return `${what} names a variable filled in at run time (${word.dynamic}), which can set any variable`;
  if (/\[.*[$`]/.test(word.text)) return `${what} names an array element whose subscript bash evaluates (${word.text})`;
  return runAffectingName(word.text);
}

interface Scanned {
  /** Option letters with their values, in order. */
  readonly options: readonly (readonly [string, WordText | undefined])[];
  readonly operands: readonly WordText[];
}

/** A builtin's options: letters in `withValue` take the next word (or the rest of the cluster). */
function scanBuiltin(args: readonly WordText[], withValue: string): Scanned {
  const options: [string, WordText | undefined][] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.dynamic !== undefined || !arg.text.startsWith('-') || arg.text === '-') break;
    if (arg.text === '--') {
      i++;
      break;
    }
    for (let j = 1; j < arg.text.length; j++) {
      const letter = arg.text[j]!;
      if (!withValue.includes(letter)) {
        options.push([letter, undefined]);
        continue;
      }
      const attached = arg.text.slice(j + 1);
      options.push([letter, attached ? { text: attached, tilde: false } : args[++i]]);
      break;
    }
  }
  return { options, operands: args.slice(i) };
}

const option = (scanned: Scanned, letter: string): WordText | undefined => scanned.options.find(([name]) => name === letter)?.[1];
const hasOption = (scanned: Scanned, letter: string): boolean => scanned.options.some(([name]) => name === letter);

function firstProblem(checks: readonly (string | undefined)[]): string | undefined {
  return checks.find((check) => check !== undefined);
}

type BuiltinCheck = (args: readonly WordText[]) => string | undefined;

const CHECKS: ReadonlyMap<string, BuiltinCheck> = new Map<string, BuiltinCheck>([
  [
    'alias',
    (args) =>
      args.some((arg) => arg.dynamic !== undefined || arg.text.includes('='))
        ? 'it defines an alias, which makes a name run something else'
        : undefined,
  ],
  ['hash', (args) => (hasOption(scanBuiltin(args, 'p'), 'p') ? 'hash -p makes a name run another program' : undefined)],
  ['enable', (args) => (hasOption(scanBuiltin(args, 'f'), 'f') ? 'enable -f loads a builtin from a shared object' : undefined)],
  ['compgen', (args) => (hasOption(scanBuiltin(args, 'AGWXPSFCo'), 'C') ? 'compgen -C runs a command string' : undefined)],
  ['complete', (args) => (hasOption(scanBuiltin(args, 'AGWXPSFCo'), 'C') ? 'complete -C runs a command string' : undefined)],
  [
    'read',
    (args) => {
      const scanned = scanBuiltin(args, 'adinNptu');
      const names = [option(scanned, 'a'), ...scanned.operands].filter((word) => word !== undefined);
      return firstProblem(names.map((word) => variableNameProblem(word, 'read')));
    },
  ],
  ['mapfile', mapfile],
  ['readarray', mapfile],
  [
    'printf',
    (args) => {
      const name = option(scanBuiltin(args, 'v'), 'v');
      return name === undefined ? undefined : variableNameProblem(name, 'printf -v');
    },
  ],
  ['getopts', (args) => (args[1] === undefined ? undefined : variableNameProblem(args[1], 'getopts'))],
  [
    'wait',
    (args) => {
      const name = option(scanBuiltin(args, 'p'), 'p');
      return name === undefined ? undefined : variableNameProblem(name, 'wait -p');
    },
  ],
  ['unset', (args) => firstProblem(scanBuiltin(args, '').operands.map((word) => subscriptProblem(word, 'unset')))],
  ['test', testNames],
  ['[', testNames],
]);

function mapfile(args: readonly WordText[]): string | undefined {
  const scanned = scanBuiltin(args, 'dnOsuCc');
  if (hasOption(scanned, 'C')) return 'mapfile -C runs a command string for each line';
  const [name] = scanned.operands;
  return name === undefined ? undefined : variableNameProblem(name, 'mapfile');
}

/** unset and test -v take names, where only a subscript (or a name chosen at run time) is a problem. */
function subscriptProblem(word: WordText, what: string): string | undefined {
  if (word.dynamic !== undefined)
    return `${what} names a variable filled in at run time (${word.dynamic}), whose subscript bash would evaluate`;
  return /\[.*[$`]/.test(word.text) ? `${what} names an array element whose subscript bash evaluates (${word.text})` : undefined;
}

function testNames(args: readonly WordText[]): string | undefined {
  for (let i = 0; i + 1 < args.length; i++) {
    if (args[i]!.dynamic === undefined && (args[i]!.text === '-v' || args[i]!.text === '-R')) {
      const problem = subscriptProblem(args[i + 1]!, `test ${args[i]!.text}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** Why running builtin `name` with `args` makes the line unknown; undefined when it does not. */
export function builtinProblem(name: string, args: readonly WordText[]): string | undefined {
  return CHECKS.get(name)?.(args);
}
