import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AgentIdentity, ApprovalPolicy, Target } from '@airlock/crds';
import type { ManifestObject } from './manifest-file.ts';
import { DEFAULT_IDENTITY, type DocumentSite, delegationChain, type ResolveResult, resolveSuite } from './resolve-suite.ts';
import type { CaseText, PolicyTestDocument, TestCase } from './test-file-format.ts';

const origin = { file: 'p.yaml', document: 1, line: 1 };
const site: DocumentSite = { file: 't.yaml', document: 1, line: 1, lineOf: (path) => path.length };

const policy = (name: string, namespace?: string): ManifestObject => {
  const object: ApprovalPolicy = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalPolicy',
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: { rules: [{ name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' }], defaultAction: 'deny' },
  };
  return { kind: 'ApprovalPolicy', object, origin };
};

const target = (name: string, namespace: string, type: Target['spec']['type'] = 'postgres'): ManifestObject => {
  const object: Target = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name, namespace, labels: { env: 'prod' } },
    spec: { type, localPort: 5432 },
  };
  return { kind: 'Target', object, origin };
};

const identity: ManifestObject = {
  kind: 'AgentIdentity',
  object: {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name: 'ci', namespace: 'agents', labels: { team: 'data' } },
    spec: { serviceAccountName: 'ci-sa', groups: ['ci'], targets: ['orders-db'], delegation: { maxDepth: 2 } },
  } satisfies AgentIdentity,
  origin,
};

const oneCase = (extra: Partial<Omit<TestCase, keyof CaseText>> = {}, text: CaseText = { sql: 'SELECT 1' }): TestCase => ({
  field: 'cases[0]',
  expect: 'allow',
  ...extra,
  ...text,
});
const doc = (extra: Partial<PolicyTestDocument> = {}): PolicyTestDocument => ({
  files: ['p.yaml'],
  target: { form: 'ref', name: 'orders-db' },
  cases: [oneCase()],
  ...extra,
});

const problemsOf = (result: ResolveResult): string[] => {
  assert.ok(!result.ok, 'expected problems');
  return result.problems.map((p) => `${p.code} ${p.field ?? ''}: ${p.message}`);
};

test('a Target and an AgentIdentity of the files, by name; objects without a namespace take the document’s', () => {
  const result = resolveSuite(
    doc({ namespace: 'agents', identity: { form: 'ref', name: 'ci' } }),
    [policy('p'), target('orders-db', 'agents'), identity],
    site,
    't.yaml',
  );
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(
    result.suite.policies.map((p) => [p.namespace, p.name]),
    [['agents', 'p']],
  );
  const [resolved] = result.suite.cases;
  assert.equal(resolved?.target.name, 'orders-db');
  assert.deepEqual(resolved?.target.labels, { env: 'prod' });
  assert.equal(resolved?.principal.identity, 'ci');
  assert.deepEqual(resolved?.principal.groups, ['ci']);
  assert.deepEqual(resolved?.principal.labels, { team: 'data' });
  assert.equal(resolved?.principal.serviceAccount, 'system:serviceaccount:agents:ci-sa');
  assert.equal(resolved?.name, 'SELECT 1', 'a case without a name is named by its statement');
});

test('inline target and identity; without an identity the default agent', () => {
  const result = resolveSuite(
    doc({ target: { form: 'inline', name: 'db', type: 'postgres', labels: { env: 'dev' } }, cases: [oneCase({ name: 'x' })] }),
    [policy('p')],
    site,
    't.yaml',
  );
  assert.ok(result.ok);
  const [resolved] = result.suite.cases;
  assert.deepEqual([resolved?.target.namespace, resolved?.target.name, resolved?.target.labels], ['default', 'db', { env: 'dev' }]);
  assert.equal(resolved?.principal.identity, DEFAULT_IDENTITY);
  assert.equal(resolved?.principal.namespace, 'default');
});

test('a case overrides the target and identity of the document', () => {
  const result = resolveSuite(
    doc({
      cases: [
        oneCase({
          target: { form: 'inline', name: 'other', namespace: 'sandbox', type: 'postgres', labels: {} },
          identity: { form: 'inline', name: 'bot', groups: ['g'], labels: {} },
        }),
      ],
    }),
    [policy('p'), target('orders-db', 'default')],
    site,
    't.yaml',
  );
  assert.ok(result.ok);
  assert.equal(result.suite.cases[0]?.target.namespace, 'sandbox');
  assert.equal(result.suite.cases[0]?.principal.identity, 'bot');
});

test('references the files do not have, and names that are ambiguous, are input problems', () => {
  const missing = problemsOf(
    resolveSuite(doc({ identity: { form: 'ref', name: 'nobody' } }), [policy('p'), target('db', 'agents')], site, 't'),
  );
  assert.ok(
    missing.some((p) => /^UnknownReference target: no Target orders-db in the files \(they have agents\/db\)/.test(p)),
    missing.join('\n'),
  );
  assert.ok(
    missing.some((p) => /^UnknownReference identity: no AgentIdentity nobody/.test(p)),
    missing.join('\n'),
  );
  const ambiguous = problemsOf(resolveSuite(doc(), [policy('p'), target('orders-db', 'a'), target('orders-db', 'b')], site, 't'));
  assert.match(ambiguous.join('\n'), /2 Targets are named orders-db \(a, b\): write NAMESPACE\/NAME/);
  assert.ok(
    resolveSuite(
      doc({ target: { form: 'ref', namespace: 'b', name: 'orders-db' } }),
      [policy('p'), target('orders-db', 'a'), target('orders-db', 'b')],
      site,
      't',
    ).ok,
  );
});

test('an expected policy or rule that no policy has is an input problem, not a failing case', () => {
  const problems = problemsOf(
    resolveSuite(
      doc({
        cases: [
          oneCase({ policy: 'q' }),
          oneCase({ field: 'cases[1]', rule: 'writes' }),
          oneCase({ field: 'cases[2]', rule: 'defaultAction' }),
        ],
      }),
      [policy('p'), target('orders-db', 'default')],
      site,
      't',
    ),
  );
  assert.deepEqual(problems, [
    'UnknownReference cases[0].policy: no ApprovalPolicy q in the files (they have p)',
    'UnknownReference cases[1].rule: no ApprovalPolicy of the files has no rule writes; write a rule name, or defaultAction for the default action',
  ]);
});

test('an ssh case is decided for an ssh Target; an inline Target without a type takes its case’s', () => {
  const ssh = { ssh: 'ls -la' };
  const resolved = resolveSuite(
    doc({ target: { form: 'ref', name: 'build-host' }, cases: [oneCase({ name: 'ls' }, ssh)] }),
    [policy('p'), target('build-host', 'default', 'ssh')],
    site,
    't',
  );
  assert.ok(resolved.ok, JSON.stringify(resolved));
  assert.equal(resolved.suite.cases[0]?.ssh, 'ls -la');
  assert.equal(resolved.suite.cases[0]?.sql, undefined);
  assert.equal(resolved.suite.cases[0]?.target.spec.type, 'ssh');
  const inline = resolveSuite(
    doc({ target: { form: 'inline', name: 'box', labels: {} }, cases: [oneCase({}, ssh), oneCase({ field: 'cases[1]' })] }),
    [policy('p')],
    site,
    't',
  );
  assert.ok(inline.ok, JSON.stringify(inline));
  assert.deepEqual(
    inline.suite.cases.map((c) => [c.name, c.target.spec.type]),
    [
      ['ls -la', 'ssh'],
      ['SELECT 1', 'postgres'],
    ],
  );
  // A postgres Target for ssh cases: said once, at the document's target.
  const wrong = problemsOf(
    resolveSuite(
      doc({ cases: [oneCase({}, ssh), oneCase({ field: 'cases[1]' }, ssh)] }),
      [policy('p'), target('orders-db', 'default')],
      site,
      't',
    ),
  );
  assert.deepEqual(wrong, ['UnknownReference target: Target orders-db is of type postgres; ssh cases need an ssh Target']);
});

test('a kubernetes case is decided for a kubernetes Target; an inline Target without a type is one', () => {
  const request = { kubernetes: 'DELETE /api/v1/namespaces/prod/pods/web-0' };
  const resolved = resolveSuite(
    doc({ target: { form: 'ref', name: 'cluster-api' }, cases: [oneCase({}, request)] }),
    [policy('p'), target('cluster-api', 'default', 'kubernetes')],
    site,
    't',
  );
  assert.ok(resolved.ok, JSON.stringify(resolved));
  const [only] = resolved.suite.cases;
  assert.deepEqual([only?.kubernetes, only?.sql, only?.ssh], ['DELETE /api/v1/namespaces/prod/pods/web-0', undefined, undefined]);
  assert.equal(only?.name, 'DELETE /api/v1/namespaces/prod/pods/web-0', 'a case without a name is named by its request line');
  const inline = resolveSuite(
    doc({ target: { form: 'inline', name: 'cluster', labels: {} }, cases: [oneCase({}, request)] }),
    [policy('p')],
    site,
    't',
  );
  assert.ok(inline.ok, JSON.stringify(inline));
  assert.equal(inline.suite.cases[0]?.target.spec.type, 'kubernetes');
  const wrong = problemsOf(resolveSuite(doc({ cases: [oneCase({}, request)] }), [policy('p'), target('orders-db', 'default')], site, 't'));
  assert.deepEqual(wrong, ['UnknownReference target: Target orders-db is of type postgres; kubernetes cases need a kubernetes Target']);
});

test('no target, a Target that is not postgres, no policies and duplicate policies', () => {
  assert.match(
    problemsOf(resolveSuite(doc({ target: undefined }), [policy('p')], site, 't')).join('\n'),
    /InvalidTestFile cases\[0\]: no target/,
  );
  assert.match(
    problemsOf(resolveSuite(doc(), [policy('p'), target('orders-db', 'default', 'http')], site, 't')).join('\n'),
    /Target orders-db is of type http; sql cases need a postgres Target/,
  );
  assert.match(
    problemsOf(resolveSuite(doc(), [target('orders-db', 'default')], site, 't')).join('\n'),
    /^NoPolicies files: the files hold no ApprovalPolicy/m,
  );
  const duplicate = resolveSuite(doc(), [policy('p', 'default'), policy('p'), target('orders-db', 'default')], site, 't');
  assert.ok(!duplicate.ok);
  assert.equal(duplicate.problems[0]?.code, 'DuplicateObject');
  assert.equal(duplicate.problems[0]?.object, 'ApprovalPolicy default/p');
});

test('an identity at a delegation depth: the principal carries the chain the broker would serve; depth 0 is no delegation at all', () => {
  const result = resolveSuite(
    doc({
      namespace: 'agents',
      identity: { form: 'ref', name: 'ci', delegationDepth: 2 },
      cases: [
        oneCase(),
        oneCase({ field: 'cases[1]', identity: { form: 'inline', name: 'planner', groups: ['g'], labels: {}, delegationDepth: 1 } }),
        oneCase({ field: 'cases[2]', identity: { form: 'ref', name: 'ci', delegationDepth: 0 } }),
        oneCase({ field: 'cases[3]', identity: { form: 'ref', name: 'ci' } }),
        oneCase({ field: 'cases[4]', identity: { form: 'inline', name: 'bot', groups: [], labels: {} } }),
      ],
    }),
    [policy('p'), target('orders-db', 'agents'), identity],
    site,
    't.yaml',
  );
  assert.ok(result.ok, JSON.stringify(result));
  const [deep, inline, zero, absent, inlineAbsent] = result.suite.cases.map((c) => c.principal);
  assert.deepEqual(deep?.delegation, { depth: 2, chain: ['sub-agent-1', 'sub-agent-2'] });
  assert.deepEqual([deep?.identity, deep?.groups, deep?.labels], ['ci', ['ci'], { team: 'data' }], 'still the AgentIdentity of the files');
  assert.deepEqual(inline?.delegation, { depth: 1, chain: ['sub-agent-1'] });
  assert.deepEqual([inline?.identity, inline?.groups], ['planner', ['g']]);
  // policiesFor treats any principal with delegation as a sub-agent, so depth 0 must leave it out.
  for (const principal of [zero, absent, inlineAbsent]) assert.equal(principal !== undefined && 'delegation' in principal, false);
});

test('a depth beyond the AgentIdentity’s spec.delegation.maxDepth is a case no session can be: ImpossibleCase', () => {
  const deeper = resolveSuite(
    doc({ namespace: 'agents', identity: { form: 'ref', name: 'ci', delegationDepth: 3 } }),
    [policy('p'), target('orders-db', 'agents'), identity],
    site,
    't.yaml',
  );
  assert.ok(!deeper.ok);
  assert.equal(deeper.problems[0]?.code, 'ImpossibleCase');
  assert.match(
    deeper.problems[0]?.message ?? '',
    /allows delegation to depth 2 \(spec\.delegation\.maxDepth\): no session of it is at depth 3/,
  );
  const noDelegation = {
    ...identity,
    object: { ...identity.object, spec: { serviceAccountName: 'ci-sa', targets: ['orders-db'] } },
  } as ManifestObject;
  const none = resolveSuite(
    doc({ namespace: 'agents', identity: { form: 'ref', name: 'ci', delegationDepth: 1 } }),
    [policy('p'), target('orders-db', 'agents'), noDelegation],
    site,
    't.yaml',
  );
  assert.ok(!none.ok);
  assert.match(none.problems[0]?.message ?? '', /does not allow delegation \(no spec\.delegation\)/);
});

test('delegationChain names one stand-in sub-agent per hop', () => {
  assert.deepEqual(delegationChain(0), []);
  assert.deepEqual(delegationChain(3), ['sub-agent-1', 'sub-agent-2', 'sub-agent-3']);
});
