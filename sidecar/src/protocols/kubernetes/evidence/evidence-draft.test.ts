import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sampleApprovalRequest } from '@airlock/contracts/testing/approval-request';
import { AirlockValidator } from '@airlock/crds';
import { ERROR_MAX_CHARS, NOTE_MAX_CHARS, NOTES_MAX, SUMMARY_MAX_CHARS, TEXT_MAX_CHARS } from './evidence.ts';
import { boundText, cut, EvidenceDraft } from './evidence-draft.ts';

const AT = '2026-01-01T00:00:00.000Z';

test('oversized parts are cut to the schema bounds, and the result fits spec.evidence', () => {
  const draft = new EvidenceDraft();
  draft.summary = `would delete\n${'x'.repeat(1000)}`;
  for (let i = 0; i < 5000; i++) draft.line(`  Pod orders-${i} ${'y'.repeat(20)}`);
  for (let i = 0; i < 12; i++) draft.note(`note ${i} ${'z'.repeat(600)}`, { incomplete: i === 3 });
  draft.refused('e'.repeat(5000));
  const evidence = draft.finish(AT);
  assert.equal(evidence.summary.length, SUMMARY_MAX_CHARS);
  assert.doesNotMatch(evidence.summary, /\n/);
  assert.ok(evidence.text.length <= TEXT_MAX_CHARS);
  assert.ok(evidence.text.endsWith('\n… (truncated)'));
  assert.match(evidence.text.split('\n').at(-2) ?? '', /^ {2}Pod orders-\d+ y{20}$/, 'cut at a whole line');
  assert.equal(evidence.notes?.length, NOTES_MAX);
  assert.ok(evidence.notes?.every((note) => note.length <= NOTE_MAX_CHARS));
  assert.equal(evidence.notes?.at(-1), '… and 5 more notes not shown');
  assert.equal(evidence.error?.length, ERROR_MAX_CHARS);
  assert.equal(evidence.complete, false);
  const request = sampleApprovalRequest();
  const valid = new AirlockValidator().validate({ ...request, spec: { ...request.spec, evidence } });
  assert.ok(valid.ok, JSON.stringify(!valid.ok && valid.issues));
});

test('text within the bound is kept whole; one huge line is cut where the room ends', () => {
  assert.equal(boundText(['a', 'b']), 'a\nb');
  const one = boundText(['q'.repeat(TEXT_MAX_CHARS * 2)]);
  assert.equal(one.length, TEXT_MAX_CHARS);
  assert.ok(one.endsWith('… (truncated)'));
});

test('a note said twice is kept once; evidence without notes or error has neither field', () => {
  const draft = new EvidenceDraft();
  draft.summary = 'would delete configmap c';
  const plain = draft.finish(AT);
  assert.equal('notes' in plain, false);
  assert.equal('error' in plain, false);
  assert.equal(plain.complete, true);
  draft.note('same', { incomplete: false });
  draft.note('same', { incomplete: false });
  assert.deepEqual(draft.finish(AT).notes, ['same']);
});

test('cutting never splits a surrogate pair', () => {
  assert.equal(cut('ab😀cd', 4), 'ab…');
  assert.equal(cut('abc', 3), 'abc');
});
