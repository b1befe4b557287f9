/** The command line of airlock-policy-test, parsed; wrong flags are a Usage error (exit 2). */
import { parseArgs } from 'node:util';
import { PolicyTestError } from './errors.ts';

export type OutputFormat = 'text' | 'json';

export type Command =
  | { readonly kind: 'help' }
  | { readonly kind: 'run'; readonly paths: readonly string[]; readonly output: OutputFormat };

const FORMATS: readonly OutputFormat[] = ['text', 'json'];

export function parseArguments(argv: readonly string[]): Command {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new PolicyTestError('Usage', `${error instanceof Error ? error.message : String(error)}; see --help`, [], { cause: error });
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const output = FORMATS.find((format) => format === (values.output ?? 'text'));
  if (output === undefined) throw new PolicyTestError('Usage', `--output must be text or json (got ${JSON.stringify(values.output)})`);
  if (positionals.length === 0) {
    throw new PolicyTestError(
      'Usage',
      'name at least one test file or directory, e.g. airlock-policy-test crds/examples/policy-tests; see --help',
    );
  }
  return { kind: 'run', paths: positionals, output };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
  });
}
