import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Evidence } from '@airlock/crds';
import { approvalRequest, NOW } from '../testing/requests.ts';
import { EVIDENCE_GUTTER, evidenceLines } from './evidence-view.ts';
import { requestView } from './request-view.ts';
import { COLOR } from './terminal-text.ts';

const DELETE: Evidence = {
  source: 'DryRun',
  summary: 'would delete deployment orders and, by propagation, 2 replicasets and 6 pods',
  text: 'deployment.apps/orders -n prod-eu\n  replicaset.apps/orders-6d4cf56db6 (3 pods)\n  replicaset.apps/orders-7f9c8b4d5 (3 pods)\n',
  complete: true,
  collectedAt: '2026-11-21T13:23:00Z',
};

test('the section says where the evidence came from, when, that the approval does not bind to it, and shows it all', () => {
  const lines = evidenceLines(DELETE, { now: NOW });
  assert.deepEqual(lines, [
    'Evidence (dry run: the same request sent upstream with dryRun=All, nothing stored), collected 2m ago at 2026-11-21T13:23:00Z:',
    '  collected before approval; the approval binds to the digest, not to this — it may have changed since',
    '  would delete deployment orders and, by propagation, 2 replicasets and 6 pods',
    `${EVIDENCE_GUTTER}deployment.apps/orders -n prod-eu`,
    `${EVIDENCE_GUTTER}  replicaset.apps/orders-6d4cf56db6 (3 pods)`,
    `${EVIDENCE_GUTTER}  replicaset.apps/orders-7f9c8b4d5 (3 pods)`,
  ]);
});

test('no evidence, no section', () => {
  assert.deepEqual(evidenceLines(undefined, { now: NOW }), []);
  assert.ok(!requestView(approvalRequest(), { now: NOW }).includes('Evidence'));
});

test('incomplete evidence names what is missing; a failed preview shows the error', () => {
  const partial = evidenceLines(
    { ...DELETE, complete: false, notes: ['pods of replicaset orders-7f9c8b4d5: listing pods is forbidden for this agent'] },
    { now: NOW },
  );
  assert.ok(
    partial.includes('  incomplete: pods of replicaset orders-7f9c8b4d5: listing pods is forbidden for this agent'),
    partial.join('\n'),
  );
  const unexplained = evidenceLines({ ...DELETE, complete: false }, { now: NOW });
  assert.ok(unexplained.includes('  incomplete: part of what the command would do could not be previewed'), unexplained.join('\n'));
  const failed = evidenceLines(
    {
      source: 'DryRun',
      summary: 'the server refused the dry run',
      error: 'Precondition failed: UID in precondition: 1234, UID in object meta: 5678',
      collectedAt: '2026-11-21T13:24:30Z',
    },
    { now: NOW },
  );
  assert.ok(
    failed.includes('  preview failed: Precondition failed: UID in precondition: 1234, UID in object meta: 5678'),
    failed.join('\n'),
  );
  assert.ok(!failed.some((l) => l.startsWith(EVIDENCE_GUTTER)), 'no text, no text lines');
  assert.ok(!failed.some((l) => l.includes('incomplete')), 'complete unset is not a claim of incompleteness');
});

test('hostile evidence: escapes are shown, not obeyed; a newline in a name cannot forge a line outside the evidence', () => {
  const hostile: Evidence = {
    source: 'DryRun',
    // A name chosen to clear the line and claim nothing would happen.
    summary: 'would delete pod/x\r\u001b[2Knothing would be deleted',
    text: 'pod/a\u001b[8m-hidden\u001b[0m\nDigest:           sha256:fake\npod/b\u202e',
    notes: ['namespace\nApprovals:        2/2'],
    error: 'pods "x\u0007" is forbidden',
    complete: false,
    collectedAt: '2026-11-21T13:24:00Z',
  };
  const lines = evidenceLines(hostile, { now: NOW });
  const all = lines.join('\n');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/u.test(all), `a control character got through:\n${JSON.stringify(all)}`);
  assert.ok(lines.includes('  would delete pod/x \\u{001B}[2Knothing would be deleted'), all);
  assert.ok(lines.includes(`${EVIDENCE_GUTTER}pod/a\\u{001B}[8m-hidden\\u{001B}[0m`), all);
  // The newline in the text starts a new evidence line, inside the gutter, never a field of the view.
  assert.ok(lines.includes(`${EVIDENCE_GUTTER}Digest:           sha256:fake`), all);
  assert.ok(lines.includes(`${EVIDENCE_GUTTER}pod/b\\u{202E}`), all);
  assert.ok(lines.includes('  incomplete: namespace Approvals: 2/2'), all);
  assert.ok(lines.includes('  preview failed: pods "x\\u{0007}" is forbidden'), all);
  assert.ok(lines.includes('  5 control or invisible characters are in the evidence, shown as \\u{...}'), all);
  const view = requestView(approvalRequest({ type: 'kubernetes', evidence: hostile }), { now: NOW });
  assert.equal(view.match(/^Digest: /gm)?.length, 1, view);
  assert.equal(view.match(/^Approvals: /gm)?.length, 1, view);
});

test('on a terminal, escapes in the evidence are highlighted like those in the command', () => {
  const lines = evidenceLines({ ...DELETE, text: 'pod/x\u001b[2K' }, { now: NOW, style: COLOR });
  assert.ok(
    lines.some((l) => l.endsWith('pod/x\u001b[7m\\u{001B}\u001b[27m[2K')),
    JSON.stringify(lines),
  );
});

test('in the show view, the evidence follows the command and its digest and comes before the requester', () => {
  const view = requestView(
    approvalRequest({ type: 'kubernetes', text: 'DELETE /apis/apps/v1/namespaces/prod-eu/deployments/orders', evidence: DELETE }),
    { now: NOW },
  );
  const digest = view.indexOf('Digest:');
  const evidence = view.indexOf('Evidence (dry run');
  const requester = view.indexOf('Requester:');
  assert.ok(digest >= 0 && digest < evidence && evidence < requester, view);
  assert.ok(view.includes(`Digest:           sha256:${'d4'.repeat(32)}\n\nEvidence (dry run`), view);
  assert.ok(view.includes(`${EVIDENCE_GUTTER}  replicaset.apps/orders-7f9c8b4d5 (3 pods)\n\nRequester:`), view);
});
