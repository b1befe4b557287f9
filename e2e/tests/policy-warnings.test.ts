/**
 * What a policy author sees of the operator's policy warnings, end to end: a real control plane,
 * the operator as a process authenticated as its service account, the shipped examples applied
 * with the real kubectl, and `kubectl describe apol` as an author would run it. The warnings are
 * computed by operator/src/policy/policy-warnings.ts; here they must reach status, an Event, and
 * the describe output, and follow the Targets of the namespace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXAMPLES_DIR } from '@airlock/crds';
import { AirlockProcesses, ControlPlane, eventually, installAirlock, installCrds } from '@airlock/testkit';

const NS = 'agents';
const POLICY = 'risky';

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

let plane: ControlPlane;
let procs: AirlockProcesses;
let operator: Awaited<ReturnType<AirlockProcesses['startOperator']>>;

before(async () => {
  plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
  procs = new AirlockProcesses();
  await installCrds(plane);
  const install = await installAirlock(plane);
  operator = await procs.startOperator({
    kubeconfigPath: install.operator.kubeconfigPath,
    namespace: install.namespace,
    recordingsDirectory: mkdtempSync(join(procs.dir, 'recordings-')),
  });
  // The namespace and the production database Target, as shipped; no ssh Target yet.
  await apply(join(EXAMPLES_DIR, '00-namespace.yaml'));
  await apply(join(EXAMPLES_DIR, 'postgres-target.yaml'));
});

after(async () => {
  await procs?.stop();
  await plane?.stop();
});

async function apply(file: string): Promise<void> {
  const result = await plane.kubectl(['apply', '-f', file]);
  assert.equal(result.code, 0, result.stderr);
}

async function applyText(name: string, yaml: string): Promise<void> {
  const file = join(procs.dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  await apply(file);
}

async function getPolicy(name: string): Promise<Obj> {
  const result = await plane.kubectl(['get', 'approvalpolicies.airlock.dev', name, '-n', NS, '-o', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** The policy once the operator has looked at its current generation and `ready(policy)` holds. */
function policyWhen(name: string, what: string, ready: (policy: Obj) => boolean): Promise<Obj> {
  return eventually(
    `${name}: ${what}`,
    async () => {
      const policy = await getPolicy(name);
      return policy.status?.observedGeneration === policy.metadata.generation && ready(policy) ? policy : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, detail: () => `operator log:\n${operator.logTail()}` },
  );
}

const codesOf = (policy: Obj): string[] => (policy.status?.warnings ?? []).map((w: Obj) => `${w.code}@${w.rule ?? ''}`).sort();
const isReady = (policy: Obj): boolean => policy.status?.conditions?.some((c: Obj) => c.type === 'Ready' && c.status === 'True');

const RISKY = `apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata: { name: ${POLICY}, namespace: ${NS} }
spec:
  rules:
    - name: no-ddl
      match: { sql: { statementKinds: [ddl] } }
      action: deny
    - name: no-drop
      match: { sql: { statementKinds: [ddl], commands: [DROP TABLE] } }
      action: deny
    - name: orders
      match: { sql: { objects: [public.orders] } }
      action: allow
    - name: listings
      match: { ssh: { programs: [ls] } }
      action: allow
    - name: anything
      match: {}
      action: allow
  defaultAction: allow
`;

const EXPECTED = [
  'AllowKindsUnconstrained@orders',
  'AllowWithoutConstraints@anything',
  'DefaultAllow@',
  'NoTargetForProtocol@listings',
  'ShadowedRule@no-drop',
].sort();

test('the shipped production policy gets no warnings next to the shipped postgres Target', async () => {
  await apply(join(EXAMPLES_DIR, 'prod-db-policy.yaml'));
  // Settled: Ready, and no warning left (one about targets may show for a moment if the policy
  // is looked at before the Target reached the operator's cache; the Target's arrival requeues it).
  const policy = await policyWhen('prod-databases', 'Ready without warnings', (p) => isReady(p) && codesOf(p).length === 0);
  assert.equal(policy.status.warnings, undefined);
});

test('a policy that does what its author may not intend: status.warnings, a Warning Event, kubectl describe', async () => {
  await applyText(POLICY, RISKY);
  const policy = await policyWhen(POLICY, `warnings ${EXPECTED.join(', ')}`, (p) => codesOf(p).join() === EXPECTED.join());
  assert.ok(isReady(policy), 'warnings do not make a policy not Ready');
  const byCode = new Map<string, Obj>(policy.status.warnings.map((w: Obj) => [w.code, w]));
  assert.match(byCode.get('ShadowedRule')?.message, /Rule no-drop never decides: rule no-ddl comes first/);
  assert.match(byCode.get('AllowKindsUnconstrained')?.message, /ddl .*privilege .*dangerous/);
  assert.match(byCode.get('NoTargetForProtocol')?.message, /which only ssh Targets serve/);

  const described = await eventually(
    'kubectl describe to show the PolicyWarnings event',
    async () => {
      const result = await plane.kubectl(['describe', 'apol', POLICY, '-n', NS]);
      assert.equal(result.code, 0, result.stderr);
      return /Warning\s+PolicyWarnings\s/.test(result.stdout) ? result.stdout : undefined;
    },
    { timeoutMs: 30_000, detail: () => `operator log:\n${operator.logTail()}` },
  );
  process.stderr.write(`kubectl describe apol ${POLICY}:\n${described.replace(/^/gm, '  ')}\n`);
  assert.match(described, /^\s+Warnings:\s*$/m, 'the status.warnings section');
  for (const code of ['AllowWithoutConstraints', 'AllowKindsUnconstrained', 'DefaultAllow', 'ShadowedRule', 'NoTargetForProtocol']) {
    assert.match(described, new RegExp(`Code:\\s+${code}\\b`), code);
  }
  assert.match(described, /Message:\s+Rule no-drop never decides/);
  assert.match(described, /Warning\s+PolicyWarnings\s+.*5 warnings: /);
});

test('a Target of the missing type clears the warning about it, without touching the policy', async () => {
  await apply(join(EXAMPLES_DIR, 'ssh-target.yaml'));
  const policy = await policyWhen(POLICY, 'no NoTargetForProtocol', (p) => !codesOf(p).includes('NoTargetForProtocol@listings'));
  assert.deepEqual(
    codesOf(policy),
    EXPECTED.filter((c) => !c.startsWith('NoTargetForProtocol')),
  );
});

test('fixing the policy clears its warnings and says so in an Event', async () => {
  await applyText(
    POLICY,
    `apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata: { name: ${POLICY}, namespace: ${NS} }
spec:
  rules:
    - name: no-ddl
      match: { sql: { statementKinds: [ddl] } }
      action: deny
    - name: orders
      match: { sql: { statementKinds: [read], objects: [public.orders] } }
      action: allow
    - name: listings
      match: { ssh: { programs: [ls] } }
      action: allow
  defaultAction: deny
`,
  );
  const policy = await policyWhen(POLICY, 'no warnings', (p) => p.status?.warnings === undefined);
  assert.ok(isReady(policy));
  await eventually('a PolicyWarningsResolved event', async () => {
    const result = await plane.kubectl(['describe', 'apol', POLICY, '-n', NS]);
    return /Normal\s+PolicyWarningsResolved\s/.test(result.stdout) ? true : undefined;
  });
});
