import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AirlockValidator } from '@airlock/crds';
import { readManifestFile } from './manifest-file.ts';

const validator = new AirlockValidator();

const policy = (spec: string): string => `apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata:
  name: p
  namespace: agents
spec:
${spec}`;

test('reads airlock policies, Targets and identities, and skips every other document', () => {
  const text = `apiVersion: v1
kind: Secret
metadata: {name: s}
---
${policy('  defaultAction: deny\n')}---
apiVersion: airlock.dev/v1alpha1
kind: AgentIdentity
metadata: {name: ci, namespace: agents}
spec: {serviceAccountName: ci, groups: [ci], targets: [orders-db]}
---
apiVersion: example.com/v1
kind: Target
metadata: {name: not-ours}
---
apiVersion: airlock.dev/v1alpha1
kind: ApprovalRequest
metadata: {name: r}
`;
  const { objects, problems } = readManifestFile('f.yaml', text, validator);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    objects.map((o) => [o.kind, o.object.metadata.name, o.origin.document, o.origin.line]),
    [
      ['ApprovalPolicy', 'p', 2, 5],
      ['AgentIdentity', 'ci', 3, 13],
    ],
  );
});

test('an invalid policy is reported with file, document, line, object and field', () => {
  const text = `apiVersion: v1
kind: Secret
metadata: {name: s}
---
${policy(`  rules:
    - name: reads
      match: {sql: {statementKinds: [read]}}
      action: alow
`)}`;
  const { objects, problems } = readManifestFile('bad.yaml', text, validator);
  assert.deepEqual(objects, []);
  const problem = problems.find((p) => p.field === 'spec.rules[0].action');
  assert.ok(problem, JSON.stringify(problems, null, 2));
  assert.equal(problem.code, 'InvalidObject');
  assert.equal(problem.file, 'bad.yaml');
  assert.equal(problem.document, 2);
  assert.equal(problem.line, 14);
  assert.equal(problem.object, 'ApprovalPolicy agents/p');
  assert.match(problem.message, /must be one of: allow, deny, requireApproval \(got "alow"\)/);
});

test('a valid policy whose masking would not compile is refused, as the operator would withhold it', () => {
  const text = policy(`  masking:
    rules:
      - name: emails
        columns: [customers.email]
`);
  const { problems } = readManifestFile('m.yaml', text, validator);
  assert.equal(problems.length, 1, JSON.stringify(problems));
  assert.equal(problems[0]?.code, 'PolicyDoesNotCompile');
  assert.equal(problems[0]?.field, 'spec.masking.rules[0].columns[0]');
  assert.equal(problems[0]?.line, 10);
  assert.match(problems[0]?.message ?? '', /use tableColumns/);
});

test('a hash masking rule with a key reference compiles: the Secret is not needed to test decisions', () => {
  const text = policy(`  masking:
    hashKeySecretRef: {name: k, key: key}
    rules:
      - name: emails
        columns: [email]
        strategy: hash
`);
  assert.deepEqual(readManifestFile('m.yaml', text, validator).problems, []);
});

test('YAML that does not parse is a problem, not an exception', () => {
  const { problems } = readManifestFile('y.yaml', 'kind: [ApprovalPolicy\n', validator);
  assert.equal(problems[0]?.code, 'InvalidYaml');
});
