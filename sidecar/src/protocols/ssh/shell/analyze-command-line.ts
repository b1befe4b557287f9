/**
 * What an SSH exec command line runs, read from bash's own grammar (mvdan/sh, shell-parser.ts):
 * every program, in pipelines, `&&`/`||`/`;` lists, subshells, `{ }` groups, if/while/for/case
 * bodies, command and process substitutions (also inside here-documents and redirections),
 * function bodies, and the payloads of wrappers (wrappers.ts: sudo, env, xargs, find -exec,
 * `bash -c`, eval, ...), each with its arguments after quote removal, its redirections and
 * assignments and the user it runs as. Design and limits: docs/adr/0021-ssh-command-analysis.md.
 *
 * Fails closed: whatever hides a program from the text makes the line unknown with a reason, and
 * policy never allows an unknown line (contracts policy/decide.ts). That is: a program the shell
 * computes (`$X`, `$(echo rm)`, `r*`, `{r,}m`, `~/x`); a script read from standard input or a file
 * (`curl | sh`, `bash < f`, `source f`); a script given at run time (`bash -c "$X"`, `eval "$X"`);
 * a name made to run something else (alias, hash -p, PATH/IFS/LD_* and kin, a nameref); arithmetic
 * or an array subscript that reads a variable (bash evaluates the value as an expression, and a
 * `$(...)` hidden in it runs); `${!x}` and `${x@P}`; shells with another syntax (zsh, fish);
 * options of a wrapper this analysis does not know; text that does not parse; and anything over
 * the limits below. A function is reported by its body's programs (wherever it is defined) and by
 * its name at each call, so `ls() { rm -rf /; }; ls` runs rm and ls.
 *
 * Pure: text in, facts out. The cost is bounded before and during the walk: the text's size
 * (ShellAnalysisLimits.maxBytes) bounds the parse; the walk counts nodes (maxNodes), its depth
 * (maxDepth) and nested scripts (maxNestedScripts), and stops at the first limit crossed.
 *
 * This file is the entry point: it refuses text bash would not get as it is, parses it, and runs
 * the walk. The walk is in layers, each its own file: walk-state.ts (what it collects, the node
 * and depth limits), expression-walk.ts (words, parameters, arithmetic, tests),
 * simple-command-walk.ts (assignments, programs and their wrappers' payloads) and
 * command-line-walk.ts (statements, compound commands, redirections); the limits are in
 * analysis-limits.ts.
 */
import { DEFAULT_SHELL_LIMITS, LimitReached, type ShellAnalysisLimits, treeLimits } from './analysis-limits.ts';
import { CommandLineWalk } from './command-line-walk.ts';
import type { ShellFacts } from './shell-facts.ts';
import type { ShellParser } from './shell-parser.ts';
import { TOP } from './walk-scope.ts';

export { DEFAULT_SHELL_LIMITS, type ShellAnalysisLimits } from './analysis-limits.ts';

/** The text as bash would get it, or why it cannot be analyzed at all. */
function admissible(text: string, limits: ShellAnalysisLimits): string | undefined {
  if (!text.isWellFormed()) return 'it is not valid Unicode (a lone surrogate)';
  if (text.includes('\0')) return 'it contains a NUL byte, where the remote shell would cut it';
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) return `it is ${bytes} bytes, over the limit of ${limits.maxBytes}`;
  return undefined;
}

/** Analyzes one command line. Pure given the parser: no I/O, no state kept between calls. */
export function analyzeCommandLine(parser: ShellParser, text: string, limits: ShellAnalysisLimits = DEFAULT_SHELL_LIMITS): ShellFacts {
  const refused = admissible(text, limits);
  if (refused !== undefined) return { text, commands: [], functions: [], unknownReasons: [refused] };
  const parsed = parser.parse(text, treeLimits(limits));
  if (!parsed.ok) return { text, commands: [], functions: [], unknownReasons: [parsed.reason] };
  const walk = new CommandLineWalk(parser, limits);
  try {
    walk.stmts(parsed.file.Stmts, TOP);
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
    walk.unknown(error.message);
  }
  return { text, commands: walk.commands, functions: walk.functions, unknownReasons: walk.reasons };
}

/** Bytes off the wire: text that is not UTF-8 is unknown, as bash and the analysis could read it differently. */
export function analyzeCommandBytes(
  parser: ShellParser,
  bytes: Uint8Array,
  limits: ShellAnalysisLimits = DEFAULT_SHELL_LIMITS,
): ShellFacts {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const shown = Buffer.from(bytes).toString('latin1');
    return { text: shown, commands: [], functions: [], unknownReasons: ['it is not valid UTF-8'] };
  }
  return analyzeCommandLine(parser, text, limits);
}
