import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlDocuments, pathSegments } from './yaml-documents.ts';

test('pathSegments splits keys and indexes', () => {
  assert.deepEqual(pathSegments('spec.rules[0].match.sql.commands[2]'), ['spec', 'rules', 0, 'match', 'sql', 'commands', 2]);
  assert.deepEqual(pathSegments('cases[3]'), ['cases', 3]);
  assert.deepEqual(pathSegments('kind'), ['kind']);
});

const text = `# a comment
apiVersion: v1
kind: Secret
---
---
kind: Policy
spec:
  rules:
    - name: a
      action: allow
    - name: b
      action: alow
  labels:
    app.kubernetes.io/name: x
`;

test('documents keep their position; empty ones are skipped; fields map back to lines', () => {
  const { documents, problems } = parseYamlDocuments('f.yaml', text);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    documents.map((d) => [d.index, d.line]),
    [
      [1, 2],
      [3, 6],
    ],
  );
  const policy = documents[1];
  assert.ok(policy);
  assert.equal(policy.lineOf('spec.rules[1].action'), 12);
  assert.equal(policy.lineOf('spec.rules[1].match'), 11, 'a missing field points at its parent');
  assert.equal(
    policy.lineOf('spec.labels.app.kubernetes.io/name'),
    14,
    'a key with dots falls back to the nearest field found: the labels',
  );
});

test('YAML errors are problems with a line, and the other documents still count', () => {
  const { documents, problems } = parseYamlDocuments('bad.yaml', 'a: 1\n---\nb: [1, 2\nc: 3\n');
  assert.equal(documents.length, 1);
  assert.ok(problems.length > 0);
  assert.equal(problems[0]?.code, 'InvalidYaml');
  assert.equal(problems[0]?.document, 2);
  assert.ok((problems[0]?.line ?? 0) >= 3, JSON.stringify(problems[0]));
});
