/**
 * An exec command line as policy sees it: one SshFacts per program the shell analysis found, each
 * with its own arguments, files written and sudo user (contracts policy/ssh-match.ts). The line is
 * decided program by program and the strictest decision governs it, as a PostgreSQL message of
 * several statements is: a line is allowed only when every program in it is.
 *
 * A line the analysis could not read completely makes every operation `unknown` (never allowed),
 * while each still names its program, so a deny rule for a program the line visibly runs denies
 * the line rather than leaving it to approval. A line that runs nothing (`''`, a comment) is one
 * operation without a program.
 *
 * A program that is a file transfer (`scp -t`/`-f`, `rsync --server`: transfer/exec-transfer.ts)
 * also carries the transfer's directions and paths, so the rules that decide SFTP requests decide
 * it too; one whose transfer cannot be read is `unknown` on its own.
 */
import { type CompiledPolicy, type Decision, decide, type SshFacts, strictestDecision } from '@airlock/contracts/policy';
import type { ShellCommand, ShellFacts } from './shell/index.ts';
import { execTransfer } from './transfer/exec-transfer.ts';

export function execOperations(facts: ShellFacts): SshFacts[] {
  const unknown = facts.unknownReasons.length > 0;
  const common = {
    text: facts.text,
    requestType: 'exec' as const,
    kinds: unknown ? ['exec', 'unknown'] : ['exec'],
    ...(unknown ? { unknownReason: facts.unknownReasons.join('; ') } : {}),
  };
  if (facts.commands.length === 0) return [{ ...common, writes: [] }];
  return facts.commands.map((command) => ({
    ...common,
    ...(command.program === undefined ? {} : { program: command.program, arguments: command.arguments.join(' ') }),
    writes: command.writes,
    ...(command.runAs ? { runAs: command.runAs.user } : {}),
    ...transferFacets(command, facts, common),
  }));
}

function transferFacets(command: ShellCommand, facts: ShellFacts, common: Pick<SshFacts, 'kinds' | 'unknownReason'>): Partial<SshFacts> {
  const transfer = execTransfer(command, facts);
  if (transfer === undefined) return {};
  const facets = { directions: transfer.directions, paths: transfer.paths };
  if (transfer.unknownReason === undefined) return facets;
  const reasons = [common.unknownReason, transfer.unknownReason].filter((reason) => reason !== undefined);
  return { ...facets, kinds: ['exec', 'unknown'], unknownReason: reasons.join('; ') };
}

/** The decision for a whole exec command line: each program decided, the strictest governs. */
export function decideExec(facts: ShellFacts, policies: readonly CompiledPolicy<SshFacts>[]): Decision {
  return strictestDecision(execOperations(facts).map((operation) => decide(operation, policies)));
}
