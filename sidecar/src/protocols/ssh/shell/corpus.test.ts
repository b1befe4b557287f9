/**
 * The shell corpus: for every line, the programs the analysis names (or why it cannot), and what
 * the sample policy decides. Prints how many lines were read, unknown, allowed, held and denied.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type CompiledPolicy, compilePolicy, compileSshMatch, type SshFacts } from '@airlock/contracts/policy';
import { decideExec } from '../exec-operations.ts';
import { analyzeCommandLine, ShellParser } from './index.ts';
import { SAMPLE_POLICY, SHELL_CORPUS } from './testing/corpus.ts';

let parser: ShellParser;
let policy: CompiledPolicy<SshFacts>;
const tally = { lines: 0, unknown: 0, allow: 0, requireApproval: 0, deny: 0 };

before(() => {
  parser = ShellParser.load();
  policy = compilePolicy({ name: 'sample', namespace: 'agents', spec: SAMPLE_POLICY }, compileSshMatch);
});

after(() => {
  console.log(`shell corpus: ${JSON.stringify(tally)}`);
});

const label = (line: string): string =>
  line.length > 70 ? `${JSON.stringify(line.slice(0, 60))}… (${line.length} chars)` : JSON.stringify(line);

describe('shell corpus', () => {
  test('has at least 100 lines, none twice', () => {
    assert.ok(SHELL_CORPUS.length >= 100, `${SHELL_CORPUS.length} lines`);
    assert.equal(new Set(SHELL_CORPUS.map((entry) => entry.line)).size, SHELL_CORPUS.length);
  });

  for (const entry of SHELL_CORPUS) {
    test(label(entry.line), () => {
      const facts = analyzeCommandLine(parser, entry.line);
      const programs = facts.commands.map((command) => command.program ?? '-');
      assert.deepEqual(programs, entry.programs, 'programs');
      if (entry.unknown === undefined) assert.deepEqual(facts.unknownReasons, [], 'must be read completely');
      else
        assert.ok(
          facts.unknownReasons.some((reason) => entry.unknown?.test(reason)),
          `unknown: ${JSON.stringify(facts.unknownReasons)}`,
        );
      const decision = decideExec(facts, [policy]);
      assert.equal(decision.action, entry.decision, decision.reason);
      tally.lines++;
      if (facts.unknownReasons.length > 0) tally.unknown++;
      tally[decision.action]++;
    });
  }
});
