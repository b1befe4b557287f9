/**
 * Redirections as the facts report them: what an operator does with its word (write, read, dup of
 * a descriptor, ...) and which files on the host a command's redirections write. Pure: the walk
 * (command-line-walk.ts) reads the words and reports what it cannot read.
 */
import { SHELL_DYNAMIC } from '@airlock/contracts/policy';
import type { ShellRedirect } from './shell-facts.ts';
import type { RedirectKind } from './shell-parser.ts';
import type { WordText } from './word-text.ts';

/** Redirection targets that are not files on the host's disks. */
const HARMLESS_TARGETS = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty']);

/** One redirection; `kind` undefined is an operator the analysis does not know, reported as a write to a dynamic target. */
export function shellRedirect(kind: RedirectKind | undefined, target: WordText, fd: string | undefined): ShellRedirect {
  const base = fd === undefined ? {} : { fd };
  if (kind === undefined) return { kind: 'write', target: SHELL_DYNAMIC, ...base };
  if (kind === 'dupOut' || kind === 'dupIn') {
    // `>&2` duplicates a descriptor; `>&file` (a word that is not a number) writes the file.
    if (target.dynamic === undefined && /^(\d+-?|-)$/.test(target.text)) return { kind: 'dup', target: target.text, ...base };
    return { kind: kind === 'dupOut' ? 'write' : 'read', target: target.text, ...base };
  }
  if (kind === 'heredoc') return { kind, target: '', ...base };
  return { kind, target: target.text, ...base };
}

/** The files the redirections write, once each. */
export function writtenFiles(redirects: readonly ShellRedirect[]): string[] {
  const writes = redirects
    .filter((redirect) => redirect.kind === 'write' || redirect.kind === 'append' || redirect.kind === 'readWrite')
    .map((redirect) => redirect.target)
    .filter((target) => !HARMLESS_TARGETS.has(target));
  return [...new Set(writes)];
}
