/**
 * The command line, kubectl style: subcommand first (or request names), flags anywhere, `-n ns`,
 * `-nns`, `--namespace=ns`, `-oyaml`, `-v=6`, and `--` before a request named like a subcommand.
 * Pure: argv in, a Command out, or an ApproveError (Usage).
 */
import { parseArgs } from 'node:util';
import { ApproveError } from '../errors.ts';
import type { Decision } from '../review/review-patch.ts';

export type ColorMode = 'auto' | 'always' | 'never';

export interface CommonFlags {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
  readonly verbosity: number;
  readonly color: ColorMode;
}

export type Command =
  | { readonly kind: 'help'; readonly topic: HelpTopic }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'list';
      readonly common: CommonFlags;
      readonly allPhases: boolean;
      readonly allNamespaces: boolean;
      readonly output?: 'json' | 'yaml' | 'name' | 'wide' | undefined;
    }
  | {
      readonly kind: 'show';
      readonly common: CommonFlags;
      readonly name: string;
      readonly output?: 'json' | 'yaml' | 'name' | undefined;
      readonly raw: boolean;
      readonly recordings?: string | undefined;
      readonly history: number;
    }
  | {
      readonly kind: 'review';
      readonly common: CommonFlags;
      readonly names: readonly string[];
      readonly decision: Decision;
      readonly reason?: string | undefined;
      readonly digest?: string | undefined;
      readonly output?: 'json' | 'yaml' | 'name' | undefined;
    }
  | {
      readonly kind: 'replay';
      readonly common: CommonFlags;
      /** The ApprovalRequest whose session is replayed, or the session itself. */
      readonly source: { readonly request: string } | { readonly session: string };
      readonly recordings: string;
      /** The .cast file to write; stdout when absent. */
      readonly file?: string | undefined;
    }
  | {
      readonly kind: 'watch';
      readonly common: CommonFlags;
      readonly allNamespaces: boolean;
      readonly watchOnly: boolean;
      readonly prompt: boolean;
      readonly recordings?: string | undefined;
      readonly history: number;
      readonly output?: 'json' | 'name' | undefined;
    };

const OPTIONS = {
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  context: { type: 'string' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'string', short: 'v' },
  color: { type: 'string' },
  all: { type: 'boolean' },
  deny: { type: 'boolean' },
  approve: { type: 'boolean' },
  reason: { type: 'string' },
  digest: { type: 'string' },
  recordings: { type: 'string' },
  history: { type: 'string' },
  raw: { type: 'boolean' },
  'watch-only': { type: 'boolean' },
  'no-prompt': { type: 'boolean' },
  session: { type: 'string' },
  version: { type: 'boolean' },
} as const;

export type HelpTopic = 'main' | 'list' | 'show' | 'review' | 'watch' | 'replay';
type Subcommand = Exclude<HelpTopic, 'main'>;

type OptionName = keyof typeof OPTIONS;

const COMMON: readonly OptionName[] = ['namespace', 'context', 'kubeconfig', 'help', 'verbose', 'color'];
const ALLOWED: Record<Subcommand, readonly OptionName[]> = {
  list: [...COMMON, 'all-namespaces', 'output', 'all'],
  show: [...COMMON, 'output', 'recordings', 'history', 'raw'],
  review: [...COMMON, 'output', 'deny', 'approve', 'reason', 'digest'],
  watch: [...COMMON, 'all-namespaces', 'output', 'watch-only', 'no-prompt', 'recordings', 'history'],
  replay: [...COMMON, 'output', 'recordings', 'session'],
};
const SUBCOMMANDS = new Set(['list', 'show', 'watch', 'replay', 'help', 'version']);
/** A session id names a file in the recordings directory: nothing that could leave it. */
const SESSION_ID = /^[A-Za-z0-9._-]{1,253}$/;
const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;

const usage = (message: string) => new ApproveError('Usage', `${message} (kubectl approve --help)`);

export function parseArguments(argv: readonly string[]): Command {
  // kubectl spells verbosity -v=6 or --v=6; node's parser wants --verbose.
  const args = argv.map((a) => (a.startsWith('--v=') ? `--verbose=${a.slice(4)}` : a === '--v' ? '--verbose' : a));
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; tokens: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, tokens: true, strict: true });
  } catch (error) {
    throw usage((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  const { values, tokens } = parsed;
  const terminator = tokens.findIndex((t) => t.kind === 'option-terminator');
  const positionals = tokens.filter((t) => t.kind === 'positional');
  const first = positionals[0];
  const firstIsCommand = first !== undefined && SUBCOMMANDS.has(first.value) && (terminator === -1 || first.index < terminator);
  const sub = firstIsCommand ? first.value : 'review';
  const rest = (firstIsCommand ? positionals.slice(1) : positionals).map((t) => t.value);

  if (values.version || sub === 'version') return { kind: 'version' };
  if (sub === 'help') return { kind: 'help', topic: helpTopic(rest[0]) };
  if (values.help) return { kind: 'help', topic: sub === 'review' && rest.length === 0 ? 'main' : (sub as Subcommand) };

  const kind = sub as Subcommand;
  const given = tokens.filter((t) => t.kind === 'option').map((t) => ({ name: t.name as OptionName, raw: t.rawName }));
  const stray = given.find((o) => !ALLOWED[kind].includes(o.name));
  if (stray) throw usage(`${stray.raw} is not a flag of ${kind === 'review' ? 'kubectl approve NAME' : `kubectl approve ${kind}`}`);

  const value = (v: string | undefined) => (v?.startsWith('=') ? v.slice(1) : v);
  const common: CommonFlags = {
    kubeconfig: value(values.kubeconfig),
    context: value(values.context),
    namespace: value(values.namespace),
    verbosity: verbosity(value(values.verbose)),
    color: colorMode(value(values.color)),
  };
  const output = value(values.output);
  const history = historyCount(value(values.history));

  switch (kind) {
    case 'list':
      if (rest.length > 0) throw usage(`list takes no arguments, got ${rest.join(' ')}`);
      return {
        kind,
        common,
        allPhases: values.all ?? false,
        allNamespaces: values['all-namespaces'] ?? false,
        output: oneOf(output, ['json', 'yaml', 'name', 'wide'] as const),
      };
    case 'show': {
      if (rest.length !== 1) throw usage(rest.length === 0 ? 'show needs the NAME of an ApprovalRequest' : 'show takes one NAME');
      return {
        kind,
        common,
        name: requestName(rest[0]!),
        output: oneOf(output, ['json', 'yaml', 'name'] as const),
        raw: values.raw ?? false,
        recordings: value(values.recordings),
        history,
      };
    }
    case 'replay':
      return replayCommand(common, rest, { recordings: value(values.recordings), session: value(values.session), output });
    case 'watch':
      if (rest.length > 0) throw usage(`watch takes no arguments, got ${rest.join(' ')}`);
      return {
        kind,
        common,
        allNamespaces: values['all-namespaces'] ?? false,
        watchOnly: values['watch-only'] ?? false,
        prompt: !(values['no-prompt'] ?? false),
        recordings: value(values.recordings),
        history,
        output: oneOf(output, ['json', 'name'] as const),
      };
    case 'review': {
      if (rest.length === 0) return { kind: 'help', topic: 'main' };
      if (values.deny && values.approve) throw usage('--deny and --approve together: choose one');
      const reason = value(values.reason);
      const digest = value(values.digest);
      if (digest !== undefined && !DIGEST.test(digest))
        throw usage(`--digest must be sha256: and 64 hex digits, as kubectl approve show prints it`);
      return {
        kind,
        common,
        names: rest.map(requestName),
        decision: values.deny ? 'Deny' : 'Approve',
        reason: reason?.trim() || undefined,
        digest,
        output: oneOf(output, ['json', 'yaml', 'name'] as const),
      };
    }
  }
}

function replayCommand(
  common: CommonFlags,
  names: readonly string[],
  flags: { readonly recordings?: string | undefined; readonly session?: string | undefined; readonly output?: string | undefined },
): Extract<Command, { kind: 'replay' }> {
  const { recordings, session, output } = flags;
  if (names.length > 1) throw usage('replay takes one NAME');
  if (names.length === 1 && session !== undefined) throw usage('replay takes a NAME or --session ID, not both');
  if (names.length === 0 && session === undefined) throw usage('replay needs the NAME of an ApprovalRequest, or --session ID');
  if (session !== undefined && !SESSION_ID.test(session)) {
    throw usage(
      `--session ${JSON.stringify(session)} is not a session id (letters, digits, '.', '_' and '-', as the recording's file name)`,
    );
  }
  if (recordings === undefined || recordings === '') throw usage('replay needs --recordings DIR, the directory of session recordings');
  // kubectl's -o is a format; replay has one (asciicast v2), so here it names the file.
  if (output !== undefined && ['json', 'yaml', 'name', 'wide'].includes(output)) {
    throw usage(`-o ${output}: replay writes asciicast v2 only; --output FILE names the file to write it to`);
  }
  return {
    kind: 'replay',
    common,
    source: session !== undefined ? { session } : { request: requestName(names[0]!) },
    recordings,
    file: output || undefined,
  };
}

function helpTopic(topic: string | undefined): HelpTopic {
  if (topic === 'list' || topic === 'show' || topic === 'watch' || topic === 'replay') return topic;
  if (topic === 'approve' || topic === 'deny' || topic === 'review') return 'review';
  return 'main';
}

function requestName(name: string): string {
  if (!NAME.test(name)) throw usage(`${JSON.stringify(name)} is not an ApprovalRequest name (lower-case letters, digits, '-' and '.')`);
  return name;
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw usage(`-o ${value}: this command prints ${allowed.join(', ')}`);
}

function verbosity(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usage(`-v ${value}: a level from 0 to 10`);
  return n;
}

function colorMode(value: string | undefined): ColorMode {
  if (value === undefined) return 'auto';
  if (value === 'auto' || value === 'always' || value === 'never') return value;
  throw usage(`--color ${value}: auto, always or never`);
}

function historyCount(value: string | undefined): number {
  if (value === undefined) return 10;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw usage(`--history ${value}: a number of statements, 0 or more`);
  return n;
}
