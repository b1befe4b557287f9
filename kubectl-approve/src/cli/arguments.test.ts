import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApproveError } from '../errors.ts';
import { parseArguments } from './arguments.ts';

const usage = (argv: string[], message: RegExp) =>
  assert.throws(
    () => parseArguments(argv),
    (error: unknown) => error instanceof ApproveError && error.code === 'Usage' && error.exitCode === 2 && message.test(error.message),
  );

test('subcommands and kubectl-style flags', () => {
  assert.deepEqual(parseArguments(['list', '-A', '--all', '-owide', '--context=prod', '--kubeconfig', '/k', '-v=6']), {
    kind: 'list',
    common: { kubeconfig: '/k', context: 'prod', namespace: undefined, verbosity: 6, color: 'auto' },
    allPhases: true,
    allNamespaces: true,
    output: 'wide',
  });
  const show = parseArguments(['show', 'req-1', '-n', 'agents', '--recordings', '/rec', '--history=3', '--raw']);
  assert.equal(show.kind, 'show');
  assert.deepEqual(show.kind === 'show' && [show.name, show.common.namespace, show.recordings, show.history, show.raw], [
    'req-1',
    'agents',
    '/rec',
    3,
    true,
  ]);
  const watch = parseArguments(['watch', '--no-prompt', '-o', 'json', '--v=7']);
  assert.deepEqual(watch.kind === 'watch' && [watch.prompt, watch.output, watch.common.verbosity, watch.watchOnly], [
    false,
    'json',
    7,
    false,
  ]);
});

test('NAME... approves; --deny denies; a request named like a subcommand comes after --', () => {
  assert.deepEqual(parseArguments(['req-1', 'req-2', '--reason', ' looks fine ', '-nagents']), {
    kind: 'review',
    common: { kubeconfig: undefined, context: undefined, namespace: 'agents', verbosity: 0, color: 'auto' },
    names: ['req-1', 'req-2'],
    decision: 'Approve',
    reason: 'looks fine',
    digest: undefined,
    output: undefined,
  });
  const deny = parseArguments(['req-1', '--deny', '--reason=no']);
  assert.deepEqual(deny.kind === 'review' && [deny.decision, deny.reason], ['Deny', 'no']);
  const named = parseArguments(['--', 'list']);
  assert.deepEqual(named.kind === 'review' && named.names, ['list']);
  const digest = `sha256:${'ab'.repeat(32)}`;
  const pinned = parseArguments(['req-1', '--digest', digest]);
  assert.equal(pinned.kind === 'review' && pinned.digest, digest);
});

test('help and version', () => {
  assert.deepEqual(parseArguments([]), { kind: 'help', topic: 'main' });
  assert.deepEqual(parseArguments(['-h']), { kind: 'help', topic: 'main' });
  assert.deepEqual(parseArguments(['list', '--help']), { kind: 'help', topic: 'list' });
  assert.deepEqual(parseArguments(['req-1', '-h']), { kind: 'help', topic: 'review' });
  assert.deepEqual(parseArguments(['help', 'watch']), { kind: 'help', topic: 'watch' });
  assert.deepEqual(parseArguments(['version']), { kind: 'version' });
});

test('mistakes are usage errors (exit 2) that say what is wrong', () => {
  usage(['list', '--deny'], /--deny is not a flag of kubectl approve list/);
  usage(['req-1', '--all'], /--all is not a flag of kubectl approve NAME/);
  usage(['show'], /show needs the NAME/);
  usage(['show', 'a', 'b'], /show takes one NAME/);
  usage(['list', '-o', 'table'], /-o table: this command prints json, yaml, name, wide/);
  usage(['watch', '-o', 'yaml'], /-o yaml: this command prints json, name/);
  usage(['Bad_Name'], /"Bad_Name" is not an ApprovalRequest name/);
  usage(['req-1', '--digest', 'abc'], /--digest must be sha256:/);
  usage(['req-1', '--deny', '--approve'], /choose one/);
  usage(['list', '--bogus'], /Unknown option '--bogus'/);
  usage(['list', '--color', 'sometimes'], /--color sometimes/);
});

test('replay: a request NAME or --session ID, --recordings DIR, and --output as the file', () => {
  const byName = parseArguments(['replay', 'req-1', '-n', 'agents', '--recordings', '/rec', '-o', 'session.cast']);
  assert.deepEqual(byName.kind === 'replay' && [byName.source, byName.recordings, byName.file, byName.common.namespace], [
    { request: 'req-1' },
    '/rec',
    'session.cast',
    'agents',
  ]);
  const bySession = parseArguments(['replay', '--session=01JDZ8Q4R6N3K2M7V5T9W1X0YA', '--recordings=/rec']);
  assert.deepEqual(bySession.kind === 'replay' && [bySession.source, bySession.file], [
    { session: '01JDZ8Q4R6N3K2M7V5T9W1X0YA' },
    undefined,
  ]);
  assert.deepEqual(parseArguments(['help', 'replay']), { kind: 'help', topic: 'replay' });
  assert.deepEqual(parseArguments(['--', 'replay']).kind, 'review');
  usage(['replay', '--recordings', '/rec'], /replay needs the NAME of an ApprovalRequest, or --session ID/);
  usage(['replay', 'req-1', '--session', 's', '--recordings', '/rec'], /a NAME or --session ID, not both/);
  usage(['replay', 'a', 'b', '--recordings', '/rec'], /replay takes one NAME/);
  usage(['replay', 'req-1'], /replay needs --recordings DIR/);
  usage(['replay', '--session', '../../etc/passwd', '--recordings', '/rec'], /is not a session id/);
  usage(
    ['replay', 'req-1', '--recordings', '/rec', '-o', 'json'],
    /-o json: replay writes asciicast v2 only; --output FILE names the file/,
  );
  usage(['replay', 'req-1', '--recordings', '/rec', '--raw'], /--raw is not a flag of kubectl approve replay/);
  usage(['show', 'req-1', '--session', 's'], /--session is not a flag of kubectl approve show/);
});
