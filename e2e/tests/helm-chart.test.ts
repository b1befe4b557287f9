/**
 * The Helm chart (charts/airlock) with the real helm: it lints strictly, its values are checked by
 * its schema, what it renders is exactly the install objects the rest of the suite installs
 * (contracts/src/install: one source), and it installs into a real API server and uninstalls,
 * keeping the CRDs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installObjects } from '@airlock/contracts/install';
import { customResourceDefinition, SOURCES } from '@airlock/crds';
import { ControlPlane, helmBinary, kubernetesVersion } from '@airlock/testkit';
import { parseAllDocuments } from 'yaml';

const CHART = join(import.meta.dirname, '..', '..', 'charts', 'airlock');
const log = (line: string) => process.stderr.write(`# ${line}\n`);

interface KubeObject {
  kind: string;
  metadata: { name: string; namespace?: string };
}

let helm: string;
/** helm's own config, cache and data stay in a directory of this test, removed after it. */
const helmHome = mkdtempSync(join(tmpdir(), 'airlock-helm-test-'));
before(async () => {
  helm = await helmBinary(log);
});
after(() => rmSync(helmHome, { recursive: true, force: true }));

function runHelm(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(helm, args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(helmHome, 'cache'),
      HELM_CONFIG_HOME: join(helmHome, 'config'),
      HELM_DATA_HOME: join(helmHome, 'data'),
      ...env,
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const objectsOf = (yaml: string): KubeObject[] =>
  parseAllDocuments(yaml)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null);

const byKey = (objects: readonly object[]) =>
  new Map(objects.map((object) => [`${(object as KubeObject).kind}/${(object as KubeObject).metadata.name}`, object]));

function render(namespace: string, values: string[] = []): KubeObject[] {
  const args = ['template', 'airlock', CHART, '-n', namespace, '--include-crds', '--kube-version', kubernetesVersion(), ...values];
  const rendered = runHelm(args);
  assert.equal(rendered.status, 0, rendered.stderr);
  return objectsOf(rendered.stdout);
}

test('helm lint --strict passes', () => {
  const linted = runHelm(['lint', '--strict', CHART]);
  assert.equal(linted.status, 0, `${linted.stdout}${linted.stderr}`);
});

describe('what the chart renders is the install objects, nothing else', () => {
  for (const [namespace, serviceAccount, values] of [
    ['airlock-system', 'airlock-operator', []],
    ['ops', 'gate', ['--set', 'operator.serviceAccount.name=gate']],
  ] as const) {
    test(`namespace ${namespace}, service account ${serviceAccount}`, () => {
      const rendered = byKey(render(namespace, [...values]));
      const expected = byKey([
        ...SOURCES.map((source) => customResourceDefinition(source)),
        // Helm creates the release namespace; the chart does not own it.
        ...installObjects({ namespace, serviceAccount }).filter((object) => (object as KubeObject).kind !== 'Namespace'),
      ]);
      assert.deepEqual([...rendered.keys()].sort(), [...expected.keys()].sort());
      for (const [key, object] of expected) assert.deepEqual(rendered.get(key), JSON.parse(JSON.stringify(object)), key);
    });
  }
});

test('a value the schema does not know, or a name that is not a Kubernetes name, fails with the reason', () => {
  const unknown = runHelm(['template', 'airlock', CHART, '--kube-version', kubernetesVersion(), '--set', 'operator.serviceAcount.name=x']);
  assert.notEqual(unknown.status, 0);
  assert.match(unknown.stderr, /additional properties 'serviceAcount' not allowed/);
  const badName = runHelm([
    'template',
    'airlock',
    CHART,
    '--kube-version',
    kubernetesVersion(),
    '--set',
    'operator.serviceAccount.name=Not_A_Name',
  ]);
  assert.notEqual(badName.status, 0);
  assert.match(badName.stderr, /operator\/serviceAccount\/name/);
});

describe('on a real API server', () => {
  let plane: ControlPlane;
  before(async () => {
    plane = await ControlPlane.start({ log });
  });
  after(async () => plane?.stop());

  const kube = () => ({ KUBECONFIG: plane.kubeconfigPath() });

  test('helm install creates the CRDs and install objects in the release namespace; uninstall keeps the CRDs', async () => {
    const installed = runHelm(
      ['install', 'airlock', CHART, '-n', 'airlock-system', '--create-namespace', '--wait', '--timeout', '60s'],
      kube(),
    );
    assert.equal(installed.status, 0, installed.stderr);
    const account = await plane.kubectl(['get', 'serviceaccount', 'airlock-operator', '-n', 'airlock-system', '-o', 'name']);
    assert.equal(account.code, 0, account.stderr);
    const binding = await plane.kubectl(['get', 'validatingadmissionpolicybinding', '-o', 'jsonpath={.items[*].spec.paramRef.namespace}']);
    assert.equal(binding.code, 0, binding.stderr);
    assert.match(binding.stdout, /airlock-system/);
    const uninstalled = runHelm(['uninstall', 'airlock', '-n', 'airlock-system', '--wait'], kube());
    assert.equal(uninstalled.status, 0, uninstalled.stderr);
    const gone = await plane.kubectl(['get', 'serviceaccount', 'airlock-operator', '-n', 'airlock-system', '-o', 'name']);
    assert.notEqual(gone.code, 0, 'the service account outlived helm uninstall');
    const crds = await plane.kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=airlock', '-o', 'name']);
    assert.equal(crds.stdout.trim().split('\n').length, SOURCES.length, `CRDs after uninstall: ${crds.stdout}`);
  });
});
