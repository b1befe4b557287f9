import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { ApprovalPolicySpec } from '@airlock/crds';
import type { PolicyConfig, TargetConfig } from '../core/ports.ts';
import { SqlClassifier } from '../protocols/postgres/sql/classifier.ts';
import { analyzeCommandLine, ShellParser } from '../protocols/ssh/shell/index.ts';
import { reportJson } from './format-json.ts';
import { formatReport } from './format-text.ts';
import { delegationChain, type ResolvedCase, type Suite } from './resolve-suite.ts';
import { type CaseReaders, runSuites } from './run-suite.ts';

let classifier: SqlClassifier;
before(async () => {
  classifier = await SqlClassifier.create();
});

const spec: ApprovalPolicySpec = {
  targets: { matchLabels: { env: 'prod' } },
  rules: [
    { name: 'no-truncate', match: { sql: { commands: ['TRUNCATE'] } }, action: 'deny' },
    { name: 'reads', match: { sql: { statementKinds: ['read', 'transaction'] } }, action: 'allow' },
  ],
  defaultAction: 'requireApproval',
  approval: { approvers: { groups: ['db-owners'] } },
};
const policies: PolicyConfig[] = [{ name: 'prod', namespace: 'agents', spec }];
const prod: TargetConfig = { name: 'db', namespace: 'agents', labels: { env: 'prod' }, spec: { type: 'postgres', localPort: 5432 } };
const dev: TargetConfig = { ...prod, labels: { env: 'dev' } };
const principal = { identity: 'a', namespace: 'agents', serviceAccount: 'sa', pod: { name: 'p', uid: '' }, groups: [] };

const testCase = (
  sql: string,
  expect: ResolvedCase['expect'],
  extra: Partial<Omit<ResolvedCase, 'sql' | 'ssh' | 'kubernetes'>> = {},
): ResolvedCase => ({
  name: sql,
  field: 'cases[0]',
  line: 1,
  sql,
  expect,
  target: prod,
  principal,
  ...extra,
});

const run = (...cases: ResolvedCase[]) => {
  const suite: Suite = { file: 't.yaml', document: 1, name: 't', policies, cases };
  return runSuites([suite], { sql: classifier });
};

test('a case passes when decision, policy and rule are as expected', () => {
  const report = run(
    testCase('TRUNCATE orders', 'deny', { policy: 'prod', rule: 'no-truncate' }),
    testCase('SELECT 1', 'allow', { rule: 'reads' }),
  );
  assert.deepEqual([report.passed, report.failed], [2, 0]);
  const [truncate] = report.suites[0]?.cases ?? [];
  assert.deepEqual(truncate?.applicable, ['prod']);
  assert.deepEqual(truncate?.statements[0]?.statement.commands, ['TRUNCATE TABLE']);
});

test('every mismatch is listed: decision, policy, rule', () => {
  const report = run(
    testCase('TRUNCATE orders', 'allow', { rule: 'reads' }),
    testCase('UPDATE t SET a = 1 WHERE id = 2', 'requireApproval', { rule: 'reads' }),
  );
  assert.equal(report.failed, 2);
  const [truncate, update] = report.suites[0]?.cases ?? [];
  assert.deepEqual(truncate?.mismatches, [
    { field: 'expect', expected: 'allow', got: 'deny' },
    { field: 'rule', expected: 'reads', got: 'no-truncate' },
  ]);
  assert.deepEqual(update?.mismatches, [{ field: 'rule', expected: 'reads', got: 'defaultAction' }], 'the default action decided');
});

test('a message of several statements: each is decided, the strictest governs and is pointed at', () => {
  const report = run(testCase('BEGIN; SELECT 1; TRUNCATE orders; COMMIT', 'deny', { rule: 'no-truncate' }));
  const outcome = report.suites[0]?.cases[0];
  assert.equal(outcome?.passed, true);
  assert.deepEqual(
    outcome?.statements.map((s) => s.decision.action),
    ['allow', 'allow', 'deny', 'allow'],
  );
  assert.equal(outcome?.deciding, 2);
});

test('which policies apply is decided per case with policiesFor: none applies, so deny', () => {
  const report = run(testCase('SELECT 1', 'deny', { target: dev, policy: 'prod' }));
  const outcome = report.suites[0]?.cases[0];
  assert.deepEqual(outcome?.applicable, []);
  assert.deepEqual(outcome?.mismatches, [{ field: 'policy', expected: 'prod', got: 'none' }]);
});

test('an empty message is allowed and has no deciding statement', () => {
  const outcome = run(testCase('-- nothing', 'allow')).suites[0]?.cases[0];
  assert.equal(outcome?.passed, true);
  assert.equal(outcome?.deciding, undefined);
});

test('the text report: ✓ and ✗ blocks, the ✗ line says expected and got, failures with file:line', () => {
  const text = formatReport(
    run(testCase('SELECT 1', 'allow'), testCase('TRUNCATE orders', 'requireApproval', { name: 'truncate is held', line: 9 })),
  );
  assert.match(text, /^ {2}✓ SELECT 1$/m);
  assert.match(text, /^ {6}agent a on Target agents\/db \(postgres, env=prod\); policies that apply: prod$/m);
  assert.match(text, /^ {8}kinds: read {2}commands: SELECT {2}objects: - {2}functions: -$/m);
  assert.match(text, /^ {6}→ allow: allowed by ApprovalPolicy prod rule reads$/m);
  assert.match(text, /^ {2}✗ truncate is held: expected requireApproval, got deny$/m);
  assert.match(text, /^failed:\n {2}✗ t\.yaml:9 truncate is held$/m);
  assert.match(text, /1 of 2 cases failed, 1 passed\n$/);
});

describe('ssh cases', () => {
  let readers: CaseReaders;
  before(() => {
    const parser = ShellParser.load();
    readers = { sql: classifier, ssh: { analyze: (text) => analyzeCommandLine(parser, text) } };
  });
  const hostPolicy: PolicyConfig = {
    name: 'hosts',
    namespace: 'agents',
    spec: {
      rules: [
        { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
        { name: 'restarts', match: { ssh: { programs: ['systemctl'], arguments: ['restart *'] } }, action: 'requireApproval' },
        { name: 'reads', match: { ssh: { programs: ['ls', 'cat', 'grep'] } }, action: 'allow' },
      ],
      defaultAction: 'deny',
      approval: { approvers: { groups: ['ops'] } },
    },
  };
  const host: TargetConfig = { name: 'build', namespace: 'agents', labels: {}, spec: { type: 'ssh', localPort: 2222 } };
  const sshCase = (
    line: string,
    expect: ResolvedCase['expect'],
    extra: Partial<Omit<ResolvedCase, 'sql' | 'ssh' | 'kubernetes'>> = {},
  ): ResolvedCase => ({
    name: line,
    field: 'cases[0]',
    line: 1,
    ssh: line,
    expect,
    target: host,
    principal,
    ...extra,
  });
  const runSsh = (...cases: ResolvedCase[]) =>
    runSuites([{ file: 'h.yaml', document: 1, name: 'h', policies: [hostPolicy, ...policies], cases }], readers);

  test('each program of the line is decided with the ssh rules, and the strictest governs the line', () => {
    const report = runSsh(
      sshCase('ls -la /var/log', 'allow', { policy: 'hosts', rule: 'reads' }),
      sshCase('systemctl restart app', 'requireApproval', { rule: 'restarts' }),
      sshCase('cat /etc/hosts | grep build; sudo rm -rf /tmp/x', 'deny', { rule: 'no-rm' }),
      // Unknown is never allowed: the allow rule that would cover it holds it instead.
      sshCase('eval "$CMD"', 'requireApproval', { rule: 'reads' }),
    );
    assert.deepEqual(
      report.suites[0]?.cases.flatMap((c) => c.mismatches),
      [],
    );
    const [ls, restart, pipeline, dynamic] = report.suites[0]?.cases ?? [];
    assert.deepEqual(ls?.applicable, ['hosts'], 'the sql policy selects by env=prod labels; this host has none');
    assert.deepEqual(ls?.statements, []);
    assert.deepEqual(
      ls?.commands.map((c) => [c.command.program, c.command.arguments]),
      [['ls', '-la /var/log']],
    );
    assert.equal(restart?.decision.verdict?.rule, 'restarts');
    assert.deepEqual(
      pipeline?.commands.map((c) => [c.command.program, c.command.runAs, c.decision.action]),
      [
        ['cat', undefined, 'allow'],
        ['grep', undefined, 'allow'],
        ['rm', 'root', 'deny'],
      ],
    );
    assert.equal(pipeline?.deciding, 2);
    assert.ok(
      dynamic?.commands.every((c) => c.command.kinds.includes('unknown')),
      'a line read incompletely is unknown',
    );
    assert.equal(dynamic?.decision.failedClosed, true);
  });

  test('the text report shows each program with its arguments, and which one decided', () => {
    const text = formatReport(runSsh(sshCase('cat /etc/hosts | grep build; rm -rf /tmp/x', 'deny'), sshCase('sudo ls /root', 'allow')));
    assert.match(text, /^ {6}agent a on Target agents\/build \(ssh\); policies that apply: hosts$/m);
    assert.match(
      text,
      /^ {6}cat \/etc\/hosts \| grep build; rm -rf \/tmp\/x\n {6}1\. program: cat {2}arguments: \/etc\/hosts\n {9}→ allow: allowed by ApprovalPolicy hosts rule reads$/m,
    );
    assert.match(text, /^ {6}3\. program: rm {2}arguments: -rf \/tmp\/x\n {9}→ deny: denied by ApprovalPolicy hosts rule no-rm$/m);
    assert.match(text, /^ {6}decision: deny \(program 3 of 3, the strictest\)$/m);
    // ls run through sudo is not covered by an allow rule without sudo: true.
    assert.match(text, /^ {2}✗ sudo ls \/root: expected allow, got deny$/m);
    assert.match(text, /program: ls {2}arguments: \/root {2}as user: root/);
  });
});

describe('kubernetes cases', () => {
  const clusterPolicy: PolicyConfig = {
    name: 'cluster',
    namespace: 'agents',
    spec: {
      targets: { types: ['kubernetes'] },
      rules: [
        { name: 'no-secrets', match: { kubernetes: { apiGroups: [''], resources: ['secrets'] } }, action: 'deny' },
        {
          name: 'prod-deletes',
          match: { kubernetes: { verbs: ['delete', 'deletecollection'], namespaces: ['prod-*'] } },
          action: 'requireApproval',
        },
        { name: 'prod-exec', match: { kubernetes: { resources: ['pods/exec'], namespaces: ['prod-*'] } }, action: 'requireApproval' },
        // Covers cluster-scoped reads only: which of nodes, pods -A and a custom resource it covers depends on their scope.
        { name: 'cluster-reads', match: { kubernetes: { verbs: ['get', 'list'], namespaces: [''] } }, action: 'allow' },
      ],
      defaultAction: 'deny',
      approval: { approvers: { groups: ['sre'] } },
    },
  };
  const cluster: TargetConfig = { name: 'cluster-api', namespace: 'agents', labels: {}, spec: { type: 'kubernetes', localPort: 6443 } };
  const kubernetesCase = (
    line: string,
    expect: ResolvedCase['expect'],
    extra: Partial<Omit<ResolvedCase, 'sql' | 'ssh' | 'kubernetes'>> = {},
  ): ResolvedCase => ({ name: line, field: 'cases[0]', line: 1, kubernetes: line, expect, target: cluster, principal, ...extra });
  const runKubernetes = (...cases: ResolvedCase[]) =>
    runSuites([{ file: 'k.yaml', document: 1, name: 'k', policies: [clusterPolicy, ...policies], cases }], { sql: classifier });

  test('the request is placed as the API server would and decided with the kubernetes rules', () => {
    const report = runKubernetes(
      kubernetesCase('DELETE /apis/apps/v1/namespaces/prod-eu/deployments/orders', 'requireApproval', {
        policy: 'cluster',
        rule: 'prod-deletes',
      }),
      kubernetesCase('GET /api/v1/namespaces/prod-eu/secrets', 'deny', { rule: 'no-secrets' }),
      kubernetesCase('POST /api/v1/namespaces/prod-eu/pods/web-0/exec?command=sh&command=-c&command=ls', 'requireApproval', {
        rule: 'prod-exec',
      }),
      kubernetesCase('DELETE /api/v1/namespaces/dev/pods/web-0', 'deny', { rule: 'defaultAction' }),
    );
    assert.deepEqual(
      report.suites[0]?.cases.flatMap((c) => c.mismatches),
      [],
    );
    const [remove, secrets, exec] = report.suites[0]?.cases ?? [];
    assert.deepEqual(remove?.applicable, ['cluster'], 'the sql policy selects by env=prod labels; this Target has none');
    assert.deepEqual([remove?.statements, remove?.commands], [[], []]);
    assert.equal(remove?.request?.request.terms, 'delete deployments orders -n prod-eu');
    assert.equal(remove?.deciding, 0);
    assert.equal(secrets?.request?.request.facts.verb, 'list');
    assert.equal(exec?.request?.request.terms, 'exec pods/web-0 -n prod-eu -- sh -c ls');
  });

  test('a request without a namespace takes its scope from the built-in table; a custom resource is read as both', () => {
    const report = runKubernetes(
      kubernetesCase('GET /api/v1/nodes', 'allow', { rule: 'cluster-reads' }),
      kubernetesCase('GET /api/v1/pods', 'deny', { rule: 'defaultAction' }),
      kubernetesCase('GET /apis/example.com/v1/widgets', 'deny', { rule: 'defaultAction' }),
    );
    assert.deepEqual(
      report.suites[0]?.cases.flatMap((c) => c.mismatches),
      [],
    );
    const scopes = report.suites[0]?.cases.map((c) => {
      const facts = c.request?.request.facts;
      return facts?.isResourceRequest ? facts.scope : 'not a resource request';
    });
    assert.deepEqual(scopes, ['cluster', 'all-namespaces', undefined]);
  });

  test('a request the parser cannot place is refused, as the sidecar refuses it, whatever the policies say', () => {
    const outcome = runKubernetes(kubernetesCase('GET /api/v1/namespaces/dev/pods/a%2Fb', 'deny')).suites[0]?.cases[0];
    assert.deepEqual(outcome?.mismatches, []);
    assert.equal(outcome?.decision.verdict, undefined, 'no policy decided it');
    assert.deepEqual(outcome?.request?.request.facts.kinds, ['unknown']);
    assert.equal(outcome?.decision.failedClosed, true);
  });

  test('the text report shows the request line, its kubectl terms and attributes, and the decision', () => {
    const text = formatReport(
      runKubernetes(
        kubernetesCase('DELETE /apis/apps/v1/namespaces/prod-eu/deployments/orders', 'requireApproval'),
        kubernetesCase('GET /apis/example.com/v1/widgets', 'allow', { name: 'widgets are read', line: 7 }),
        kubernetesCase('GET /version', 'deny'),
      ),
    );
    assert.match(text, /^ {6}agent a on Target agents\/cluster-api \(kubernetes\); policies that apply: cluster$/m);
    assert.match(
      text,
      /^ {6}DELETE \/apis\/apps\/v1\/namespaces\/prod-eu\/deployments\/orders\n {8}kubectl terms: delete deployments orders -n prod-eu\n {8}verb: delete {2}resource: deployments \(apps\/v1\) {2}name: orders {2}namespace: prod-eu {2}kinds: write\n {6}→ requireApproval: held for approval by ApprovalPolicy cluster rule prod-deletes/m,
    );
    assert.match(text, /^ {2}✗ widgets are read: expected allow, got deny$/m);
    assert.match(text, /scope: unknown: not a built-in resource, so read as both cluster-scoped and across all namespaces/);
    assert.match(text, /^ {8}verb: get {2}path: \/version {2}kinds: read$/m);
    assert.match(text, /^failed:\n {2}✗ k\.yaml:7 widgets are read$/m);
  });

  test('the JSON report has the protocol, the request line and what the policy read of it', () => {
    const report = JSON.parse(
      reportJson(runKubernetes(kubernetesCase('GET /api/v1/pods', 'deny'), kubernetesCase('GET /openapi/v3', 'allow'))),
    );
    const [pods, openapi] = report.suites[0].cases;
    assert.equal(pods.protocol, 'kubernetes');
    assert.deepEqual([pods.sql, pods.ssh, pods.kubernetes], [null, null, 'GET /api/v1/pods']);
    assert.deepEqual(pods.request, {
      method: 'GET',
      target: '/api/v1/pods',
      text: 'get pods -A',
      verb: 'list',
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource: null,
      name: null,
      namespace: null,
      scope: 'all-namespaces',
      nonResourcePath: null,
      kinds: ['read'],
      dryRun: false,
      unknownReason: null,
      decision: pods.decision,
    });
    assert.deepEqual([pods.decidingStatement, pods.decidingCommand, pods.statements, pods.commands], [null, null, [], []]);
    assert.equal(openapi.request.nonResourcePath, '/openapi/v3');
    assert.equal(openapi.request.resource, null);
    // Discovery reads are covered by any allow rule that covers get (DISCOVERY_READ_PATHS).
    assert.deepEqual([openapi.passed, openapi.decision.rule], [true, 'cluster-reads']);
  });
});

describe('cases at a delegation depth', () => {
  // Holds every command from depth 2 on; `policies` (prod) applies at every depth.
  const deepPolicy: PolicyConfig = {
    name: 'deep',
    namespace: 'agents',
    spec: { delegationDepth: { min: 2 }, rules: [], defaultAction: 'requireApproval', approval: { approvers: { groups: ['db-owners'] } } },
  };
  const atDepth = (depth: number): ResolvedCase['principal'] =>
    depth === 0 ? principal : { ...principal, delegation: { depth, chain: delegationChain(depth) } };
  const runDeep = (...cases: ResolvedCase[]) =>
    runSuites([{ file: 'd.yaml', document: 1, name: 'd', policies: [...policies, deepPolicy], cases }], { sql: classifier });

  test('a policy with delegationDepth.min applies from that depth on, and the strictest decision wins', () => {
    const report = runDeep(
      testCase('SELECT 1', 'allow', { principal: atDepth(0), policy: 'prod', rule: 'reads' }),
      testCase('SELECT 1', 'allow', { principal: atDepth(1), policy: 'prod', rule: 'reads' }),
      testCase('SELECT 1', 'requireApproval', { principal: atDepth(2), policy: 'deep', rule: 'defaultAction' }),
      testCase('SELECT 1', 'requireApproval', { principal: atDepth(5), policy: 'deep' }),
      testCase('TRUNCATE orders', 'deny', { principal: atDepth(2), policy: 'prod', rule: 'no-truncate' }),
    );
    const cases = report.suites[0]?.cases ?? [];
    assert.deepEqual(
      cases.flatMap((c) => c.mismatches),
      [],
    );
    assert.deepEqual(
      cases.map((c) => c.applicable),
      [['prod'], ['prod'], ['deep', 'prod'], ['deep', 'prod'], ['deep', 'prod']],
    );
  });

  test('a sub-agent that only a depth policy applies to gets no policy, and is denied, as policiesFor decides', () => {
    // prod selects env=prod Targets; on dev only deep would apply, and its parent gets nothing there.
    const outcomes =
      runDeep(
        testCase('SELECT 1', 'deny', { target: dev, principal: atDepth(0) }),
        testCase('SELECT 1', 'deny', { target: dev, principal: atDepth(2) }),
      ).suites[0]?.cases ?? [];
    assert.deepEqual(
      outcomes.map((c) => [c.passed, c.applicable, c.decision.verdict?.policy]),
      [
        [true, [], undefined],
        [true, [], undefined],
      ],
    );
  });

  test('the text report says the depth when it is not 0, and repeats the context line when the depth changes', () => {
    const text = formatReport(
      runDeep(
        testCase('SELECT 1', 'allow', { name: 'the agent', principal: atDepth(0) }),
        testCase('SELECT 1', 'requireApproval', { name: 'its sub-agent of a sub-agent', principal: atDepth(2) }),
      ),
    );
    assert.match(
      text,
      /^ {2}✓ the agent\n {6}agent a on Target agents\/db \(postgres, env=prod\); policies that apply: prod\n/m,
      'depth 0 is not mentioned',
    );
    assert.match(
      text,
      /^ {2}✓ its sub-agent of a sub-agent\n {6}agent a at delegation depth 2 on Target agents\/db \(postgres, env=prod\); policies that apply: deep, prod\n/m,
    );
    assert.match(text, /^ {6}→ requireApproval: held for approval by ApprovalPolicy deep default action$/m);
  });

  test('the JSON report gives the identity its delegationDepth when it is not 0', () => {
    const report = JSON.parse(
      reportJson(
        runDeep(testCase('SELECT 1', 'allow', { principal: atDepth(0) }), testCase('SELECT 1', 'allow', { principal: atDepth(3) })),
      ),
    );
    const [agent, subAgent] = report.suites[0].cases;
    assert.deepEqual(agent.identity, { name: 'a', groups: [] });
    assert.deepEqual(subAgent.identity, { name: 'a', groups: [], delegationDepth: 3 });
    assert.deepEqual([subAgent.passed, subAgent.mismatches], [false, [{ field: 'expect', expected: 'allow', got: 'requireApproval' }]]);
  });
});
