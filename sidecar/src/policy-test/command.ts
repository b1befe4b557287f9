/**
 * One run of airlock-policy-test: arguments in, report out, exit status back. The output streams
 * are passed in (main.ts gives the process's), so tests run the whole command in-process.
 */
import { AirlockValidator } from '@airlock/crds';
import { SqlClassifier } from '../protocols/postgres/sql/classifier.ts';
import { analyzeCommandLine, ShellParser } from '../protocols/ssh/shell/index.ts';
import { parseArguments } from './arguments.ts';
import { EXIT_CODES, PolicyTestError } from './errors.ts';
import { errorJson, reportJson } from './format-json.ts';
import { formatProblems, formatReport } from './format-text.ts';
import { loadSuites } from './load-suites.ts';
import { type CommandLineReader, runSuites } from './run-suite.ts';
import { USAGE } from './usage.ts';

export interface Output {
  write(text: string): unknown;
}

export async function policyTest(argv: readonly string[], out: { readonly stdout: Output; readonly stderr: Output }): Promise<number> {
  let json = false;
  try {
    const command = parseArguments(argv);
    if (command.kind === 'help') {
      out.stdout.write(USAGE);
      return EXIT_CODES.Passed;
    }
    json = command.output === 'json';
    const suites = await loadSuites(command.paths, new AirlockValidator());
    // The shell parser takes a few hundred milliseconds to load: only when a case needs it.
    const hasSsh = suites.some((suite) => suite.cases.some((testCase) => testCase.ssh !== undefined));
    const report = runSuites(suites, { sql: await SqlClassifier.create(), ...(hasSsh ? { ssh: shellReader() } : {}) });
    out.stdout.write(json ? reportJson(report) : formatReport(report));
    return report.failed === 0 ? EXIT_CODES.Passed : EXIT_CODES.Failed;
  } catch (error) {
    if (!(error instanceof PolicyTestError)) {
      // Exit 1 means "a case failed"; a crash must not look like a verdict on the policies.
      const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
      out.stderr.write(`error (Internal): the command failed, which is a bug in airlock-policy-test:\n${detail}\n`);
      return EXIT_CODES.Internal;
    }
    if (json) out.stdout.write(errorJson(error.code, error.message, error.problems));
    else if (error.code === 'InvalidInput') out.stderr.write(formatProblems(error.problems));
    else out.stderr.write(`error (${error.code}): ${error.message}\n`);
    return error.exitCode;
  }
}

function shellReader(): CommandLineReader {
  const parser = ShellParser.load();
  return { analyze: (text) => analyzeCommandLine(parser, text) };
}
