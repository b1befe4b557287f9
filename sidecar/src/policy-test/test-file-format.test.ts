import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SOURCES } from '@airlock/crds';
import { MAX_DELEGATION_DEPTH, parsePolicyTest } from './test-file-format.ts';

const valid = {
  apiVersion: 'cli.airlock.dev/v1alpha1',
  kind: 'PolicyTest',
  files: ['../policy.yaml'],
  target: 'agents/orders-db',
  identity: { name: 'ci', groups: ['ci'] },
  cases: [{ sql: 'SELECT 1', expect: 'allow', rule: 'reads' }],
};

const issuesOf = (value: unknown): string[] => {
  const result = parsePolicyTest(value);
  assert.ok(!result.ok, 'expected the document to be refused');
  return result.issues.map((issue) => `${issue.path}: ${issue.message}`);
};

test('a valid document: references, inline identity, cases with their field', () => {
  const result = parsePolicyTest(valid);
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.value.target, { form: 'ref', namespace: 'agents', name: 'orders-db' });
  assert.deepEqual(result.value.identity, { form: 'inline', name: 'ci', groups: ['ci'], labels: {} });
  assert.deepEqual(result.value.cases, [{ field: 'cases[0]', sql: 'SELECT 1', expect: 'allow', rule: 'reads' }]);
});

test('an inline target takes its type from the cases unless it says one; a name alone is a reference', () => {
  const inline = parsePolicyTest({ ...valid, target: { name: 'db', labels: { env: 'prod' } } });
  assert.ok(inline.ok);
  assert.deepEqual(inline.value.target, { form: 'inline', name: 'db', labels: { env: 'prod' } });
  const typed = parsePolicyTest({ ...valid, target: { name: 'db', type: 'ssh' } });
  assert.ok(typed.ok);
  assert.deepEqual(typed.value.target, { form: 'inline', name: 'db', type: 'ssh', labels: {} });
  const ref = parsePolicyTest({ ...valid, target: 'orders-db', identity: 'ci-migrations' });
  assert.ok(ref.ok);
  assert.deepEqual(ref.value.target, { form: 'ref', name: 'orders-db' });
  assert.deepEqual(ref.value.identity, { form: 'ref', name: 'ci-migrations' });
});

test('rule accepts a rule name or defaultAction, nothing else', () => {
  assert.ok(parsePolicyTest({ ...valid, cases: [{ sql: 'SELECT 1', expect: 'deny', rule: 'defaultAction' }] }).ok);
  assert.match(
    issuesOf({ ...valid, cases: [{ sql: 'SELECT 1', expect: 'deny', rule: 'Reads' }] }).join('\n'),
    /cases\[0\]\.rule: "Reads" is not valid: a rule name, or defaultAction/,
  );
});

test('a misspelt field names the fields there are', () => {
  const issues = issuesOf({ ...valid, cases: [{ sql: 'SELECT 1', expected: 'allow' }] });
  assert.ok(
    issues.includes(
      'cases[0].expected: unknown field; the fields here are: name, sql, ssh, kubernetes, expect, policy, rule, target, identity',
    ),
    issues.join('\n'),
  );
  assert.ok(issues.includes('cases[0].expect: required field is missing'));
});

test('every problem of a document is reported, each with its path', () => {
  const issues = issuesOf({
    apiVersion: 'v1',
    kind: 'ApprovalPolicy',
    files: [],
    target: { name: 'Orders', type: 'mysql', labels: { tier: 1 } },
    cases: [{ sql: 7, expect: 'block' }, 'SELECT 1'],
  });
  const text = issues.join('\n');
  for (const expected of [
    /^apiVersion: must be cli\.airlock\.dev\/v1alpha1 \(got "v1"\)$/m,
    /^kind: must be PolicyTest \(got "ApprovalPolicy"\); policy files go under files:$/m,
    /^files: must name at least one file/m,
    /^target\.name: "Orders" is not valid/m,
    /^target\.type: must be one of: postgres, ssh, http, kubernetes \(got "mysql"\)$/m,
    /^target\.labels\.tier: a label value must be a string; quote it \(got 1\)$/m,
    /^cases\[0\]\.sql: must be the statement text as a non-empty string/m,
    /^cases\[0\]\.expect: must be one of: allow, deny, requireApproval \(got "block"\)$/m,
    /^cases\[1\]: must be a mapping/m,
  ]) {
    assert.match(text, expected);
  }
});

test('a document that is not a mapping, or has no cases', () => {
  assert.match(issuesOf(['a']).join('\n'), /must be a mapping/);
  assert.match(issuesOf({ ...valid, cases: [] }).join('\n'), /^cases: must be a list of at least one case/m);
  assert.match(
    issuesOf({ ...valid, target: 'not a name!' }).join('\n'),
    /^target: "not a name!" is not valid: name a Target of the files as NAME or NAMESPACE\/NAME/m,
  );
});

test('a case is an sql message, an ssh command line or a kubernetes request line: exactly one of them', () => {
  const parsed = parsePolicyTest({ ...valid, cases: [{ ssh: 'systemctl restart app', expect: 'requireApproval' }, valid.cases[0]] });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(parsed.value.cases[0], { field: 'cases[0]', ssh: 'systemctl restart app', expect: 'requireApproval' });
  assert.deepEqual(issuesOf({ ...valid, cases: [{ expect: 'allow' }] }), [
    'cases[0].sql: required field is missing: give sql (statements for a postgres Target), ssh (a command line for an ssh Target) or kubernetes (a request line for a kubernetes Target)',
  ]);
  assert.deepEqual(issuesOf({ ...valid, cases: [{ sql: 'SELECT 1', ssh: 'ls', expect: 'allow' }] }), [
    'cases[0].ssh: a case is one of sql, ssh or kubernetes, not sql and ssh: make it 2 cases',
  ]);
  assert.deepEqual(issuesOf({ ...valid, cases: [{ ssh: ['ls'], expect: 'allow' }] }), [
    'cases[0].ssh: must be the command line as a non-empty string; quote it (got ["ls"])',
  ]);
});

test('a kubernetes case is one request line, METHOD /path?query, and no other protocol', () => {
  const line = 'POST /api/v1/namespaces/prod-eu/pods/web-0/exec?command=sh&command=-c&command=ls';
  const parsed = parsePolicyTest({
    ...valid,
    cases: [
      { kubernetes: line, expect: 'requireApproval' },
      { kubernetes: 'GET /version', expect: 'allow' },
    ],
  });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual(parsed.value.cases, [
    { field: 'cases[0]', kubernetes: line, expect: 'requireApproval' },
    { field: 'cases[1]', kubernetes: 'GET /version', expect: 'allow' },
  ]);
  assert.deepEqual(issuesOf({ ...valid, cases: [{ sql: 'SELECT 1', kubernetes: 'GET /api', expect: 'allow' }] }), [
    'cases[0].kubernetes: a case is one of sql, ssh or kubernetes, not sql and kubernetes: make it 2 cases',
  ]);
  assert.deepEqual(issuesOf({ ...valid, cases: [{ sql: 'SELECT 1', ssh: 'ls', kubernetes: 'GET /api', expect: 'allow' }] }), [
    'cases[0].ssh: a case is one of sql, ssh or kubernetes, not sql and ssh and kubernetes: make it 3 cases',
  ]);
});

test('a kubernetes value that is not METHOD /path is refused, saying how to write it', () => {
  const problem = (kubernetes: unknown): string[] => issuesOf({ ...valid, cases: [{ kubernetes, expect: 'deny' }] });
  assert.deepEqual(problem('kubectl delete pod web-0'), [
    'cases[0].kubernetes: "kubectl delete pod web-0" is not valid: write the HTTP method in capitals, as on the wire (GET, POST, PUT, PATCH, DELETE)',
  ]);
  assert.deepEqual(problem('get /api/v1/pods'), [
    'cases[0].kubernetes: "get /api/v1/pods" is not valid: write the HTTP method in capitals, as on the wire (GET, POST, PUT, PATCH, DELETE)',
  ]);
  assert.deepEqual(problem('GET /api/v1/pods HTTP/1.1'), [
    'cases[0].kubernetes: "GET /api/v1/pods HTTP/1.1" is not valid: leave out the HTTP version; write METHOD /path?query',
  ]);
  assert.deepEqual(problem('GET https://10.0.0.1:6443/api/v1/pods'), [
    'cases[0].kubernetes: "GET https://10.0.0.1:6443/api/v1/pods" is not valid: give the path from / on, without scheme and host (GET /api/v1/pods)',
  ]);
  for (const text of ['/api/v1/pods', 'GET api/v1/pods', 'GET  /api', 'GET /api/v1/pods?x=a b', 'GET /api\nGET /version']) {
    assert.match(
      problem(text).join('\n'),
      /^cases\[0\]\.kubernetes: .* is not valid: write one request line, METHOD \/path\?query, with one space between/,
      text,
    );
  }
  assert.deepEqual(problem(['GET', '/api']), [
    'cases[0].kubernetes: must be one request line, METHOD /path?query, as a non-empty string; quote it (got ["GET","/api"])',
  ]);
});

describe('delegationDepth: the identity asks as a sub-agent', () => {
  const withIdentity = (identity: unknown, caseIdentity?: unknown): unknown => ({
    ...valid,
    identity,
    cases: [{ ...valid.cases[0], ...(caseIdentity === undefined ? {} : { identity: caseIdentity }) }],
  });

  test('inline, with name, groups and labels', () => {
    const parsed = parsePolicyTest(withIdentity({ name: 'planner', groups: ['assistants'], delegationDepth: 2 }));
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.value.identity, { form: 'inline', name: 'planner', groups: ['assistants'], labels: {}, delegationDepth: 2 });
  });

  test('an AgentIdentity of the files by ref, in the document and in a case; 0 is the agent itself', () => {
    const parsed = parsePolicyTest(
      withIdentity({ ref: 'agents/orders-deploy-main', delegationDepth: 0 }, { ref: 'orders-deploy-main', delegationDepth: 5 }),
    );
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.value.identity, { form: 'ref', namespace: 'agents', name: 'orders-deploy-main', delegationDepth: 0 });
    assert.deepEqual(parsed.value.cases[0]?.identity, { form: 'ref', name: 'orders-deploy-main', delegationDepth: 5 });
    const refAlone = parsePolicyTest(withIdentity({ ref: 'orders-deploy-main' }));
    assert.ok(refAlone.ok, JSON.stringify(refAlone));
    assert.deepEqual(refAlone.value.identity, { form: 'ref', name: 'orders-deploy-main' }, 'the same as the name alone');
  });

  test('a depth that is not a whole number from 0 to 5 is refused, saying what the numbers mean', () => {
    for (const depth of [-1, 6, 1.5, '2', null, true]) {
      assert.deepEqual(
        issuesOf(withIdentity({ name: 'planner', delegationDepth: depth })),
        [
          `identity.delegationDepth: must be a whole number from 0 to 5: 0 is the agent itself, 1 a sub-agent it delegated to, 2 the sub-agent of that sub-agent, and so on (got ${JSON.stringify(depth)})`,
        ],
        String(depth),
      );
    }
    assert.deepEqual(issuesOf(withIdentity('ci', { ref: 'ci', delegationDepth: 9 })), [
      'cases[0].identity.delegationDepth: must be a whole number from 0 to 5: 0 is the agent itself, 1 a sub-agent it delegated to, 2 the sub-agent of that sub-agent, and so on (got 9)',
    ]);
  });

  test('ref takes groups and labels from the AgentIdentity: describing them too is refused, and so is a ref that is no name', () => {
    assert.deepEqual(issuesOf(withIdentity({ ref: 'ci', groups: ['ci'], name: 'ci' })), [
      'identity.name: ref names an AgentIdentity of the files, which has its own name: leave name out, or describe the identity inline with name, groups and labels and no ref',
      'identity.groups: ref names an AgentIdentity of the files, which has its own groups: leave groups out, or describe the identity inline with name, groups and labels and no ref',
    ]);
    assert.deepEqual(issuesOf(withIdentity({ ref: 'Not A Name' })), [
      'identity.ref: "Not A Name" is not valid: name an AgentIdentity of the files as NAME or NAMESPACE/NAME, or describe it as a mapping',
    ]);
    assert.deepEqual(issuesOf(withIdentity({ ref: ['ci'] })), [
      'identity.ref: must name an AgentIdentity of the files as NAME or NAMESPACE/NAME (got ["ci"])',
    ]);
    assert.deepEqual(issuesOf(withIdentity({ delegationDepth: 1 })), [
      'identity.name: required field is missing: give name to describe the identity inline, or ref to name an AgentIdentity of the files (NAME or NAMESPACE/NAME)',
    ]);
    assert.deepEqual(issuesOf(withIdentity(2)), [
      'identity: must name an AgentIdentity of the files as NAME or NAMESPACE/NAME, or be a mapping with name (inline) or ref (by name) (got 2)',
    ]);
    assert.deepEqual(issuesOf(withIdentity({ name: 'x', delegation: 1 })), [
      'identity.delegation: unknown field; the fields here are: name, groups, labels, ref, delegationDepth',
    ]);
  });

  test('the highest depth is the one the AgentIdentity CRD allows', () => {
    const agentIdentity = SOURCES.find((source) => source.kind === 'AgentIdentity');
    const maxDepth = agentIdentity?.spec.properties?.delegation?.properties?.maxDepth;
    assert.equal(maxDepth?.maximum, MAX_DELEGATION_DEPTH);
  });
});
