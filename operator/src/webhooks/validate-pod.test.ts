import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { planInjection } from './plan-injection.ts';
import { applyPatch } from './testing/apply-json-patch.ts';
import { agentPod, BASTION, catalog, identity, NS, ORDERS_DB, SETTINGS } from './testing/fixtures.ts';
import { type PodAdmissionRequest, validatePod } from './validate-pod.ts';

const CATALOG = catalog([identity('migrator', 'migrator', ['orders-db'])], [ORDERS_DB]);
const CONTEXT = { catalog: CATALOG, operatorNamespace: 'airlock-system' };

/** A pod as the mutating webhook left it (our planInjection, checked by its own tests). */
function injected(): V1Pod {
  const pod = agentPod();
  const plan = planInjection(pod, NS, CATALOG, SETTINGS);
  if (plan.kind !== 'patch') throw new Error(`expected a patch, got ${plan.kind}`);
  return applyPatch(pod, plan.patch);
}

const create = (object: V1Pod, namespace = NS): PodAdmissionRequest => ({ operation: 'CREATE', namespace, object });
const update = (oldObject: V1Pod, object: V1Pod, subResource?: string): PodAdmissionRequest => ({
  operation: 'UPDATE',
  namespace: NS,
  object,
  oldObject,
  ...(subResource ? { subResource } : {}),
});

function rejected(request: PodAdmissionRequest): { code: string; message: string } {
  const verdict = validatePod(request, CONTEXT);
  assert.equal(verdict.allowed, false, 'expected a rejection');
  return verdict.allowed ? { code: '', message: '' } : { code: verdict.code, message: verdict.message };
}

describe('validatePod on CREATE', () => {
  test('an injected pod is allowed', () => {
    assert.deepEqual(validatePod(create(injected()), CONTEXT), { allowed: true });
  });

  test('an injected pod after API-server defaulting and a LimitRange is still allowed', () => {
    const pod = injected();
    const sidecar = pod.spec!.initContainers![0]!;
    delete sidecar.imagePullPolicy; // stands for "the server fills what we left out"
    sidecar.resources = { ...sidecar.resources, limits: { cpu: '1', memory: '256Mi' } };
    assert.deepEqual(validatePod(create(pod), CONTEXT), { allowed: true });
  });

  test('a pod that is not gated is allowed without a sidecar', () => {
    assert.deepEqual(validatePod(create(agentPod({ labels: { 'airlock.dev/inject': 'no' } })), CONTEXT), { allowed: true });
  });

  test('kube-system and the operator namespace are never checked', () => {
    assert.deepEqual(validatePod(create(agentPod(), 'airlock-system'), CONTEXT), { allowed: true });
    assert.deepEqual(validatePod(create(agentPod(), 'kube-system'), CONTEXT), { allowed: true });
  });

  test('a gated pod without the sidecar is rejected, saying how to fix it', () => {
    const { code, message } = rejected(create(agentPod()));
    assert.equal(code, 'SidecarMissing');
    assert.match(message, /airlock\.dev\/injection=enabled/);
  });

  test('the sidecar must come first', () => {
    const pod = injected();
    pod.spec!.initContainers!.reverse();
    assert.equal(rejected(create(pod)).code, 'SidecarNotFirst');
  });

  test('the sidecar must stay a native sidecar', () => {
    const pod = injected();
    delete pod.spec!.initContainers![0]!.restartPolicy;
    assert.equal(rejected(create(pod)).code, 'SidecarNotNative');
  });

  test('the record must be there', () => {
    const pod = injected();
    delete pod.metadata!.annotations!['airlock.dev/injected'];
    assert.equal(rejected(create(pod)).code, 'InjectionRecordInvalid');
    pod.metadata!.annotations!['airlock.dev/injected'] = '{"version":1}';
    assert.equal(rejected(create(pod)).code, 'InjectionRecordInvalid');
  });

  const alterations: [string, (pod: V1Pod) => void][] = [
    ['the sidecar image', (pod) => (pod.spec!.initContainers![0]!.image = 'evil/sidecar:1')],
    ['the sidecar args', (pod) => (pod.spec!.initContainers![0]!.args = ['--no-policy'])],
    ['the sidecar env', (pod) => pod.spec!.initContainers![0]!.env!.push({ name: 'AIRLOCK_MODE', value: 'audit' })],
    [
      'the sidecar security context',
      (pod) => {
        pod.spec!.initContainers![0]!.securityContext!.privileged = true;
      },
    ],
    [
      'the token audience',
      (pod) => {
        pod.spec!.volumes!.find((v) => v.name === 'airlock-token')!.projected!.sources![0]!.serviceAccountToken!.audience = 'kubernetes';
      },
    ],
    ['the token volume (removed)', (pod) => (pod.spec!.volumes = pod.spec!.volumes!.filter((v) => v.name !== 'airlock-token'))],
  ];
  for (const [what, alter] of alterations) {
    test(`a later change to ${what} is rejected`, () => {
      const pod = injected();
      alter(pod);
      assert.equal(rejected(create(pod)).code, 'SidecarAltered');
    });
  }

  test('automount must be false', () => {
    const pod = injected();
    delete pod.spec!.automountServiceAccountToken;
    assert.equal(rejected(create(pod)).code, 'AutomountNotDisabled');
  });

  test('an agent container mounting the token, or a token or credential added later, is rejected', () => {
    const mounted = injected();
    mounted.spec!.containers[0]!.volumeMounts = [{ name: 'airlock-token', mountPath: '/t' }];
    assert.equal(rejected(create(mounted)).code, 'AirlockTokenMounted');

    const serviceAccount = injected();
    serviceAccount.spec!.volumes!.push({
      name: 'kube-api-access-late',
      projected: { sources: [{ serviceAccountToken: { path: 'token' } }] },
    });
    serviceAccount.spec!.containers[0]!.volumeMounts!.push({
      name: 'kube-api-access-late',
      mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    });
    assert.equal(rejected(create(serviceAccount)).code, 'ServiceAccountTokenMounted');

    const credential = injected();
    credential.spec!.containers[0]!.env!.push({
      name: 'PGPASSWORD',
      valueFrom: { secretKeyRef: { name: 'orders-db-credentials', key: 'password' } },
    });
    assert.equal(rejected(create(credential)).code, 'CredentialEnv');
  });
});

const SSH_CATALOG = catalog([identity('operator', 'operator', ['bastion'])], [BASTION]);
const SSH_CONTEXT = { catalog: SSH_CATALOG, operatorNamespace: 'airlock-system' };

function withSsh(): V1Pod {
  const pod = agentPod({ serviceAccount: 'operator' });
  const plan = planInjection(pod, NS, SSH_CATALOG, SETTINGS);
  if (plan.kind !== 'patch') throw new Error(`expected a patch, got ${plan.kind}`);
  // As stored: the containers share no objects.
  return JSON.parse(JSON.stringify(applyPatch(pod, plan.patch))) as V1Pod;
}

describe('validatePod on CREATE: the config and ssh_config volumes', () => {
  const context = SSH_CONTEXT;

  test('mounted read-only in the agents (the config directory and the ssh_config file), it is allowed', () => {
    const pod = withSsh();
    assert.deepEqual(
      pod.spec?.containers[0]?.volumeMounts?.filter((m) => m.name.startsWith('airlock-')).map((m) => m.name),
      ['airlock-config', 'airlock-ssh-config'],
    );
    assert.deepEqual(validatePod(create(pod), context), { allowed: true });
  });

  test('mounted writable in an agent container (a later webhook, say), it is rejected, naming the container', () => {
    const pod = withSsh();
    pod.spec!.containers[0]!.volumeMounts!.push({ name: 'airlock-config', mountPath: '/config' });
    const verdict = validatePod(create(pod), context);
    assert.equal(verdict.allowed, false);
    assert.equal(!verdict.allowed && verdict.code, 'ConfigVolumeWritable');
    assert.match(!verdict.allowed ? verdict.message : '', /container agent mounts volume airlock-config writable: mount it readOnly: true/);
    const sshConfig = withSsh();
    sshConfig.spec!.initContainers![1]!.volumeMounts!.find((m) => m.name === 'airlock-ssh-config')!.readOnly = false;
    const writable = validatePod(create(sshConfig), context);
    assert.equal(!writable.allowed && writable.code, 'ConfigVolumeWritable');
    assert.match(!writable.allowed ? writable.message : '', /container wait-for-schema mounts volume airlock-ssh-config writable/);
  });
});

describe('validatePod on UPDATE', () => {
  test('ordinary updates of an injected pod are allowed: labels, finalizers, agent image', () => {
    const old = injected();
    const pod = structuredClone(old);
    pod.metadata!.labels!.phase = 'done';
    pod.metadata!.finalizers = [];
    pod.spec!.containers[0]!.image = 'ghcr.io/example/agent:1.2.4';
    assert.deepEqual(validatePod(update(old, pod), CONTEXT), { allowed: true });
  });

  test('a gated pod created before its namespace opted in (no sidecar) can still be updated', () => {
    const old = agentPod();
    const pod = structuredClone(old);
    pod.metadata!.finalizers = [];
    assert.deepEqual(validatePod(update(old, pod), CONTEXT), { allowed: true });
  });

  test('removing or changing the inject label is rejected', () => {
    const old = injected();
    const removed = structuredClone(old);
    delete removed.metadata!.labels!['airlock.dev/inject'];
    assert.equal(rejected(update(old, removed)).code, 'InjectLabelRemoved');
    const changed = structuredClone(old);
    changed.metadata!.labels!['airlock.dev/inject'] = 'false';
    assert.equal(rejected(update(old, changed)).code, 'InjectLabelRemoved');
  });

  test('adding the inject label to a running pod is rejected: it only means something at creation', () => {
    const old = agentPod({ labels: { 'airlock.dev/inject': 'false' } });
    const pod = structuredClone(old);
    pod.metadata!.labels!['airlock.dev/inject'] = 'true';
    assert.equal(rejected(update(old, pod)).code, 'InjectLabelAdded');
  });

  test('changing or removing the ssh_config annotation is rejected: the kubelet would hand it to the running agents', () => {
    const old = withSsh();
    assert.ok(old.metadata?.annotations?.['airlock.dev/ssh-config']);
    const changed = structuredClone(old);
    changed.metadata!.annotations!['airlock.dev/ssh-config'] = 'Host bastion\n  ProxyCommand nc elsewhere 22\n';
    assert.equal(rejected(update(old, changed)).code, 'SshConfigChanged');
    const removed = structuredClone(old);
    delete removed.metadata!.annotations!['airlock.dev/ssh-config'];
    assert.equal(rejected(update(old, removed)).code, 'SshConfigChanged');
    const relabeled = structuredClone(old);
    relabeled.metadata!.labels!.phase = 'done';
    assert.deepEqual(validatePod(update(old, relabeled), SSH_CONTEXT), { allowed: true });
  });

  test('changing or removing the record is rejected', () => {
    const old = injected();
    const pod = structuredClone(old);
    pod.metadata!.annotations!['airlock.dev/injected'] = '{}';
    assert.equal(rejected(update(old, pod)).code, 'InjectionRecordChanged');
  });

  test('changing the sidecar image (kubectl set image) is rejected', () => {
    const old = injected();
    const pod = structuredClone(old);
    pod.spec!.initContainers![0]!.image = 'busybox';
    const { code, message } = rejected(update(old, pod));
    assert.equal(code, 'SidecarChanged');
    assert.match(message, /image included/);
  });

  test('the pods/ephemeralcontainers subresource is refused on gated pods only', () => {
    const old = injected();
    const pod = structuredClone(old);
    pod.spec!.ephemeralContainers = [{ name: 'debugger', image: 'busybox' }];
    const { code, message } = rejected(update(old, pod, 'ephemeralcontainers'));
    assert.equal(code, 'EphemeralContainersForbidden');
    assert.match(message, /kubectl debug --copy-to/);
    const plain = agentPod({ labels: { 'airlock.dev/inject': 'false' } });
    assert.deepEqual(
      validatePod(update(plain, { ...plain, spec: { ...plain.spec!, ephemeralContainers: [] } }, 'ephemeralcontainers'), CONTEXT),
      {
        allowed: true,
      },
    );
  });

  test('other subresources are not this webhook’s business', () => {
    const old = injected();
    assert.deepEqual(validatePod(update(old, old, 'status'), CONTEXT), { allowed: true });
  });
});
