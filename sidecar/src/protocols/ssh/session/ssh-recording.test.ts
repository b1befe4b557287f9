import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePolicy, compileSshMatch } from '@airlock/contracts/policy';
import type { RecordedEvent } from '@airlock/contracts/recording';
import { ShellParser } from '../shell/index.ts';
import { decideCommand } from './command-decision.ts';
import { exitTag, resultEvent, SshRecording } from './ssh-recording.ts';

function recordingWithLog() {
  const events: RecordedEvent[] = [];
  const counted: string[] = [];
  const recording = new SshRecording({
    record: { record: (event: RecordedEvent) => events.push(event) } as never,
    metrics: {
      statement: (action: string, mode: string) => counted.push(`${action}/${mode}`),
      bytes: () => undefined,
      error: (code: string) => counted.push(code),
    } as never,
    target: { name: 'bastion', namespace: 'agents', labels: {}, spec: { type: 'ssh', localPort: 2222 } },
  });
  return { recording, events, counted };
}

const parser = ShellParser.load();
const policies = [
  compilePolicy(
    {
      name: 'p',
      namespace: 'agents',
      spec: { rules: [{ name: 'reads', match: { ssh: { programs: ['cat', 'echo'] } }, action: 'allow' }] },
    },
    compileSshMatch,
  ),
];

test('a decided command records its text, programs, written files and decision', () => {
  const { recording, events, counted } = recordingWithLog();
  const index = recording.nextCommandIndex();
  recording.decided(index, decideCommand('cat a | echo b > /tmp/out', parser, policies, { maxCommandBytes: 1024 }));
  recording.exited(index, { code: 0 });
  assert.deepEqual(
    events.map((event) => event.type),
    ['statement', 'classification', 'decision', 'result'],
  );
  assert.deepEqual(events[0], { type: 'statement', statementIndex: 0, text: 'cat a | echo b > /tmp/out' });
  assert.deepEqual(events[1], {
    type: 'classification',
    statementIndex: 0,
    kinds: ['exec'],
    commands: ['cat', 'echo'],
    objects: ['/tmp/out'],
    functions: [],
    writesWithoutWhere: false,
    cached: false,
  });
  assert.equal((events[2] as Extract<RecordedEvent, { type: 'decision' }>).action, 'deny');
  assert.deepEqual(events[3], { type: 'result', statementIndex: 0, commandTag: 'exit 0', exitStatus: 0 });
  assert.deepEqual(counted, ['deny/enforce']);
});

test('an unreadable line is recorded as unknown, with why', () => {
  const { recording, events } = recordingWithLog();
  recording.decided(recording.nextCommandIndex(), decideCommand('echo "open', parser, policies, { maxCommandBytes: 1024 }));
  const classification = events[1] as Extract<RecordedEvent, { type: 'classification' }>;
  assert.deepEqual(classification.kinds, ['exec', 'unknown']);
  assert.match(classification.unknownReason ?? '', /does not parse/);
});

test('nothing is recorded after session.close, which counts the commands', () => {
  const { recording, events } = recordingWithLog();
  recording.nextCommandIndex();
  recording.bytesIn(3);
  recording.bytesOut(5);
  recording.closed('client-disconnected');
  recording.failed(0, 'Late', 'after the close');
  assert.deepEqual(events, [{ type: 'session.close', reason: 'client-disconnected', bytesIn: 3, bytesOut: 5, statements: 1 }]);
});

test('a result says the exit as fields and as the tag older readers know', () => {
  assert.deepEqual(resultEvent(1, { code: 0 }), { type: 'result', statementIndex: 1, commandTag: 'exit 0', exitStatus: 0 });
  assert.deepEqual(resultEvent(1, { signal: 'KILL' }), { type: 'result', statementIndex: 1, commandTag: 'signal KILL', signal: 'KILL' });
  assert.deepEqual(resultEvent(1, {}), { type: 'result', statementIndex: 1, commandTag: 'closed' });
});

test('exit tags', () => {
  assert.equal(exitTag({ code: 3 }), 'exit 3');
  assert.equal(exitTag({ signal: 'TERM' }), 'signal TERM');
  assert.equal(exitTag({}), 'closed');
});
