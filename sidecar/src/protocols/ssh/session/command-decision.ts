/**
 * The one place an SSH channel request is decided: an exec command line is read by the shell
 * analysis and decided program by program (exec-operations.ts); any other request (a subsystem)
 * is one operation of its request type, and so is an interactive shell (decided when it opens). A line over the command limit is denied unread. Pure
 * given the parser: text and compiled policies in, the facts and the decision out.
 */
import type { CompiledPolicy, Decision, SshFacts, SshRequestType } from '@airlock/contracts/policy';
import { decide } from '@airlock/contracts/policy';
import { decideExec } from '../exec-operations.ts';
import { commandOverLimit, type SshLimits } from '../limits/ssh-limits.ts';
import { analyzeCommandLine, type ShellFacts, type ShellParser } from '../shell/index.ts';

export interface CommandDecision {
  readonly requestType: SshRequestType;
  /** The exact text the decision is about (and, when allowed, what runs). */
  readonly text: string;
  /** What the shell analysis found; absent when the line was refused unread. */
  readonly facts?: ShellFacts;
  readonly decision: Decision;
}

export function decideCommand(
  text: string,
  parser: ShellParser,
  policies: readonly CompiledPolicy<SshFacts>[],
  limits: Pick<SshLimits, 'maxCommandBytes'>,
): CommandDecision {
  const overLimit = commandOverLimit(text, limits);
  if (overLimit !== undefined) {
    return { requestType: 'exec', text, decision: { action: 'deny', audit: [], failedClosed: true, reason: overLimit } };
  }
  const facts = analyzeCommandLine(parser, text);
  return { requestType: 'exec', text, facts, decision: decideExec(facts, policies) };
}

/** A subsystem request (`sftp`) as one operation. */
export function decideSubsystem(name: string, policies: readonly CompiledPolicy<SshFacts>[]): CommandDecision {
  const facts: SshFacts = { text: `subsystem ${name}`, requestType: 'subsystem', kinds: ['subsystem'], subsystem: name, writes: [] };
  return { requestType: 'subsystem', text: facts.text, decision: decide(facts, policies) };
}

/**
 * The operation text of an interactive shell. The approval digest binds it (with the request kind,
 * the target and the identity), so it names the request and nothing that varies between two opens
 * of the same shell: not the terminal type or size, which the agent picks freely and which change
 * nothing the host allows. A session-scoped approval of a shell thus covers the next shell too.
 */
export const SHELL_TEXT = 'shell';

/**
 * An interactive session (`shell`, with or without a terminal) as one operation. Its keystrokes
 * cannot be decided one by one, so the whole session is decided when it opens; an allow rule covers
 * it only when it names `requestTypes: [shell]` (ssh-match.ts).
 */
export function decideShell(policies: readonly CompiledPolicy<SshFacts>[]): CommandDecision {
  const facts: SshFacts = { text: SHELL_TEXT, requestType: 'shell', kinds: ['shell'], writes: [] };
  return { requestType: 'shell', text: facts.text, decision: decide(facts, policies) };
}
