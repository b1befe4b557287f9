import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  agentLines,
  commandSummary,
  deniedSentences,
  EXIT_STATUS,
  notApprovedSentences,
  shellDeniedSentences,
  shellSummary,
  waitingSentences,
} from './agent-messages.ts';

test('each sentence is one airlock: line, CRLF-terminated when a terminal is attached', () => {
  assert.equal(agentLines(['a', 'b c'], false).toString(), 'airlock: a\nairlock: b c\n');
  assert.equal(agentLines(['a'], true).toString(), 'airlock: a\r\n');
  assert.equal(agentLines([], false).length, 0);
});

test('a denial says denied and why; a hold names the request and how to approve and withdraw it', () => {
  assert.deepEqual(deniedSentences('denied by ApprovalPolicy p rule no-rm'), ['denied: denied by ApprovalPolicy p rule no-rm']);
  const waiting = waitingSentences({
    message: 'needs approval. Waiting for approval: ApprovalRequest bot-1a2b in namespace agents',
    detail: 'A reviewer approves it with: kubectl approve bot-1a2b -n agents',
  });
  assert.equal(waiting.length, 3);
  assert.match(waiting[0] ?? '', /ApprovalRequest bot-1a2b/);
  assert.match(waiting[1] ?? '', /kubectl approve bot-1a2b -n agents/);
  assert.match(waiting[2] ?? '', /withdraw/);
  assert.deepEqual(notApprovedSentences({ kind: 'Expired', message: 'ApprovalRequest x expired', hint: 'Run it again.' }), [
    'not run: ApprovalRequest x expired',
    'Run it again.',
  ]);
});

test('exit statuses: 126 denied, 1 not approved, 255 host not reached', () => {
  assert.deepEqual(EXIT_STATUS, { denied: 126, notApproved: 1, upstreamFailed: 255 });
});

test("the reviewer's summary is one line, names user and target, and is cut at the limit", () => {
  assert.equal(
    commandSummary('deploy', 'orders-bastion', 'systemctl\n restart\torders'),
    'ssh deploy@orders-bastion: systemctl restart orders',
  );
  assert.equal(commandSummary(undefined, 'b', 'true'), 'ssh b: true');
  const long = commandSummary('u', 't', 'x'.repeat(500), 50);
  assert.equal(long.length, 50);
  assert.ok(long.endsWith('…'));
});

test('a denied shell says why and that commands sent one by one are decided on their own', () => {
  assert.deepEqual(shellDeniedSentences('denied by ApprovalPolicy p default action', 'orders-bastion'), [
    'denied: denied by ApprovalPolicy p default action',
    "Run each command as `ssh orders-bastion '<command>'` instead: each command is then decided on its own.",
  ]);
});

test("a held shell's summary names user, target and whether it is a terminal session; the agent's terminal name is shown plain", () => {
  assert.equal(
    shellSummary('deploy', 'orders-bastion', 'xterm-256color'),
    'ssh deploy@orders-bastion: interactive shell (terminal xterm-256color)',
  );
  assert.equal(shellSummary(undefined, 'b', undefined), 'ssh b: shell without a terminal (commands read from its input)');
  assert.equal(shellSummary('u', 't', 'x\u001b[2J\nfake'), 'ssh u@t: interactive shell (terminal x??2J?fake)');
  assert.equal(shellSummary('u', 't', 'x'.repeat(100)), `ssh u@t: interactive shell (terminal ${'x'.repeat(32)})`);
  assert.equal(shellSummary('u', 't', ''), 'ssh u@t: interactive shell (terminal ?)');
});
