import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { renderInstallManifests } from './install-manifests-main.ts';

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  webhooks?: { clientConfig: { service?: { namespace: string; name: string } } }[];
}

const objectsOf = (yaml: string): KubeObject[] => parseAllDocuments(yaml).map((document) => document.toJS() as KubeObject);

test('the install manifest holds the CRDs, RBAC, admission policy and both webhook configurations, once each', () => {
  const objects = objectsOf(renderInstallManifests([]));
  const kinds = objects.map((object) => object.kind);
  assert.equal(kinds.filter((kind) => kind === 'CustomResourceDefinition').length, 4);
  for (const kind of [
    'Namespace',
    'ServiceAccount',
    'ClusterRole',
    'ClusterRoleBinding',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
    'MutatingWebhookConfiguration',
    'ValidatingWebhookConfiguration',
  ]) {
    assert.ok(kinds.includes(kind), `no ${kind} in ${kinds.join(', ')}`);
  }
  const keys = objects.map((object) => `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`);
  assert.deepEqual(keys, [...new Set(keys)], 'an object appears twice');
  assert.ok(kinds.indexOf('CustomResourceDefinition') < kinds.indexOf('Namespace'), 'CRDs come first');
});

test('the namespace, service account and Service flags reach every object that names them', () => {
  const objects = objectsOf(renderInstallManifests(['--namespace', 'ops', '--service-account', 'gate', '--service', 'gate-svc']));
  assert.ok(objects.some((object) => object.kind === 'Namespace' && object.metadata.name === 'ops'));
  assert.ok(
    objects.some((object) => object.kind === 'ServiceAccount' && object.metadata.name === 'gate' && object.metadata.namespace === 'ops'),
  );
  const webhooks = objects.filter((object) => object.kind.endsWith('WebhookConfiguration')).flatMap((object) => object.webhooks ?? []);
  assert.ok(webhooks.length >= 2);
  for (const webhook of webhooks) {
    assert.equal(webhook.clientConfig.service?.namespace, 'ops');
    assert.equal(webhook.clientConfig.service?.name, 'gate-svc');
  }
  assert.ok(
    !renderInstallManifests(['--namespace', 'ops']).includes('airlock-system'),
    'the default namespace leaks into a custom install',
  );
});

test('an unknown flag is refused with the usage and exit code 2', () => {
  const run = spawnSync(process.execPath, [join(import.meta.dirname, 'install-manifests-main.ts'), '--namspace', 'x'], {
    encoding: 'utf8',
  });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /usage: install-manifests/);
  assert.equal(run.stdout, '');
});
