/** The shell analysis of SSH exec command lines: what a line runs, or why it cannot be read (ADR 0021). */
export { analyzeCommandBytes, analyzeCommandLine, DEFAULT_SHELL_LIMITS, type ShellAnalysisLimits } from './analyze-command-line.ts';
export type { ShellCommand, ShellFacts, ShellRedirect, ShellRedirectKind, ShellRunAs } from './shell-facts.ts';
export { ShellParser } from './shell-parser.ts';
