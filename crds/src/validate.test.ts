import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { exampleDocuments } from './examples.ts';
import { baseDocument, INVALID_CASES } from './testing/invalid-cases.ts';
import { AirlockValidator } from './validate.ts';
import { formatIssues } from './validation-issue.ts';

const validator = new AirlockValidator();

describe('examples', () => {
  const airlockExamples = exampleDocuments().filter((e) => e.doc.apiVersion === 'airlock.dev/v1alpha1');

  test('cover every kind', () => {
    assert.deepEqual(new Set(airlockExamples.map((e) => e.doc.kind)), new Set(validator.kinds()));
  });

  for (const { file, doc } of airlockExamples) {
    const name = `${String(doc.kind)}/${String((doc.metadata as { name: string }).name)}`;
    test(`${name} is valid`, () => {
      const result = validator.validate(doc);
      assert.ok(result.ok, `${file}:\n${result.ok ? '' : formatIssues(result.issues)}`);
    });
  }
});

describe('invalid documents', () => {
  for (const c of INVALID_CASES) {
    test(c.name, () => {
      const stored = baseDocument(c.base.kind, c.base.name);
      c.status?.(stored);
      const changed = structuredClone(stored);
      c.edit(changed);
      if (c.update) assert.ok(validator.validate(stored).ok, 'the stored object of an update case must itself be valid');
      const result = validator.validate(changed, c.update ? stored : undefined);
      assert.ok(!result.ok, 'expected the document to be refused');
      const found = result.issues.find((i) => i.path === c.path.replace(/^\./, '') && i.message.includes(c.message));
      assert.ok(found, `expected "${c.path}: ...${c.message}..." in:\n${formatIssues(result.issues)}`);
    });
  }

  test('transition rules need the old object and pass without one', () => {
    const doc = baseDocument('ApprovalRequest', 'ci-migrations-d46efe53-7kq2x');
    const changed = structuredClone(doc);
    changed.spec.operation.text = 'DROP TABLE public.orders';
    assert.ok(validator.validate(changed).ok);
    assert.ok(!validator.validate(changed, doc).ok);
  });

  test('an unchanged approval request passes its transition rules', () => {
    const doc = baseDocument('ApprovalRequest', 'ci-migrations-d46efe53-7kq2x');
    doc.status = { phase: 'Pending', reviews: [{ user: 'ana@example.com', decision: 'Approve', time: '2026-11-21T12:00:00Z' }] };
    const next = structuredClone(doc);
    next.status.reviews.push({ user: 'bo@example.com', decision: 'Approve', time: '2026-11-21T12:01:00Z' });
    next.status.phase = 'Approved';
    const result = validator.validate(next, doc);
    assert.ok(result.ok, result.ok ? '' : formatIssues(result.issues));
  });

  test('wrong apiVersion and kind are named', () => {
    const result = validator.validate({ apiVersion: 'airlock.dev/v1', kind: 'Gate', metadata: { name: 'x' } });
    assert.ok(!result.ok);
    assert.match(formatIssues(result.issues), /apiVersion: must be airlock\.dev\/v1alpha1/);
    assert.match(formatIssues(result.issues), /kind: must be one of Target, AgentIdentity, ApprovalPolicy, ApprovalRequest/);
  });

  test('a missing name is named', () => {
    const doc = baseDocument('Target', 'orders-db');
    doc.metadata = {};
    const result = validator.validate(doc);
    assert.ok(!result.ok);
    assert.match(formatIssues(result.issues), /metadata\.name: required/);
  });
});
