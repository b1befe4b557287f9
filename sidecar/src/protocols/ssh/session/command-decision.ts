/**
 * The one place an SSH channel request is decided: an exec command line is read by the shell
 * analysis and decided program by program (exec-operations.ts); any other request (a subsystem)
 * is one operation of its request type. A line over the command limit is denied unread. Pure
 * given the parser: text and compiled policies in, the facts and the decision out.
 */
import type { CompiledPolicy, Decision, SshFacts } from '@airlock/contracts/policy';
import { decide } from '@airlock/contracts/policy';
import { decideExec } from '../exec-operations.ts';
import { commandOverLimit, type SshLimits } from '../limits/ssh-limits.ts';
import { analyzeCommandLine, type ShellFacts, type ShellParser } from '../shell/index.ts';

export interface CommandDecision {
  readonly requestType: 'exec' | 'subsystem';
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
