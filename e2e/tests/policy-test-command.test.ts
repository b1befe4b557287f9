/**
 * `airlock-policy-test` as a policy author's CI runs it: the executable the sidecar package
 * declares as its bin, started as a child process (its shebang, not an import), on the example
 * policies and their tests in crds/examples/policy-tests, on a test with a wrong expectation and
 * on a policy that the API server would refuse. No cluster is involved: that is the point.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXAMPLES_DIR } from '@airlock/crds';
import { parseAllDocuments } from 'yaml';

const ROOT = join(import.meta.dirname, '..', '..');
const SIDECAR = join(ROOT, 'sidecar');
const EXAMPLE_TESTS = join(EXAMPLES_DIR, 'policy-tests');
const EXAMPLE_POLICY = join(EXAMPLES_DIR, 'prod-db-policy.yaml');
const EXAMPLE_TARGET = join(EXAMPLES_DIR, 'postgres-target.yaml');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

async function binPath(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(SIDECAR, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
  const bin = manifest.bin?.['airlock-policy-test'];
  assert.ok(bin, 'sidecar/package.json declares the airlock-policy-test bin');
  return join(SIDECAR, bin);
}

/** Runs the bin from the repository root, with this Node first on PATH for its `#!/usr/bin/env node`. */
async function policyTest(...args: string[]): Promise<Run> {
  const child = spawn(await binPath(), args, {
    cwd: ROOT,
    env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  return { code, stdout, stderr };
}

/** A case of the example suites: exactly one of sql, ssh and kubernetes is set. */
interface ExampleCase {
  readonly name?: string;
  readonly sql?: string;
  readonly ssh?: string;
  readonly kubernetes?: string;
  readonly expect: string;
}

/** What a case's ✓ line shows without a name: the first line of its text. */
const caseTitle = (example: ExampleCase): string =>
  example.name ?? (example.sql ?? example.ssh ?? example.kubernetes ?? '').split('\n')[0] ?? '';

async function exampleCases(): Promise<ExampleCase[]> {
  const files = (await readdir(EXAMPLE_TESTS)).filter((f) => f.endsWith('.yaml'));
  const cases: ExampleCase[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(join(EXAMPLE_TESTS, file), 'utf8'))) {
      cases.push(...((document.toJS() as { cases: ExampleCase[] }).cases ?? []));
    }
  }
  return cases;
}

const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('airlock-policy-test', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'airlock-policy-test-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the examples pass: exit 0, one ✓ block per case with classification, rule and decision', async () => {
    const { code, stdout, stderr } = await policyTest(relative(ROOT, EXAMPLE_TESTS));
    assert.equal(stderr, '');
    assert.equal(code, 0, stdout);
    const cases = await exampleCases();
    assert.ok(cases.length >= 20, `the examples have ${cases.length} cases`);
    for (const protocol of ['sql', 'ssh', 'kubernetes'] as const) {
      assert.ok(
        cases.some((example) => example[protocol] !== undefined),
        `the examples have ${protocol} cases`,
      );
    }
    for (const example of cases) {
      assert.match(stdout, new RegExp(`^  ✓ ${literal(caseTitle(example))}$`, 'm'));
    }
    assert.match(stdout, new RegExp(`^${cases.length} cases passed\\n$`, 'm'));
    assert.doesNotMatch(stdout, /✗/);
    // What each kind of case shows, in the words of the decision code.
    for (const block of [
      /✓ reads are allowed\n.*\n {6}SELECT id, status, total FROM orders WHERE customer_id = 42\n {8}kinds: read {2}commands: SELECT {2}objects: orders {2}functions: -\n {6}→ allow: allowed by ApprovalPolicy prod-databases rule reads\n/,
      /✓ TRUNCATE is denied\n {6}TRUNCATE orders\n {8}kinds: write, ddl {2}commands: TRUNCATE TABLE .*\n {6}→ deny: denied by ApprovalPolicy prod-databases rule no-truncate/,
      /✓ DDL is held for two database owners\n.*\n.*\n {6}→ requireApproval: held for approval by ApprovalPolicy prod-databases rule ddl-needs-two-owners\n/,
      /✓ a DELETE without WHERE is held\n.*\n.*writes without WHERE\n {6}→ requireApproval: held for approval by ApprovalPolicy prod-databases rule unbounded-writes\n/,
      /✓ a data-modifying CTE with a WHERE still writes, so reads does not cover it\n.*\n {8}kinds: read, write .*\n {6}→ requireApproval: held for approval by ApprovalPolicy prod-databases default action/,
      /✓ SET ROLE changes privileges and is denied\n.*\n {8}kinds: privilege, session .*\n {6}→ deny: denied by ApprovalPolicy prod-databases rule dangerous-functions\n/,
      /✓ several statements are each decided and the strictest wins\n(?:.*\n){12} {6}decision: requireApproval \(statement 3 of 4, the strictest\)\n/,
      // kubernetes: the request line, the request in kubectl terms, what the policy reads of it.
      /✓ kubectl delete deployment orders -n prod-eu is held\n {6}DELETE \/apis\/apps\/v1\/namespaces\/prod-eu\/deployments\/orders\n {8}kubectl terms: delete deployments orders -n prod-eu\n {8}verb: delete {2}resource: deployments \(apps\/v1\) {2}name: orders {2}namespace: prod-eu {2}kinds: write\n {6}→ requireApproval: held for approval by ApprovalPolicy cluster-api-access rule prod-deletes\n/,
      /✓ kubectl get secrets -A is denied\n.*\n {8}kubectl terms: get secrets -A\n {8}verb: list .* {2}scope: all namespaces \(a built-in namespaced resource\) .*\n {6}→ deny: denied by ApprovalPolicy cluster-api-access rule no-secrets\n/,
      /✓ the same exec over a WebSocket \(GET\) is held too\n.*\n {8}kubectl terms: exec pods\/web-0 -n prod-eu -- sh -c ls\n {8}verb: get \(an allow rule must list create\) {2}resource: pods\/exec .*\n {6}→ requireApproval: held for approval by ApprovalPolicy cluster-api-access rule prod-exec/,
      /✓ a custom resource without a namespace is read as both scopes; reads covers both\n.*\n.*\n.*scope: unknown: not a built-in resource, so read as both cluster-scoped and across all namespaces/,
    ]) {
      assert.match(stdout, block);
    }
  });

  test('a wrong expectation: exit 1, the ✗ line names expected and got, and the failure its file:line', async () => {
    const file = join(dir, 'wrong.yaml');
    await writeFile(
      file,
      `apiVersion: cli.airlock.dev/v1alpha1
kind: PolicyTest
files: [${JSON.stringify(EXAMPLE_POLICY)}, ${JSON.stringify(EXAMPLE_TARGET)}]
target: orders-db
cases:
  - name: reads pass
    sql: SELECT 1
    expect: allow
  - name: truncate is only held
    sql: TRUNCATE orders
    expect: requireApproval
    rule: ddl-needs-two-owners
`,
    );
    const { code, stdout, stderr } = await policyTest(file);
    assert.equal(stderr, '');
    assert.equal(code, 1, stdout);
    assert.match(stdout, /^ {2}✓ reads pass$/m);
    assert.match(
      stdout,
      /^ {2}✗ truncate is only held: expected requireApproval, got deny; expected rule ddl-needs-two-owners, got no-truncate$/m,
    );
    assert.match(stdout, new RegExp(`^failed:\\n  ✗ ${literal(file)}:9 truncate is only held$`, 'm'));
    assert.match(stdout, /^1 of 2 cases failed, 1 passed$/m);
  });

  test('an invalid policy: exit 2, nothing run, the error names file, line, document, object and field', async () => {
    const original = await readFile(EXAMPLE_POLICY, 'utf8');
    const policy = join(dir, 'invalid-policy.yaml');
    await writeFile(policy, original.replace('    - name: no-truncate\n', '    - name: No_Truncate\n'));
    const file = join(dir, 'invalid-policy-test.yaml');
    await writeFile(
      file,
      `apiVersion: cli.airlock.dev/v1alpha1
kind: PolicyTest
files: [invalid-policy.yaml, ${JSON.stringify(EXAMPLE_TARGET)}]
target: orders-db
cases:
  - sql: SELECT 1
    expect: allow
`,
    );
    const { code, stdout, stderr } = await policyTest(file);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, '');
    const line = original.split('\n').indexOf('    - name: no-truncate') + 1;
    assert.match(stderr, /^error \(InvalidInput\): the input has a problem; nothing was run$/m);
    assert.match(
      stderr,
      new RegExp(
        `^  ${literal(policy)}:${line}: document 2 \\(ApprovalPolicy agents/prod-databases\\): spec\\.rules\\[0\\]\\.name: "No_Truncate" is not valid`,
        'm',
      ),
    );
  });

  test('--output json on the examples, and --help with an example', async () => {
    const json = await policyTest('--output', 'json', relative(ROOT, EXAMPLE_TESTS));
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout) as {
      passed: boolean;
      summary: { failed: number; passed: number };
      suites: { cases: { name: string; protocol: string; request: { text: string; verb: string; scope: string | null } | null }[] }[];
    };
    assert.equal(report.passed, true);
    assert.equal(report.summary.failed, 0);
    assert.equal(report.summary.passed, (await exampleCases()).length);
    const nodes = report.suites
      .flatMap((suite) => suite.cases)
      .find((c) => c.name === 'kubectl get nodes is a cluster-scoped read, allowed');
    assert.equal(nodes?.protocol, 'kubernetes');
    assert.deepEqual([nodes?.request?.verb, nodes?.request?.scope], ['list', 'cluster']);
    const help = await policyTest('-h');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^usage: airlock-policy-test/);
    assert.match(help.stdout, /^Example:\n {2}airlock-policy-test crds\/examples\/policy-tests$/m);
  });
});
