import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { SHELL_DYNAMIC } from '@airlock/contracts/policy';
import { analyzeCommandBytes, analyzeCommandLine, DEFAULT_SHELL_LIMITS, ShellParser } from './index.ts';

let parser: ShellParser;
before(() => {
  parser = ShellParser.load();
});

const analyze = (line: string) => analyzeCommandLine(parser, line);
const only = (line: string) => {
  const facts = analyze(line);
  assert.deepEqual(facts.unknownReasons, []);
  assert.equal(facts.commands.length, 1, JSON.stringify(facts.commands));
  return facts.commands[0]!;
};

describe('arguments', () => {
  test('after quote removal, with run-time text as SHELL_DYNAMIC', () => {
    assert.deepEqual(only(`grep -e 'a b' "c\\"d" e\\ f $'g\\th'`).arguments, ['-e', 'a b', 'c"d', 'e f', 'g\th']);
    assert.deepEqual(only('echo "$HOME/x" $(( 1 + 1 ))').arguments, [`${SHELL_DYNAMIC}/x`, SHELL_DYNAMIC]);
    assert.deepEqual(only('ls *.log {a,b} a[12]').arguments, [SHELL_DYNAMIC, SHELL_DYNAMIC, SHELL_DYNAMIC]);
    assert.deepEqual(only('ls ~/x').arguments, ['~/x'], 'a tilde in an argument is kept as written');
    assert.deepEqual(
      only(`echo héllo "wörld ✓" '日本'`).arguments,
      ['héllo', 'wörld ✓', '日本'],
      'text outside ASCII survives the copy out of Go',
    );
  });
});

describe('redirections and writes', () => {
  test('each kind, and what counts as a write', () => {
    const command = only('cmd >a >>b <c <>d 2>&1 >&e <<<f 3>|g &>h &>>i >/dev/null');
    assert.deepEqual(
      command.redirects.map((redirect) => [redirect.kind, redirect.target, redirect.fd ?? '']),
      [
        ['write', 'a', ''],
        ['append', 'b', ''],
        ['read', 'c', ''],
        ['readWrite', 'd', ''],
        ['dup', '1', '2'],
        ['write', 'e', ''],
        ['herestring', 'f', ''],
        ['write', 'g', '3'],
        ['write', 'h', ''],
        ['append', 'i', ''],
        ['write', '/dev/null', ''],
      ],
    );
    assert.deepEqual(command.writes, ['a', 'b', 'd', 'e', 'g', 'h', 'i']);
  });

  test('a compound command passes its redirections to every command in it', () => {
    const facts = analyze('{ ls; echo x; } > /tmp/out; for i in 1; do date; done >> /tmp/log');
    assert.deepEqual(
      facts.commands.map((command) => [command.program, command.writes]),
      [
        ['ls', ['/tmp/out']],
        ['echo', ['/tmp/out']],
        ['date', ['/tmp/log']],
      ],
    );
  });

  test('a target filled in at run time is a write of SHELL_DYNAMIC', () => {
    assert.deepEqual(only('echo x > "$F"').writes, [SHELL_DYNAMIC]);
    assert.deepEqual(only('echo x > /tmp/*.log').writes, [SHELL_DYNAMIC]);
  });
});

describe('users, assignments and how a command was reached', () => {
  test('sudo, su and doas: the user and whether it is root', () => {
    assert.deepEqual(only('sudo ls').runAs, { via: 'sudo', user: 'root', root: true });
    assert.deepEqual(only('sudo -u deploy ls').runAs, { via: 'sudo', user: 'deploy', root: false });
    assert.deepEqual(only('sudo -u "#0" ls').runAs, { via: 'sudo', user: '#0', root: true });
    assert.deepEqual(only('sudo -u "$U" ls').runAs, { via: 'sudo', user: SHELL_DYNAMIC, root: true });
    assert.deepEqual(only("su -c 'ls' postgres").runAs, { via: 'su', user: 'postgres', root: false });
    assert.equal(only('doas ls').runAs?.root, true);
    assert.equal(only('ls').runAs, undefined);
  });

  test('assignments from the prefix, env and sudo reach the program', () => {
    assert.deepEqual(only('A=1 env B=2 sudo C=3 ls').assignments, ['A=1', 'B=2', 'C=3']);
  });

  test('via names the wrappers, substitutions and functions, outermost first', () => {
    assert.deepEqual(only(`sudo bash -c 'nice ls'`).via, ['sudo', 'bash -c', 'nice']);
    const facts = analyze('f() { echo $(date); }');
    assert.deepEqual(
      facts.commands.map((command) => [command.program, command.via]),
      [
        ['date', ['function f', '$(...)']],
        ['echo', ['function f']],
      ],
    );
    assert.deepEqual(facts.functions, ['f']);
  });
});

describe('limits', () => {
  test('a line over maxBytes is not parsed', () => {
    const facts = analyzeCommandLine(parser, 'ls '.repeat(10), { ...DEFAULT_SHELL_LIMITS, maxBytes: 16 });
    assert.deepEqual(facts.commands, []);
    assert.match(facts.unknownReasons[0] ?? '', /30 bytes, over the limit of 16/);
  });

  test('a tree over maxNodes is unknown', () => {
    const facts = analyzeCommandLine(parser, 'ls; '.repeat(100), { ...DEFAULT_SHELL_LIMITS, maxNodes: 50 });
    assert.match(facts.unknownReasons.join(), /more than 50 syntax nodes/);
  });

  test('a walk that reaches a limit keeps the programs it found before it', () => {
    const facts = analyzeCommandLine(parser, `rm -rf /srv; eval 'eval "ls"'`, { ...DEFAULT_SHELL_LIMITS, maxNestedScripts: 1 });
    assert.deepEqual(
      facts.commands.map((command) => command.program),
      ['rm'],
    );
    assert.match(facts.unknownReasons.join(), /nests scripts more than 1 deep/);
  });

  test('scripts nest at most maxNestedScripts deep', () => {
    let line = 'ls';
    for (let i = 0; i < 5; i++) line = `eval ${JSON.stringify(line).replaceAll('$', '\\$')}`;
    assert.match(analyze(line).unknownReasons.join(), /nests scripts more than 4 deep/);
  });

  test('bytes that are not UTF-8 are unknown', () => {
    const facts = analyzeCommandBytes(parser, Uint8Array.from([0x6c, 0x73, 0x20, 0xff]));
    assert.deepEqual(facts.unknownReasons, ['it is not valid UTF-8']);
    assert.deepEqual(analyzeCommandBytes(parser, new TextEncoder().encode('ls -l')).commands[0]?.program, 'ls');
  });

  test('the same text gives the same facts: nothing is kept between calls', () => {
    const line = 'A=1 sudo bash -c "ls > /tmp/x; f() { date; }"';
    assert.deepEqual(analyze(line), analyze(line));
  });
});
