import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArguments } from './arguments.ts';
import { PolicyTestError } from './errors.ts';

test('files and directories, text by default, json on request', () => {
  assert.deepEqual(parseArguments(['a.yaml', 'dir']), { kind: 'run', paths: ['a.yaml', 'dir'], output: 'text' });
  assert.deepEqual(parseArguments(['-o', 'json', 'a.yaml']), { kind: 'run', paths: ['a.yaml'], output: 'json' });
  assert.deepEqual(parseArguments(['--output=json', 'a.yaml']), { kind: 'run', paths: ['a.yaml'], output: 'json' });
});

test('help wins over everything else', () => {
  assert.deepEqual(parseArguments(['-h']), { kind: 'help' });
  assert.deepEqual(parseArguments(['a.yaml', '--help', '--output', 'xml']), { kind: 'help' });
});

test('wrong arguments are Usage errors that say what to do', () => {
  const usage = (argv: string[], message: RegExp) =>
    assert.throws(
      () => parseArguments(argv),
      (error: unknown) => error instanceof PolicyTestError && error.code === 'Usage' && error.exitCode === 2 && message.test(error.message),
    );
  usage([], /name at least one test file or directory/);
  usage(['--output', 'xml', 'a.yaml'], /--output must be text or json \(got "xml"\)/);
  usage(['--verbose', 'a.yaml'], /Unknown option '--verbose'.*see --help/);
});
