import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
      'NAMESPACE   NAME       PHASE     AGE   REQUESTER       TARGET      SUMMARY                                APPROVALS   EXPIRES   ON-BEHALF-OF        POLICY/RULE                           DIGEST                CHAIN',
      'agents      done       Denied    5m    ci-migrations   orders-db   DROP TABLE public.order_archive_2019   0/2         -         carol@example.com   prod-databases/ddl-needs-two-owners   sha256:d4d4d4d4d4d4   carol@example.com→ci-migrations',
      'batch       other-ns   Pending   5m    ci-migrations   orders-db   DROP TABLE public.order_archive_2019   0/1         in 5m     -                   prod-databases/ddl-needs-two-owners   sha256:d4d4d4d4d4d4   -',
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

describe('sub-agents', () => {
  const delegated = [
    approvalRequest({ name: 'direct', identity: 'orders-deploy-main', expiresAt: '2026-11-21T13:26:00Z' }),
    approvalRequest({
      name: 'one-hop',
      identity: 'orders-deploy-main',
      onBehalfOf: 'alice@example.com',
      delegation: { depth: 1, chain: ['sql-writer'] },
      expiresAt: '2026-11-21T13:27:00Z',
    }),
    approvalRequest({
      name: 'two-hops',
      identity: 'orders-deploy-main',
      onBehalfOf: 'alice@example.com',
      delegation: { depth: 2, chain: ['researcher', 'sql-writer'] },
      expiresAt: '2026-11-21T13:28:00Z',
    }),
  ];

  test('the default table names the identity and the sub-agent asking, an ellipsis for those between', () => {
    assert.deepEqual(
      requestTable(delegated, { now: NOW })
        .split('\n')
        .map((line) => line.split(/ {3,}/)[2]),
      ['REQUESTER', 'orders-deploy-main', 'orders-deploy-main/sql-writer', 'orders-deploy-main/…/sql-writer', undefined],
    );
  });

  test('-o wide ends with the whole chain, human first', () => {
    const chains = requestTable(delegated, { now: NOW, wide: true })
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/ {3,}/).at(-1));
    assert.deepEqual(chains, [
      'CHAIN',
      '-',
      'alice@example.com→orders-deploy-main→sql-writer',
      'alice@example.com→orders-deploy-main→researcher→sql-writer',
    ]);
  });

  test('a sub-agent name cannot break a row', () => {
    const hostile = approvalRequest({ delegation: { depth: 1, chain: ['w\nNAME   fake-row\u001b[2K'] } });
    for (const wide of [false, true]) {
      const table = requestTable([hostile], { now: NOW, wide });
      assert.equal(table.split('\n').length, 3, table);
      assert.ok(!table.includes('\u001b'), table);
      assert.ok(table.includes('ci-migrations/w NAME fake-row\\u{001B}[2K'), table);
    }
  });
});
