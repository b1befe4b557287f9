import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXAMPLES_DIR } from '@airlock/crds';
import { policyTest } from './command.ts';

const EXAMPLE_TESTS = join(EXAMPLES_DIR, 'policy-tests');
const EXAMPLE_POLICY = join(EXAMPLES_DIR, 'prod-db-policy.yaml');
const EXAMPLE_TARGET = join(EXAMPLES_DIR, 'postgres-target.yaml');

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'policy-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await policyTest(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}

const testFile = (cases: string, files = [EXAMPLE_POLICY, EXAMPLE_TARGET]): string => `apiVersion: cli.airlock.dev/v1alpha1
kind: PolicyTest
files: [${files.map((f) => JSON.stringify(f)).join(', ')}]
target: orders-db
cases:
${cases}`;

test('the examples pass: exit 0', async () => {
  const { code, stdout, stderr } = await run(EXAMPLE_TESTS);
  assert.equal(stderr, '');
  assert.equal(code, 0, stdout);
  assert.match(stdout, /^\d+ cases passed\n$/m);
  assert.doesNotMatch(stdout, /✗/);
});

test('a wrong expectation: exit 1, and the ✗ line says what was expected and what came', async () => {
  const file = join(dir, 'wrong.yaml');
  await writeFile(file, testFile('  - sql: TRUNCATE orders\n    expect: allow\n  - sql: SELECT 1\n    expect: allow\n'));
  const { code, stdout } = await run(file);
  assert.equal(code, 1);
  assert.match(stdout, /^ {2}✗ TRUNCATE orders: expected allow, got deny$/m);
  assert.match(stdout, /^ {2}✓ SELECT 1$/m);
  assert.match(stdout, new RegExp(`^  ✗ ${file.replaceAll('/', '\\/')}:6 TRUNCATE orders$`, 'm'));
});

test('--output json: the same facts for machines', async () => {
  const file = join(dir, 'json.yaml');
  await writeFile(file, testFile('  - sql: SELECT 1; TRUNCATE orders\n    expect: deny\n    rule: no-truncate\n'));
  const { code, stdout } = await run('--output', 'json', file);
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.equal(report.passed, true);
  const [only] = report.suites[0].cases;
  assert.equal(only.decision.action, 'deny');
  assert.equal(only.decision.rule, 'no-truncate');
  assert.equal(only.decidingStatement, 1);
  assert.deepEqual(only.statements[1].kinds, ['write', 'ddl']);
  assert.deepEqual(only.applicablePolicies, ['prod-databases']);
});

test('an invalid policy: exit 2, nothing run, the problem names file, line, document, object and field', async () => {
  const policy = join(dir, 'bad-policy.yaml');
  const original = await readFile(EXAMPLE_POLICY, 'utf8');
  await writeFile(policy, original.replace('      action: deny\n      message:', '      action: block\n      message:'));
  const file = join(dir, 'bad-policy-test.yaml');
  await writeFile(file, testFile('  - sql: SELECT 1\n    expect: allow\n', [policy]));
  const { code, stdout, stderr } = await run(file);
  assert.equal(code, 2);
  assert.equal(stdout, '');
  assert.match(stderr, /^error \(InvalidInput\): the input has a problem; nothing was run$/m);
  const line = original.split('\n').indexOf('      action: deny') + 1;
  assert.match(
    stderr,
    new RegExp(
      `bad-policy\\.yaml:${line}: document 2 \\(ApprovalPolicy agents/prod-databases\\): spec\\.rules\\[0\\]\\.action: must be one of: allow, deny, requireApproval \\(got "block"\\)`,
    ),
  );
});

test('every problem of every file is reported at once; with --output json as JSON on stdout', async () => {
  const bad = join(dir, 'several.yaml');
  await writeFile(
    bad,
    `${testFile('  - sql: SELECT 1\n    expected: allow\n')}---\n${testFile('  - sql: SELECT 1\n    expect: allow\n', [join(dir, 'missing.yaml')])}`,
  );
  const text = await run(bad);
  assert.equal(text.code, 2);
  assert.match(text.stderr, /the input has 3 problems/);
  assert.match(text.stderr, /several\.yaml:7: document 1: cases\[0\]\.expected: unknown field/);
  assert.match(text.stderr, /several\.yaml:6: document 1: cases\[0\]\.expect: required field is missing/);
  assert.match(text.stderr, /missing\.yaml: cannot read it \(ENOENT\)/);
  const json = await run('-o', 'json', bad);
  assert.equal(json.code, 2);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.error.code, 'InvalidInput');
  assert.deepEqual(
    parsed.error.problems.map((p: { code: string }) => p.code),
    ['InvalidTestFile', 'InvalidTestFile', 'UnreadableFile'],
  );
});

test('a directory without test files, and wrong flags, are exit 2; --help is exit 0', async () => {
  const empty = await mkdtemp(join(dir, 'empty-'));
  const none = await run(empty);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /the directory has no \.yaml or \.yml test files/);
  const flags = await run('--bogus', 'x.yaml');
  assert.equal(flags.code, 2);
  assert.match(flags.stderr, /^error \(Usage\): .*--bogus/);
  const help = await run('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: airlock-policy-test/);
  assert.match(help.stdout, /kind: PolicyTest/);
});
