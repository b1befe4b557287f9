import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALICE, approvalRequest, CAROL, NOW } from '../testing/requests.ts';
import { requestView } from './request-view.ts';
import { COLOR } from './terminal-text.ts';

const SQL = "SELECT id FROM orders WHERE status = 'open' AND total > 100";

test('the view has everything a reviewer decides on, the exact statement first', () => {
  const request = approvalRequest({
    text: SQL,
    onBehalfOf: 'carol@example.com',
    approvals: '1/2',
    reviews: [
      { user: 'bob@example.com', groups: ['db-owners'], decision: 'Approve', reason: 'checked the archive', time: '2026-11-21T13:24:00Z' },
    ],
  });
  const view = requestView(request, { now: NOW, me: ALICE });
  for (const expected of [
    'ApprovalRequest ci-migrations-d46efe53-7kq2x in namespace agents',
    'Pending — Waiting for 2 approvals from group db-owners.',
    'Expires:          in 5m (2026-11-21T13:30:00Z)',
    `Statement for postgres Target orders-db:\n  │ ${SQL}\n`,
    `Digest:           sha256:${'d4'.repeat(32)}`,
    'Requester:        AgentIdentity ci-migrations',
    'Service account:  system:serviceaccount:agents:ci-migrations',
    'Pod:              migrate-orders-28814-x7tqp (uid 6f1c2a4e-93b1-4c8e-9d55-0b7f3a1e2c44)',
    'On behalf of:     carol@example.com',
    'Asked by:         ApprovalPolicy prod-databases, rule ddl-needs-two-owners',
    'Approvals:        1/2 — needs 2 distinct approvers: members of group db-owners',
    'bob@example.com   Approve   60s ago   checked the archive',
    'You:              alice@example.com — you may review it as a member of group db-owners: kubectl approve ci-migrations-d46efe53-7kq2x -n agents',
    'Session 01JDZ8Q4R6N3K2M7V5T9W1X0YA: earlier statements not shown; add --recordings DIR',
  ]) {
    assert.ok(view.includes(expected), `missing ${JSON.stringify(expected)} in:\n${view}`);
  }
});

test('on a terminal SQL is laid out and highlighted, and the view says only whitespace changed', () => {
  const view = requestView(approvalRequest({ text: SQL }), { now: NOW, pretty: true, style: COLOR });
  assert.ok(view.includes('\u001b[1;34mWHERE\u001b[22;39m status'));
  assert.ok(view.includes('laid out for reading (whitespace only); --raw shows it as sent'));
  const plain = requestView(approvalRequest({ text: SQL }), { now: NOW, pretty: true });
  assert.ok(plain.includes("  │ SELECT id\n  │ FROM orders\n  │ WHERE status = 'open'\n  │   AND total > 100\n"));
});

test('hidden characters are shown and called out', () => {
  const view = requestView(approvalRequest({ text: "DELETE FROM orders WHERE note = 'x\u202e'\r\u001b[2KSELECT 1" }), { now: NOW });
  assert.ok(view.includes("DELETE FROM orders WHERE note = 'x\\u{202E}'\\u{000D}\\u{001B}[2KSELECT 1"));
  assert.ok(view.includes('3 control or invisible characters are shown as \\u{...}: check what they do before approving'));
});

test('who may not review is told why, before trying', () => {
  const request = approvalRequest({ onBehalfOf: 'carol@example.com', approvers: { groups: ['db-owners', 'sre'] } });
  assert.match(
    requestView(request, { now: NOW, me: CAROL }),
    /You: +carol@example.com — you cannot review it: you are the person the agent acts for/,
  );
  assert.match(
    requestView(approvalRequest(), { now: NOW, me: CAROL }),
    /You: +carol@example.com — you are not an approver \(your groups: sre, airlock-reviewers/,
  );
  const expired = approvalRequest({ expiresAt: '2026-11-21T13:00:00Z' });
  assert.match(requestView(expired, { now: NOW, me: ALICE }), /Pending, past its expiry: it can no longer be approved/);
});

test('a decided request shows its outcome and no expiry', () => {
  const view = requestView(approvalRequest({ phase: 'Denied' }), { now: NOW, me: ALICE });
  assert.ok(view.includes('Phase:            Denied'));
  assert.ok(!view.includes('Expires:          '));
  assert.ok(view.includes('the request is Denied, reviews are closed'));
});

test('a sub-agent asking: the chain, human first, right under the identity; the on-behalf-of line stays', () => {
  const request = approvalRequest({
    identity: 'orders-deploy-main',
    onBehalfOf: 'alice@example.com',
    issuer: 'https://issuer.example.com',
    delegation: { depth: 2, chain: ['researcher', 'sql-writer'] },
  });
  const view = requestView(request, { now: NOW });
  assert.ok(
    view.includes(
      'Requester:        AgentIdentity orders-deploy-main\n' +
        'Chain:            alice@example.com → orders-deploy-main (identity) → researcher → sql-writer (depth 2)\n',
    ),
    view,
  );
  assert.ok(view.includes('On behalf of:     alice@example.com (issuer https://issuer.example.com)'), view);
});

test('no delegation and nobody acted for: no chain line', () => {
  const view = requestView(approvalRequest(), { now: NOW });
  assert.ok(view.includes('Requester:        AgentIdentity ci-migrations\nService account:'), view);
  assert.ok(!view.includes('Chain:'), view);
});

test('a sub-agent name cannot add lines or escape sequences to the view', () => {
  const request = approvalRequest({ delegation: { depth: 1, chain: ['sql-writer\nYou:              approved\u001b[1A\u001b[2K'] } });
  const plain = requestView(request, { now: NOW });
  const honest = requestView(approvalRequest({ delegation: { depth: 1, chain: ['sql-writer'] } }), { now: NOW });
  assert.equal(plain.split('\n').length, honest.split('\n').length);
  assert.ok(!plain.includes('\u001b'), plain);
  assert.match(plain, /^Chain: +ci-migrations \(identity\) → sql-writer You: approved\\u\{001B\}\[1A\\u\{001B\}\[2K \(depth 1\)$/m);
});
