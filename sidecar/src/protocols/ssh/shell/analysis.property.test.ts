/**
 * Properties of the analysis and the decision over generated command lines: wrapping a line in a
 * shell, eval or a transparent wrapper names the same programs; quoting a program name any way
 * bash allows names the same program; doing more never makes a line more permitted; and no input
 * makes the analysis throw.
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { type CompiledPolicy, compilePolicy, compileSshMatch, type SshFacts } from '@airlock/contracts/policy';
import fc from 'fast-check';
import { decideExec } from '../exec-operations.ts';
import { analyzeCommandBytes, analyzeCommandLine, type ShellFacts, ShellParser } from './index.ts';
import { SAMPLE_POLICY } from './testing/corpus.ts';

let parser: ShellParser;
let policy: CompiledPolicy<SshFacts>;
before(() => {
  parser = ShellParser.load();
  policy = compilePolicy({ name: 'sample', namespace: 'agents', spec: SAMPLE_POLICY }, compileSshMatch);
});

const RUNS = { numRuns: 150 };
const programs = fc.constantFrom('ls', 'cat', 'grep', 'echo', 'df', 'wc', 'uptime', 'systemctl', 'git', 'rm');
const argument = fc.stringMatching(/^[a-zA-Z0-9_./-]{1,12}$/);
const simple = fc.tuple(programs, fc.array(argument, { maxLength: 4 })).map(([program, args]) => [program, ...args].join(' '));
const line = fc
  .tuple(simple, fc.array(fc.tuple(fc.constantFrom(' | ', ' && ', ' || ', '; '), simple), { maxLength: 3 }))
  .map(([first, rest]) => first + rest.map(([op, command]) => op + command).join(''));

const singleQuoted = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
const shape = (facts: ShellFacts) => ({
  unknown: facts.unknownReasons,
  commands: facts.commands.map((command) => [command.program, command.arguments, command.writes]),
});

test('wrapping a line in bash -c, sh -c or eval names the same programs, arguments and writes', () => {
  fc.assert(
    fc.property(line, fc.constantFrom('bash -c', 'sh -c', 'eval', 'bash -e -c', 'env bash -c'), (text, wrapper) => {
      const plain = analyzeCommandLine(parser, text);
      const wrapped = analyzeCommandLine(parser, `${wrapper} ${singleQuoted(text)}`);
      assert.deepEqual(shape(wrapped), shape(plain));
      assert.equal(decideExec(wrapped, [policy]).action, decideExec(plain, [policy]).action);
    }),
    RUNS,
  );
});

test('a transparent wrapper names the same program; sudo adds root, which no allow rule here covers', () => {
  fc.assert(
    fc.property(
      simple,
      fc.constantFrom('nice -n 5', 'nohup', 'timeout 10', 'stdbuf -oL', 'command', 'env FOO=1', 'sudo', 'sudo -u root --'),
      (text, wrapper) => {
        const plain = analyzeCommandLine(parser, text);
        const wrapped = analyzeCommandLine(parser, `${wrapper} ${text}`);
        assert.deepEqual(shape(wrapped), shape(plain));
        if (wrapper.startsWith('sudo')) {
          assert.equal(wrapped.commands[0]?.runAs?.root, true);
          assert.notEqual(decideExec(wrapped, [policy]).action, 'allow');
        }
      },
    ),
    RUNS,
  );
});

/** One way bash reads each character of a name back as that character. */
const quotedChar = (c: string): fc.Arbitrary<string> =>
  fc.constantFrom(
    c,
    `'${c}'`,
    `"${c}"`,
    `\\${c}`,
    `$'\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}'`,
    `$'\\${c.charCodeAt(0).toString(8).padStart(3, '0')}'`,
  );

test('however a program name is quoted or escaped, it is the same program', () => {
  fc.assert(
    fc.property(
      programs.chain((program) => fc.tuple(fc.constant(program), fc.tuple(...Array.from(program, quotedChar)))),
      ([program, pieces]) => {
        const facts = analyzeCommandLine(parser, `${pieces.join('')} -x`);
        assert.deepEqual(facts.unknownReasons, []);
        assert.equal(facts.commands[0]?.program, program);
      },
    ),
    RUNS,
  );
});

test('doing more never makes a line more permitted: appending ; rm makes any line denied', () => {
  const severity = { allow: 0, requireApproval: 1, deny: 2 } as const;
  fc.assert(
    fc.property(line, simple, fc.constantFrom('; ', ' && ', ' | ', ' || '), (text, extra, op) => {
      const before = decideExec(analyzeCommandLine(parser, text), [policy]).action;
      const more = decideExec(analyzeCommandLine(parser, `${text}${op}${extra}`), [policy]).action;
      assert.ok(severity[more] >= severity[before], `${before} → ${more}`);
      assert.equal(decideExec(analyzeCommandLine(parser, `${text}; rm -rf /srv`), [policy]).action, 'deny');
    }),
    RUNS,
  );
});

test('no text and no bytes make the analysis throw', () => {
  const shellish = fc.string({
    unit: fc.constantFrom(
      'a',
      ' ',
      "'",
      '"',
      '\\',
      '$',
      '(',
      ')',
      '{',
      '}',
      '`',
      '|',
      '&',
      ';',
      '<',
      '>',
      '*',
      '[',
      ']',
      '=',
      '\n',
      '#',
      '!',
      '~',
      'x',
    ),
    maxLength: 60,
  });
  fc.assert(
    fc.property(shellish, (text) => {
      const facts = analyzeCommandLine(parser, text);
      assert.equal(facts.text, text);
      for (const command of facts.commands) assert.ok(command.program === undefined || typeof command.program === 'string');
    }),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
      analyzeCommandBytes(parser, bytes);
    }),
    { numRuns: 200 },
  );
});
