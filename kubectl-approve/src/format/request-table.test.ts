import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approvalRequest, NOW } from '../testing/requests.ts';
import { requestTable } from './request-table.ts';

const requests = [
  approvalRequest({ name: 'later', expiresAt: '2026-11-21T14:00:00Z', text: 'DELETE FROM orders WHERE id = 7' }),
  approvalRequest({
    name: 'sooner',
    created: '2026-11-21T13:24:10Z',
    summary: "UPDATE public.orders SET status = $1 WHERE created < now() - interval '90 days' AND status IN ('open', 'held')",
    approvals: '1/2',
  }),
  approvalRequest({ name: 'other-ns', namespace: 'batch', requiredApprovals: 1 }),
];

test('the table is stable: the most urgent first, fixed columns, long summaries cut', () => {
  assert.equal(
    requestTable(requests.slice(0, 2), { now: NOW }),
    [
      'NAME     AGE   REQUESTER       TARGET      SUMMARY                                                        APPROVALS   EXPIRES',
      'sooner   50s   ci-migrations   orders-db   UPDATE public.orders SET status = $1 WHERE created < now() …   1/2         in 5m',
      'later    5m    ci-migrations   orders-db   DELETE FROM orders WHERE id = 7                                0/2         in 35m',
      '',
    ].join('\n'),
  );
  // Whatever order the API server listed them in.
  assert.equal(requestTable([...requests.slice(0, 2)].reverse(), { now: NOW }), requestTable(requests.slice(0, 2), { now: NOW }));
});

test('-A adds the namespace, --all the phase, -o wide who it is for, the rule and the digest', () => {
  const decided = approvalRequest({ name: 'done', phase: 'Denied', onBehalfOf: 'carol@example.com' });
  assert.equal(
    requestTable([requests[2]!, decided], { now: NOW, allNamespaces: true, showPhase: true, wide: true }),
    [
      'NAMESPACE   NAME       PHASE     AGE   REQUESTER       TARGET      SUMMARY                                APPROVALS   EXPIRES   ON-BEHALF-OF        POLICY/RULE                           DIGEST',
      'agents      done       Denied    5m    ci-migrations   orders-db   DROP TABLE public.order_archive_2019   0/2         -         carol@example.com   prod-databases/ddl-needs-two-owners   sha256:d4d4d4d4d4d4',
      'batch       other-ns   Pending   5m    ci-migrations   orders-db   DROP TABLE public.order_archive_2019   0/1         in 5m     -                   prod-databases/ddl-needs-two-owners   sha256:d4d4d4d4d4d4',
      '',
    ].join('\n'),
  );
});

test('an agent cannot break the table with newlines or escape sequences in its summary', () => {
  const table = requestTable([approvalRequest({ summary: 'SELECT 1\nNAME  fake-row\u001b[2K' })], { now: NOW });
  assert.equal(table.split('\n').length, 3);
  assert.ok(table.includes('SELECT 1 NAME fake-row\\u{001B}[2K'));
});

test('without a status yet, a request counts as Pending with no approvals', () => {
  const table = requestTable([approvalRequest({ withStatus: false })], { now: NOW, showPhase: true });
  assert.match(table.split('\n')[1]!, /Pending .* 0\/2 {9}in 5m$/);
});
