/**
 * The Helm chart (charts/airlock) with the real helm: it lints strictly, its values are checked by
 * its schema, what it renders holds exactly the install objects and webhook configurations the rest
 * of the suite installs (contracts/src/install: one source) plus the operator's Deployment,
 * Services, PodDisruptionBudget, recordings volume and uninstall hook, every documented value set
 * renders objects the real API server accepts (server-side dry run), and it installs and
 * uninstalls, keeping the CRDs. The operator running from the chart, on the test node, is in node-install.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { installObjects, mutatingWebhookConfiguration, OPERATOR_SERVICE, validatingWebhookConfiguration } from '@airlock/contracts/install';
import { customResourceDefinition, SOURCES } from '@airlock/crds';
import { CHART_DIR as CHART, ControlPlane, kubernetesVersion, runHelm } from '@airlock/testkit';
import { parseAllDocuments } from 'yaml';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
const log = (line: string) => process.stderr.write(`# ${line}\n`);

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects
type Obj = Record<string, any>;

/** The value sets the chart README documents, each rendered and dry-run against the API server. */
const VALUE_SETS: Record<string, string[]> = {
  defaults: [],
  'pinned digest, ReadWriteMany recordings, 3 replicas': [
    '--set',
    `image.digest=${DIGEST}`,
    '--set',
    'recordings.persistence.accessModes={ReadWriteMany}',
    '--set',
    'recordings.persistence.storageClass=nfs',
    '--set',
    'operator.replicas=3',
  ],
  'one replica, no persistence, own service account': [
    '--set',
    'operator.replicas=1',
    '--set',
    'recordings.persistence.enabled=false',
    '--set',
    'operator.serviceAccount.name=gate',
  ],
  'CRDs as templates': ['--set', 'crds.templated=true'],
  'existing claim, own sidecar image, scheduling and pull secrets': [
    '--set',
    'recordings.persistence.existingClaim=audit-recordings',
    '--set',
    'sidecar.image.repository=registry.example/airlock-sidecar',
    '--set',
    `sidecar.image.digest=${DIGEST}`,
    '--set',
    'operator.nodeSelector.pool=system',
    '--set',
    'operator.tolerations[0].key=dedicated',
    '--set',
    'operator.tolerations[0].operator=Exists',
    '--set',
    'operator.priorityClassName=system-cluster-critical',
    '--set',
    'imagePullSecrets[0].name=registry',
    '--set',
    'operator.resources.limits.memory=1Gi',
  ],
  'no uninstall hook, no disruption budget': [
    '--set',
    'webhooks.removeOnUninstall=false',
    '--set',
    'operator.podDisruptionBudget.enabled=false',
  ],
};

/** helm's own config, cache and data stay in a directory of this test, removed after it. */
const helmHome = mkdtempSync(join(tmpdir(), 'airlock-helm-test-'));
after(() => rmSync(helmHome, { recursive: true, force: true }));

const helm = (args: string[], kubeconfig?: string) => runHelm(args, { home: helmHome, log, ...(kubeconfig ? { kubeconfig } : {}) });

const objectsOf = (yaml: string): Obj[] =>
  parseAllDocuments(yaml)
    .map((document) => document.toJS() as Obj | null)
    .filter((object): object is Obj => object !== null);

const keyOf = (object: Obj) => `${object.kind}/${object.metadata.name}`;
const byKey = (objects: readonly Obj[]) => new Map(objects.map((object) => [keyOf(object), object]));

async function renderText(namespace: string, values: string[] = [], flags: string[] = []): Promise<string> {
  const args = ['template', 'airlock', CHART, '-n', namespace, '--kube-version', kubernetesVersion(), ...flags, ...values];
  const rendered = await helm(args);
  assert.equal(rendered.code, 0, rendered.stderr);
  return rendered.stdout;
}
const render = async (namespace: string, values: string[] = [], flags: string[] = []) =>
  objectsOf(await renderText(namespace, values, flags));
const find = (objects: Obj[], kind: string, name?: string) => objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));

test('helm lint --strict passes, with the defaults and with every documented value set', async () => {
  for (const [name, values] of Object.entries(VALUE_SETS)) {
    const linted = await helm(['lint', '--strict', CHART, ...values]);
    assert.equal(linted.code, 0, `${name}: ${linted.stdout}${linted.stderr}`);
  }
});

describe('the generated objects are the install objects and webhook configurations, one source', () => {
  for (const [namespace, serviceAccount, values] of [
    ['airlock-system', 'airlock-operator', []],
    ['ops', 'gate', ['--set', 'operator.serviceAccount.name=gate']],
  ] as const) {
    test(`namespace ${namespace}, service account ${serviceAccount}`, async () => {
      const rendered = byKey(await render(namespace, [...values], ['--include-crds', '--no-hooks']));
      const endpoint = { service: { namespace, name: OPERATOR_SERVICE, port: 443 } };
      const expected = byKey(
        JSON.parse(
          JSON.stringify([
            ...SOURCES.map((source) => customResourceDefinition(source)),
            // Helm creates the release namespace; the chart does not own it.
            ...installObjects({ namespace, serviceAccount }).filter((object) => (object as Obj).kind !== 'Namespace'),
            mutatingWebhookConfiguration({ endpoint, operatorNamespace: namespace }),
            validatingWebhookConfiguration({ endpoint, operatorNamespace: namespace }),
          ]),
        ),
      );
      for (const [key, object] of expected) assert.deepEqual(rendered.get(key), object, key);
      // Besides them, only what the chart alone has: the operator's workload and its volume.
      const extra = [...rendered.keys()].filter((key) => !expected.has(key)).sort();
      assert.deepEqual(extra, [
        'Deployment/airlock-operator',
        'PersistentVolumeClaim/airlock-recordings',
        'PodDisruptionBudget/airlock-operator',
        'Service/airlock-broker',
        'Service/airlock-operator',
      ]);
    });
  }
});

describe('the operator Deployment', () => {
  test('defaults: 2 replicas, hardened, probed, the chart appVersion image, the same image injected', async () => {
    const objects = await render('airlock-system');
    const deployment = find(objects, 'Deployment', 'airlock-operator')!;
    assert.equal(deployment.spec.replicas, 2);
    assert.deepEqual(deployment.spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: 0 });
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'airlock-operator');
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const [container] = pod.containers;
    assert.equal(container.image, 'airlock/airlock:0.1.0');
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ['ALL'] },
    });
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    assert.equal(container.resources.limits.cpu, undefined, 'no CPU limit on a proxy control plane');
    assert.ok(container.args.includes('--sidecar-image=airlock/airlock:0.1.0'), container.args.join(' '));
    assert.ok(container.args.includes('--broker-url=https://airlock-broker.airlock-system.svc:8443'));
    assert.ok(container.args.includes('--dns-name=airlock-broker.airlock-system.svc'));
    assert.deepEqual(
      container.env.map((e: Obj) => [e.name, e.valueFrom.fieldRef.fieldPath]),
      [
        ['POD_NAMESPACE', 'metadata.namespace'],
        ['POD_NAME', 'metadata.name'],
      ],
    );
    // ReadWriteOnce recordings: the replicas go where the volume is.
    assert.equal(pod.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey, 'kubernetes.io/hostname');
    assert.equal(pod.topologySpreadConstraints, undefined);
    assert.equal(pod.volumes[0].persistentVolumeClaim.claimName, 'airlock-recordings');
    assert.equal(find(objects, 'PodDisruptionBudget')?.spec.minAvailable, 1);
    const broker = find(objects, 'Service', 'airlock-broker')!;
    assert.equal(broker.spec.sessionAffinity, 'ClientIP');
    assert.deepEqual(find(objects, 'Service', 'airlock-operator')!.spec.ports, [
      { name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' },
    ]);
  });

  test('a digest pins both images; ReadWriteMany spreads the replicas over nodes instead', async () => {
    const objects = await render('airlock-system', VALUE_SETS['pinned digest, ReadWriteMany recordings, 3 replicas']!);
    const pod = find(objects, 'Deployment')!.spec.template.spec;
    assert.equal(pod.containers[0].image, `airlock/airlock@${DIGEST}`);
    assert.ok(pod.containers[0].args.includes(`--sidecar-image=airlock/airlock@${DIGEST}`));
    assert.equal(pod.affinity, undefined);
    assert.equal(pod.topologySpreadConstraints[0].topologyKey, 'kubernetes.io/hostname');
    assert.deepEqual(find(objects, 'PersistentVolumeClaim')!.spec.accessModes, ['ReadWriteMany']);
    assert.equal(find(objects, 'PersistentVolumeClaim')!.spec.storageClassName, 'nfs');
  });

  test('one replica without persistence: an emptyDir, no disruption budget, no affinity', async () => {
    const objects = await render('airlock-system', VALUE_SETS['one replica, no persistence, own service account']!);
    const pod = find(objects, 'Deployment')!.spec.template.spec;
    assert.deepEqual(pod.volumes[0], { name: 'recordings', emptyDir: {} });
    assert.equal(find(objects, 'PodDisruptionBudget'), undefined);
    assert.equal(find(objects, 'PersistentVolumeClaim'), undefined);
    assert.equal(pod.serviceAccountName, 'gate');
  });

  test('an existing claim is used, not created; the sidecar image can differ', async () => {
    const objects = await render('airlock-system', VALUE_SETS['existing claim, own sidecar image, scheduling and pull secrets']!);
    const pod = find(objects, 'Deployment')!.spec.template.spec;
    assert.equal(find(objects, 'PersistentVolumeClaim'), undefined);
    assert.equal(pod.volumes[0].persistentVolumeClaim.claimName, 'audit-recordings');
    assert.ok(pod.containers[0].args.includes(`--sidecar-image=registry.example/airlock-sidecar@${DIGEST}`));
    assert.equal(pod.containers[0].image, 'airlock/airlock:0.1.0');
    assert.deepEqual(pod.imagePullSecrets, [{ name: 'registry' }]);
    assert.deepEqual(pod.nodeSelector, { pool: 'system' });
  });

  test('the uninstall hook runs before deletion, may delete only the two webhook configurations, and goes away', async () => {
    const objects = await render('airlock-system');
    const hooks = objects.filter((o) => o.metadata.annotations?.['helm.sh/hook']);
    assert.deepEqual(hooks.map(keyOf).sort(), [
      'ClusterRole/airlock-uninstall',
      'ClusterRoleBinding/airlock-uninstall',
      'Job/airlock-remove-webhooks',
      'ServiceAccount/airlock-uninstall',
    ]);
    for (const hook of hooks) {
      assert.equal(hook.metadata.annotations['helm.sh/hook'], 'pre-delete');
      assert.equal(hook.metadata.annotations['helm.sh/hook-delete-policy'], 'before-hook-creation,hook-succeeded');
    }
    assert.deepEqual(find(objects, 'ClusterRole', 'airlock-uninstall')!.rules, [
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations'],
        resourceNames: ['airlock'],
        verbs: ['delete'],
      },
    ]);
    const job = find(objects, 'Job')!.spec.template.spec;
    assert.deepEqual(job.containers[0].command.slice(0, 2), ['/usr/local/bin/node', '/app/operator/src/remove-webhooks-main.ts']);
    assert.equal(
      (await render('airlock-system', VALUE_SETS['no uninstall hook, no disruption budget']!)).filter(
        (o) => o.metadata.annotations?.['helm.sh/hook'],
      ).length,
      0,
    );
  });

  test('CRDs as templates are kept on uninstall', async () => {
    const crds = (await render('airlock-system', ['--set', 'crds.templated=true'])).filter((o) => o.kind === 'CustomResourceDefinition');
    assert.equal(crds.length, SOURCES.length);
    for (const crd of crds) assert.equal(crd.metadata.annotations['helm.sh/resource-policy'], 'keep');
    assert.equal((await render('airlock-system')).filter((o) => o.kind === 'CustomResourceDefinition').length, 0, 'crds/ is not templated');
  });
});

test('values the schema refuses fail with the reason', async () => {
  for (const [values, reason] of [
    [['--set', 'operator.serviceAcount.name=x'], /additional properties 'serviceAcount' not allowed/],
    [['--set', 'operator.serviceAccount.name=Not_A_Name'], /operator\/serviceAccount\/name/],
    [['--set', 'image.digest=latest'], /image\/digest/],
    [['--set', 'operator.replicas=-1'], /operator\/replicas/],
    [['--set', 'recordings.persistence.accessModes={ReadWriteOncePod}'], /accessModes/],
    [['--set', 'operator.resources.requests.memory=lots'], /operator\/resources\/requests\/memory/],
    [['--set', 'operator.ports.webhook=80'], /operator\/ports\/webhook/],
  ] as const) {
    const refused = await helm(['template', 'airlock', CHART, '--kube-version', kubernetesVersion(), ...values]);
    assert.notEqual(refused.code, 0, values.join(' '));
    assert.match(refused.stderr, reason, refused.stderr);
  }
});

describe('on a real API server', () => {
  let plane: ControlPlane;
  let work: string;
  before(async () => {
    plane = await ControlPlane.start({ log });
    work = mkdtempSync(join(tmpdir(), 'airlock-helm-render-'));
  });
  after(async () => {
    await plane?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('every documented value set renders objects the API server accepts (server-side dry run)', async () => {
    const created = await plane.kubectl(['create', 'namespace', 'render-check']);
    assert.equal(created.code, 0, created.stderr);
    for (const [name, values] of Object.entries(VALUE_SETS)) {
      const file = join(work, `${name.replace(/\W+/g, '-')}.yaml`);
      writeFileSync(file, await renderText('render-check', values, ['--include-crds']));
      const dryRun = await plane.kubectl(['apply', '--dry-run=server', '--server-side', '--field-manager=helm-check', '-f', file]);
      assert.equal(dryRun.code, 0, `${name}: ${dryRun.stderr}`);
    }
  });

  test('helm install creates the release; uninstall removes it and keeps the CRDs', async () => {
    const installed = await helm(
      ['install', 'airlock', CHART, '-n', 'airlock-system', '--create-namespace', '--set', 'webhooks.removeOnUninstall=false'],
      plane.kubeconfigPath(),
    );
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stdout, /kubectl label namespace agents airlock\.dev\/injection=enabled/, 'NOTES say what to do next');
    for (const object of [
      'serviceaccount/airlock-operator',
      'deployment/airlock-operator',
      'service/airlock-broker',
      'pvc/airlock-recordings',
    ]) {
      const got = await plane.kubectl(['get', object, '-n', 'airlock-system', '-o', 'name']);
      assert.equal(got.code, 0, `${object}: ${got.stderr}`);
    }
    const binding = await plane.kubectl(['get', 'validatingadmissionpolicybinding', '-o', 'jsonpath={.items[*].spec.paramRef.namespace}']);
    assert.match(binding.stdout, /airlock-system/);
    const uninstalled = await helm(['uninstall', 'airlock', '-n', 'airlock-system', '--wait', '--timeout', '60s'], plane.kubeconfigPath());
    assert.equal(uninstalled.code, 0, uninstalled.stderr);
    for (const object of ['serviceaccount/airlock-operator', 'deployment/airlock-operator']) {
      const gone = await plane.kubectl(['get', object, '-n', 'airlock-system', '-o', 'name']);
      assert.notEqual(gone.code, 0, `${object} outlived helm uninstall`);
    }
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const gone = await plane.kubectl(['get', kind, 'airlock', '-o', 'name']);
      assert.notEqual(gone.code, 0, `${kind} outlived helm uninstall`);
    }
    const crds = await plane.kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=airlock', '-o', 'name']);
    assert.equal(crds.stdout.trim().split('\n').length, SOURCES.length, `CRDs after uninstall: ${crds.stdout}`);
  });
});
