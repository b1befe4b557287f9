/**
 * The admission webhooks on a real control plane: the API server calls our HTTPS server through
 * the MutatingWebhookConfiguration and ValidatingWebhookConfiguration we render, with the CA the
 * CertificateManager keeps in its Secret and publishes as caBundle — while that manager rotates
 * the serving certificate under the API server's feet. Pods are created with the real kubectl
 * and by the real job-controller; there is no kubelet, so pods stay Pending and we read their
 * stored spec.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import {
  ControlPlane,
  createCertificateAuthority,
  eventually as eventuallyWithin,
  installCrds,
  issueServingCertificate,
} from '@airlock/testkit';

/** Control-plane work here (job-controller, certificate renewal) gets two minutes. */
const eventually = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined) =>
  eventuallyWithin(what, probe, { timeoutMs: 120_000 });

import {
  exclusionPolicy,
  exclusionPolicyBinding,
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from '@airlock/contracts/install';
import { isIssuedBy, splitPemBundle } from '@airlock/runtime/pki';
import type { V1Pod } from '@kubernetes/client-node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { InformerCatalog } from '../catalog.ts';
import { KubeApiError, KubeClient, type KubeObject } from '../kube/client.ts';
import { CertificateManager } from '../tls/certificate-manager.ts';
import type { TlsMaterial } from '../tls/tls-source.ts';
import { type AdmissionServer, startAdmissionServer } from './admission-server.ts';
import type { InjectionSettings } from './injection-settings.ts';
import { planInjection } from './plan-injection.ts';

const OPERATOR_NS = 'airlock-system';
const NS = 'agents';
const PLAIN_NS = 'plain';
/** In CI mode: labeled airlock.dev/injection=all. */
const CI_NS = 'ci';
const LONG = { timeout: 180_000 };

const logger = pino({ level: process.env.AIRLOCK_TEST_LOG ?? 'warn' }, pino.destination(2));

let plane: ControlPlane;
let client: KubeClient;
let catalog: InformerCatalog;
let certificates: CertificateManager;
let caRotation: CertificateManager | undefined;
let server: AdmissionServer;
let settings: InjectionSettings;
const registry = new Registry();
const manifests = mkdtempSync(join(tmpdir(), 'airlock-webhook-test-'));
/** Every TlsMaterial the CA-rotation manager served, in order. */
const caRotationHistory: TlsMaterial[] = [];

let manifestCount = 0;
/** `kubectl create -f` as the admin, the way a user or CI would create the object. */
async function kubectlCreate(object: unknown): Promise<{ code: number; stdout: string; stderr: string }> {
  const file = join(manifests, `object-${++manifestCount}.json`);
  writeFileSync(file, JSON.stringify(object));
  return plane.kubectl(['create', '-f', file, '-o', 'json']);
}

function podManifest(
  name: string,
  namespace: string,
  options: { labels?: Record<string, string>; serviceAccount?: string; spec?: object } = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'airlock.dev/inject': 'true', ...options.labels } },
    spec: {
      serviceAccountName: options.serviceAccount ?? 'migrator',
      restartPolicy: 'Never',
      containers: [{ name: 'agent', image: 'ghcr.io/example/agent:1.2.3', env: [{ name: 'PGHOST', value: 'orders-db.prod.svc' }] }],
      ...options.spec,
    },
  };
}

const getPod = (namespace: string, name: string) => client.request<V1Pod>('GET', `/api/v1/namespaces/${namespace}/pods/${name}`);
const envOf = (pod: V1Pod, container: string) =>
  Object.fromEntries(
    [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
      .find((c) => c.name === container)
      ?.env?.map((e) => [e.name, e.value]) ?? [],
  );

/** The serial number of the certificate the admission server presents right now. */
function servedSerial(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port, ca: certificates.current().caPem }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

/** A raw HTTPS request to the admission server, for what the API server never sends. */
function post(path: string, body: string | Buffer, method = 'POST'): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: server.port,
        path,
        method,
        ca: certificates.current().caPem,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

before(
  async () => {
    plane = await ControlPlane.start({ log: (line) => process.stderr.write(`# ${line}\n`) });
    await installCrds(plane);
    client = new KubeClient(plane.kubeConfig('admin'), { fieldManager: 'airlock-webhook-test' });
    await client.create('/api/v1/namespaces', { metadata: { name: OPERATOR_NS } });

    catalog = new InformerCatalog(client);
    await catalog.start();
    // Rotates every ~15 s for the whole file, so every test also runs against renewals.
    certificates = new CertificateManager({
      client,
      namespace: OPERATOR_NS,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
      webhookConfigurationNames: ['airlock'],
      certValiditySeconds: 60,
      renewBeforeSeconds: 45,
      logger: logger.child({ component: 'certificates' }),
    });
    await certificates.start();
    // A second manager whose CA is replaced within the file's run: staged at ~15 s, switched at ~20 s.
    caRotation = new CertificateManager({
      client,
      namespace: OPERATOR_NS,
      secretName: 'ca-rotation-tls',
      dnsNames: ['broker.airlock-system.svc'],
      certValiditySeconds: 20,
      renewBeforeSeconds: 10,
      caOverlapSeconds: 5,
      caValiditySeconds: 50,
      logger: logger.child({ component: 'ca-rotation' }),
    });
    await caRotation.start();
    caRotationHistory.push(caRotation.current());
    caRotation.onChange((material) => caRotationHistory.push(material));

    settings = {
      image: 'ghcr.io/airlock/sidecar:0.1.0',
      brokerURL: 'https://airlock-broker.airlock-system.svc:8443',
      brokerCAPem: certificates.current().caPem,
      operatorNamespace: OPERATOR_NS,
    };
    server = await startAdmissionServer({
      host: '127.0.0.1',
      port: 0,
      tls: certificates,
      catalog,
      settings: () => settings,
      registry,
      logger,
    });
    const endpoint = { url: `https://127.0.0.1:${server.port}` };
    // Created without caBundle: publishing it is the CertificateManager's job.
    await client.request('POST', '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations', {
      body: mutatingWebhookConfiguration({ endpoint, operatorNamespace: OPERATOR_NS }),
    });
    await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', {
      body: validatingWebhookConfiguration({ endpoint, operatorNamespace: OPERATOR_NS }),
    });
    await certificates.publishCaBundle();

    // The policy that narrows who may use the CI-mode exclusion label; the API server enforces it.
    await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', { body: exclusionPolicy() });
    await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', {
      body: exclusionPolicyBinding(),
    });

    await client.create('/api/v1/namespaces', { metadata: { name: NS, labels: { 'airlock.dev/injection': 'enabled' } } });
    await client.create('/api/v1/namespaces', { metadata: { name: PLAIN_NS } });
    await client.create('/api/v1/namespaces', { metadata: { name: CI_NS, labels: { 'airlock.dev/injection': 'all' } } });
    for (const [namespace, name] of [
      [NS, 'migrator'],
      [NS, 'stranger'],
      [NS, 'operator'],
      [PLAIN_NS, 'migrator'],
      [CI_NS, 'ci-job'],
      [CI_NS, 'gitlab-runner'],
    ] as const) {
      await client.create(`/api/v1/namespaces/${namespace}/serviceaccounts`, { metadata: { name } });
    }
    for (const [namespace, identity] of [
      [NS, 'migrator'],
      [CI_NS, 'ci-job'],
    ] as const) {
      await client.create(`/api/v1/namespaces/${namespace}/secrets`, {
        metadata: { name: 'orders-db-credentials' },
        stringData: { username: 'agent_gateway', password: 'change-me' },
      } as never);
      await client.create(`/apis/airlock.dev/v1alpha1/namespaces/${namespace}/targets`, {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'Target',
        metadata: { name: 'orders-db' },
        spec: {
          type: 'postgres',
          localPort: 5432,
          postgres: { host: 'orders-db.prod.svc', port: 5432, database: 'orders', tls: { mode: 'disable' } },
          credentialsSecretRef: { name: 'orders-db-credentials' },
        },
      } as never);
      await client.create(`/apis/airlock.dev/v1alpha1/namespaces/${namespace}/agentidentities`, {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'AgentIdentity',
        metadata: { name: identity },
        spec: { serviceAccountName: identity, targets: ['orders-db'] },
      } as never);
    }
    // An SSH host for the operator identity: its pods get the config volume and the ssh_config mount.
    await client.create(`/apis/airlock.dev/v1alpha1/namespaces/${NS}/targets`, {
      apiVersion: 'airlock.dev/v1alpha1',
      kind: 'Target',
      metadata: { name: 'bastion' },
      spec: {
        type: 'ssh',
        localPort: 2222,
        ssh: { host: 'bastion.prod.svc', hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleHostKeyOnly'] },
        credentialsSecretRef: { name: 'bastion-credentials' },
      },
    } as never);
    await client.create(`/apis/airlock.dev/v1alpha1/namespaces/${NS}/agentidentities`, {
      apiVersion: 'airlock.dev/v1alpha1',
      kind: 'AgentIdentity',
      metadata: { name: 'operator' },
      spec: { serviceAccountName: 'operator', targets: ['bastion'] },
    } as never);
    const expected = { [NS]: 2, [CI_NS]: 1 };
    await eventually('the catalog to see the Targets and the AgentIdentities', () =>
      Object.entries(expected).every(([ns, n]) => catalog.identities(ns).length === n && catalog.targets(ns).length === n)
        ? true
        : undefined,
    );
    // The API server loads webhook configurations asynchronously; a server-side dry run is
    // admitted like a real create, so the first denial shows our webhooks are in effect.
    await eventually('the API server to call the webhooks', async () => {
      const file = join(manifests, 'probe.json');
      writeFileSync(file, JSON.stringify(podManifest('probe', NS, { serviceAccount: 'stranger' })));
      const probe = await plane.kubectl(['create', '--dry-run=server', '-f', file]);
      return /NoIdentity/.test(probe.stderr) ? true : undefined;
    });
  },
  { timeout: 300_000 },
);

after(async () => {
  await server?.close();
  await certificates?.stop();
  await caRotation?.stop();
  catalog?.stop();
  await plane?.stop();
  rmSync(manifests, { recursive: true, force: true });
});

describe('webhook TLS', () => {
  test('the Secret holds the CA and the serving certificate, and both configurations carry the CA as caBundle', async () => {
    const secret = await client.get<KubeObject & { type: string; data: Record<string, string> }>(
      `/api/v1/namespaces/${OPERATOR_NS}/secrets/airlock-webhook-tls`,
    );
    assert.equal(secret.type, 'kubernetes.io/tls');
    for (const key of ['tls.crt', 'tls.key', 'ca.crt', 'signer.crt', 'signer.key']) assert.ok(secret.data[key], key);
    const caBundle = Buffer.from(certificates.current().caPem).toString('base64');
    for (const kind of ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations']) {
      const config = await client.get<KubeObject & { webhooks: { name: string; clientConfig: { caBundle?: string } }[] }>(
        `/apis/admissionregistration.k8s.io/v1/${kind}/airlock`,
      );
      assert.ok(config.webhooks.length > 0);
      for (const webhook of config.webhooks) assert.equal(webhook.clientConfig.caBundle, caBundle, `${kind} ${webhook.name}`);
    }
  });

  test('replicas starting together agree on one certificate: the loser of the race adopts the winner’s', LONG, async () => {
    const replica = (name: string) =>
      new CertificateManager({
        client,
        namespace: OPERATOR_NS,
        secretName: 'replicated-tls',
        dnsNames: ['airlock-webhook.airlock-system.svc'],
        logger: logger.child({ replica: name }),
      });
    const replicas = [replica('a'), replica('b'), replica('c')];
    try {
      await Promise.all(replicas.map((r) => r.start()));
      const [first, ...rest] = replicas.map((r) => r.current());
      for (const other of rest) assert.deepEqual(other, first);
      const secret = await client.get<KubeObject & { data: Record<string, string> }>(
        `/api/v1/namespaces/${OPERATOR_NS}/secrets/replicated-tls`,
      );
      assert.equal(Buffer.from(secret.data['tls.crt'] ?? '', 'base64').toString(), first?.certPem);
    } finally {
      await Promise.all(replicas.map((r) => r.stop()));
    }
  });
});

describe('injection', () => {
  test('a labeled pod created with kubectl gets the sidecar, the env and the token exactly as specified', LONG, async () => {
    const created = await kubectlCreate(podManifest('agent', NS));
    assert.equal(created.code, 0, created.stderr);
    const pod = await getPod(NS, 'agent');
    const [sidecar, ...otherInit] = pod.spec?.initContainers ?? [];
    assert.equal(sidecar?.name, 'airlock-sidecar');
    assert.equal(sidecar?.restartPolicy, 'Always', 'a native sidecar');
    assert.equal(otherInit.length, 0);
    assert.equal(sidecar?.image, settings.image);
    assert.equal(envOf(pod, 'airlock-sidecar').AIRLOCK_BROKER_URL, settings.brokerURL);
    assert.deepEqual(
      sidecar?.volumeMounts?.map((m) => [m.name, m.mountPath, m.readOnly]),
      [['airlock-token', '/var/run/secrets/airlock', true]],
    );

    const agentEnv = envOf(pod, 'agent');
    assert.equal(agentEnv.PGHOST, '127.0.0.1', "the pod's own PGHOST was replaced");
    assert.equal(agentEnv.PGPORT, '5432');
    assert.equal(agentEnv.PGSSLMODE, 'disable');
    assert.equal(agentEnv.AIRLOCK_ORDERS_DB_URL, 'postgresql://127.0.0.1:5432/orders?sslmode=disable');

    assert.equal(pod.spec?.automountServiceAccountToken, false);
    const tokenVolumes = (pod.spec?.volumes ?? []).filter((v) => v.projected?.sources?.some((s) => s.serviceAccountToken));
    assert.deepEqual(
      tokenVolumes.map((v) => v.name),
      ['airlock-token'],
      'the only token in the pod is the airlock one (no kube-api-access-*)',
    );
    assert.deepEqual(tokenVolumes[0]?.projected?.sources?.[0]?.serviceAccountToken, {
      audience: 'airlock',
      expirationSeconds: 3600,
      path: 'token',
    });
    assert.deepEqual(pod.spec?.containers[0]?.volumeMounts ?? [], [], 'the agent mounts nothing: no token, no credentials');

    const record = JSON.parse(pod.metadata?.annotations?.['airlock.dev/injected'] ?? '{}');
    assert.equal(record.identity, 'migrator');
    assert.deepEqual(record.targets, ['orders-db']);
    // As stored (defaulted by the API server), the pod is what the webhook would make of it again.
    assert.deepEqual(planInjection(pod, NS, catalog, settings), { kind: 'unchanged' });
  });

  test(
    'a pod reaching an SSH Target: the config volume read-only, ssh_config where ssh looks, GIT_SSH_COMMAND; stored as planned',
    LONG,
    async () => {
      const created = await kubectlCreate(podManifest('ssh-agent', NS, { serviceAccount: 'operator' }));
      assert.equal(created.code, 0, created.stderr);
      const pod = await getPod(NS, 'ssh-agent');
      assert.deepEqual(
        pod.spec?.containers[0]?.volumeMounts?.map((m) => [m.name, m.mountPath, m.subPath, m.readOnly]),
        [
          ['airlock-config', '/var/run/airlock', undefined, true],
          ['airlock-ssh-config', '/etc/ssh/ssh_config.d/airlock.conf', 'airlock.conf', true],
        ],
      );
      // The include file is the annotation, through a downward API volume (root-owned, as OpenSSH requires).
      assert.match(
        pod.metadata?.annotations?.['airlock.dev/ssh-config'] ?? '',
        /^Host bastion\n {2}HostName 127\.0\.0\.1\n {2}Port 2222$/m,
      );
      assert.deepEqual(pod.spec?.volumes?.find((v) => v.name === 'airlock-ssh-config')?.downwardAPI, {
        defaultMode: 0o444,
        items: [{ path: 'airlock.conf', fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['airlock.dev/ssh-config']" } }],
      });
      assert.deepEqual(
        pod.spec?.initContainers?.[0]?.volumeMounts?.map((m) => [m.name, m.mountPath, m.readOnly]),
        [
          ['airlock-token', '/var/run/secrets/airlock', true],
          ['airlock-config', '/var/run/airlock', undefined],
        ],
      );
      assert.equal(envOf(pod, 'agent').GIT_SSH_COMMAND, 'ssh -F /var/run/airlock/ssh_config');
      assert.equal(envOf(pod, 'agent').AIRLOCK_BASTION_URL, 'ssh://127.0.0.1:2222');
      assert.equal(envOf(pod, 'airlock-sidecar').AIRLOCK_CONFIG_DIR, '/var/run/airlock');
      assert.deepEqual(planInjection(pod, NS, catalog, settings), { kind: 'unchanged' });
      // The kubelet would hand a changed annotation to the running agents: refused.
      const annotate = await plane.kubectl(['annotate', '--overwrite', '-n', NS, 'pod/ssh-agent', 'airlock.dev/ssh-config=Host bastion']);
      assert.notEqual(annotate.code, 0, annotate.stdout);
      assert.match(annotate.stderr, /SshConfigChanged/);
    },
  );

  test('an unlabeled pod, and a labeled pod in a namespace that did not opt in, are left alone', LONG, async () => {
    const unlabeled = await kubectlCreate(podManifest('no-label', NS, { labels: { 'airlock.dev/inject': 'false' } }));
    assert.equal(unlabeled.code, 0, unlabeled.stderr);
    const outside = await kubectlCreate(podManifest('outside', PLAIN_NS));
    assert.equal(outside.code, 0, outside.stderr);
    for (const pod of [await getPod(NS, 'no-label'), await getPod(PLAIN_NS, 'outside')]) {
      assert.equal(pod.spec?.initContainers, undefined, pod.metadata?.name);
      assert.equal(pod.metadata?.annotations?.['airlock.dev/injected'], undefined);
      assert.equal(envOf(pod, 'agent').PGHOST, 'orders-db.prod.svc');
    }
  });

  test('a Job whose template carries the label: the job-controller creates the pod and it is injected', LONG, async () => {
    const created = await kubectlCreate({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: NS },
      spec: {
        backoffLimit: 0,
        template: { metadata: { labels: { 'airlock.dev/inject': 'true' } }, spec: podManifest('template', NS).spec },
      },
    });
    assert.equal(created.code, 0, created.stderr);
    const pod = await eventually('the job-controller to create the pod', async () => {
      const pods = await client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${NS}/pods`, {
        query: { labelSelector: 'batch.kubernetes.io/job-name=migrate' },
      });
      return pods.items[0];
    });
    assert.equal(pod.spec?.initContainers?.[0]?.name, 'airlock-sidecar');
    assert.equal(pod.spec?.initContainers?.[0]?.restartPolicy, 'Always');
    assert.equal(envOf(pod, 'agent').PGPORT, '5432');
    assert.equal(pod.spec?.automountServiceAccountToken, false);
  });

  test('a pod for which no AgentIdentity exists is refused, and the message says what to create', LONG, async () => {
    const created = await kubectlCreate(podManifest('stranger', NS, { serviceAccount: 'stranger' }));
    assert.notEqual(created.code, 0);
    assert.match(created.stderr, /denied the request: NoIdentity: no AgentIdentity in namespace agents selects service account stranger/);
    assert.match(created.stderr, /spec\.serviceAccountName: stranger/);
  });

  test('a pod that reads the Target credentials from env is refused', LONG, async () => {
    const created = await kubectlCreate(
      podManifest('leaky', NS, {
        spec: { containers: [{ name: 'agent', image: 'agent:1', envFrom: [{ secretRef: { name: 'orders-db-credentials' } }] }] },
      }),
    );
    assert.notEqual(created.code, 0);
    assert.match(created.stderr, /CredentialEnv: container agent envFrom reads Secret orders-db-credentials/);
  });
});

describe('re-invocation', () => {
  test('a container another mutating webhook adds after ours gets the env; the pod stays as we want it', LONG, async () => {
    // A second webhook, called after ours (configurations run in name order), that adds a log shipper.
    const ca = await createCertificateAuthority('log-injector-ca');
    const serving = await issueServingCertificate(ca, 'log-injector', { ips: ['127.0.0.1'] });
    const sawSidecar: boolean[] = [];
    const injector = createHttpsServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => {
        const review = JSON.parse(body) as { request: { uid: string; object: V1Pod } };
        const has = review.request.object.spec?.containers.some((c) => c.name === 'log-shipper');
        sawSidecar.push(review.request.object.spec?.initContainers?.some((c) => c.name === 'airlock-sidecar') ?? false);
        const patch = has ? [] : [{ op: 'add', path: '/spec/containers/-', value: { name: 'log-shipper', image: 'fluent-bit:3.0' } }];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            apiVersion: 'admission.k8s.io/v1',
            kind: 'AdmissionReview',
            response: {
              uid: review.request.uid,
              allowed: true,
              patchType: 'JSONPatch',
              patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => injector.listen(0, '127.0.0.1', resolve));
    const port = (injector.address() as AddressInfo).port;
    const configPath = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
    await client.request('POST', configPath, {
      body: {
        metadata: { name: 'zz-log-injector' },
        webhooks: [
          {
            name: 'logs.example.com',
            clientConfig: { url: `https://127.0.0.1:${port}/`, caBundle: Buffer.from(ca.certPem).toString('base64') },
            rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
            objectSelector: { matchLabels: { logging: 'true' } },
            sideEffects: 'None',
            admissionReviewVersions: ['v1'],
            failurePolicy: 'Fail',
          },
        ],
      },
    });
    try {
      let attempt = 0;
      const pod = await eventually('a pod that both webhooks mutated', async () => {
        const name = `reinvoked-${++attempt}`;
        const created = await kubectlCreate(podManifest(name, NS, { labels: { logging: 'true' } }));
        assert.equal(created.code, 0, created.stderr);
        const stored = await getPod(NS, name);
        return stored.spec?.containers.some((c) => c.name === 'log-shipper') ? stored : undefined;
      });
      assert.equal(sawSidecar.at(-1), true, 'the other webhook ran after ours');
      assert.equal(envOf(pod, 'log-shipper').PGHOST, '127.0.0.1', 'our webhook was called again and gave the new container the env');
      assert.equal(envOf(pod, 'agent').PGHOST, '127.0.0.1');
      assert.equal(pod.spec?.initContainers?.filter((c) => c.name === 'airlock-sidecar').length, 1);
      assert.equal(
        pod.spec?.volumes?.filter((v) => v.name.startsWith('kube-api-access-')).length,
        0,
        'no token came back on the second pass',
      );
      assert.deepEqual(planInjection(pod, NS, catalog, settings), { kind: 'unchanged' });
    } finally {
      await client.delete(`${configPath}/zz-log-injector`);
      await new Promise<void>((resolve) => {
        injector.close(() => resolve());
        injector.closeAllConnections();
      });
    }
  });
});

describe('the sidecar cannot be taken away', () => {
  test('changing the sidecar image with kubectl set image is rejected', LONG, async () => {
    const result = await plane.kubectl(['set', 'image', '-n', NS, 'pod/agent', 'airlock-sidecar=busybox:1.36']);
    assert.notEqual(result.code, 0, result.stdout);
    assert.match(result.stderr, /SidecarChanged/);
    assert.equal((await getPod(NS, 'agent')).spec?.initContainers?.[0]?.image, settings.image);
  });

  test('adding an ephemeral container is rejected, through the subresource and through kubectl debug', LONG, async () => {
    const error = await client
      .patch(
        `/api/v1/namespaces/${NS}/pods/agent/ephemeralcontainers`,
        { spec: { ephemeralContainers: [{ name: 'debugger', image: 'busybox:1.36', targetContainerName: 'agent' }] } },
        'strategic',
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof KubeApiError, String(error));
    assert.match(error.message, /EphemeralContainersForbidden/);
    const debug = await plane.kubectl(['debug', '-n', NS, 'agent', '--image=busybox:1.36', '--attach=false', '-c', 'debugger']);
    assert.notEqual(debug.code, 0, debug.stdout);
    assert.match(debug.stderr, /EphemeralContainersForbidden/);
    assert.equal((await getPod(NS, 'agent')).spec?.ephemeralContainers, undefined);
  });

  test('kubectl exec and attach into the sidecar are refused; exec into the agent gets past admission', LONG, async () => {
    const counted = async (metric: RegExp) => Number(metric.exec(await registry.metrics())?.[1] ?? 0);
    const answers = () => counted(/airlock_operator_webhook_duration_seconds_count\{webhook="validate-pods-connect"\} (\d+)/);
    const refusals = () => counted(/airlock_operator_webhook_rejections_total\{webhook="validate-pods-connect",code="\w+"\} (\d+)/);
    const exec = await plane.kubectl(['exec', '-n', NS, 'agent', '-c', 'airlock-sidecar', '--', 'true']);
    assert.notEqual(exec.code, 0, exec.stdout);
    assert.match(
      exec.stderr,
      /admission webhook "validate-connect\.pods\.airlock\.dev" denied the request: SidecarExecForbidden: kubectl exec into container airlock-sidecar is refused: .*kubectl logs -n agents pod\/agent -c airlock-sidecar/,
    );
    const attach = await plane.kubectl(['attach', '-n', NS, 'agent', '-c', 'airlock-sidecar']);
    assert.notEqual(attach.code, 0, attach.stdout);
    assert.match(attach.stderr, /denied the request: SidecarExecForbidden: kubectl attach into container airlock-sidecar is refused/);

    // There is no kubelet, so exec into the agent cannot succeed; what matters is where it stops.
    // The API server admits a CONNECT before it looks for the pod's node: the webhook was asked
    // and refused nothing, and the request failed after admission. (kubectl asks twice: over
    // WebSocket, then again over SPDY when that fails.)
    const [answered, refused] = [await answers(), await refusals()];
    const agent = await plane.kubectl(['exec', '-n', NS, 'agent', '-c', 'agent', '--', 'true']);
    assert.notEqual(agent.code, 0, agent.stdout);
    assert.doesNotMatch(agent.stderr, /denied the request|SidecarExecForbidden/);
    assert.match(agent.stderr, /pod agent does not have a host assigned/);
    assert.ok((await answers()) > answered, 'the webhook was asked about the exec into the agent');
    assert.equal(await refusals(), refused, 'and let it through');
  });

  test('removing the inject label is rejected; other label changes are fine', LONG, async () => {
    const removed = await plane.kubectl(['label', '-n', NS, 'pod/agent', 'airlock.dev/inject-']);
    assert.notEqual(removed.code, 0);
    assert.match(removed.stderr, /InjectLabelRemoved/);
    const other = await plane.kubectl(['label', '-n', NS, 'pod/agent', 'phase=running']);
    assert.equal(other.code, 0, other.stderr);
  });
});

describe('CI mode: a namespace labeled airlock.dev/injection=all', () => {
  /** A pod as a CI runner creates it: its own labels, none of airlock's. */
  const runnerPod = (name: string, options: { labels?: Record<string, string>; serviceAccount?: string } = {}) => {
    const manifest = podManifest(name, CI_NS, { serviceAccount: options.serviceAccount ?? 'ci-job' });
    return { ...manifest, metadata: { name, namespace: CI_NS, labels: { job: name, ...options.labels } } };
  };
  const labelsOf = (pod: V1Pod) => pod.metadata?.labels ?? {};
  const sidecars = (pod: V1Pod) => (pod.spec?.initContainers ?? []).filter((c) => c.name === 'airlock-sidecar').length;

  test('a pod with no airlock label gets the sidecar, the env, and the label inject=true', LONG, async () => {
    const created = await kubectlCreate(runnerPod('job-1'));
    assert.equal(created.code, 0, created.stderr);
    const pod = await getPod(CI_NS, 'job-1');
    assert.deepEqual(labelsOf(pod), { job: 'job-1', 'airlock.dev/inject': 'true' });
    assert.equal(pod.spec?.initContainers?.[0]?.name, 'airlock-sidecar');
    assert.equal(sidecars(pod), 1);
    assert.equal(envOf(pod, 'agent').PGHOST, '127.0.0.1');
    assert.equal(pod.spec?.automountServiceAccountToken, false);
    assert.equal(JSON.parse(pod.metadata?.annotations?.['airlock.dev/injected'] ?? '{}').identity, 'ci-job');
    assert.deepEqual(planInjection(pod, CI_NS, catalog, settings, 'namespace'), { kind: 'unchanged' });
  });

  test('a pod its author labeled inject=true is injected exactly once', LONG, async () => {
    const created = await kubectlCreate(runnerPod('job-labeled', { labels: { 'airlock.dev/inject': 'true' } }));
    assert.equal(created.code, 0, created.stderr);
    const pod = await getPod(CI_NS, 'job-labeled');
    assert.equal(sidecars(pod), 1);
    assert.equal(pod.spec?.volumes?.filter((v) => v.name === 'airlock-token').length, 1);
  });

  test("a Job without airlock labels: the job-controller's pod is injected", LONG, async () => {
    const created = await kubectlCreate({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pipeline-42', namespace: CI_NS },
      spec: { backoffLimit: 0, template: { spec: runnerPod('template').spec } },
    });
    assert.equal(created.code, 0, created.stderr);
    const pod = await eventually('the job-controller to create the pod', async () => {
      const pods = await client.request<{ items: V1Pod[] }>('GET', `/api/v1/namespaces/${CI_NS}/pods`, {
        query: { labelSelector: 'batch.kubernetes.io/job-name=pipeline-42' },
      });
      return pods.items[0];
    });
    assert.equal(labelsOf(pod)['airlock.dev/inject'], 'true');
    assert.equal(pod.spec?.initContainers?.[0]?.name, 'airlock-sidecar');
    assert.equal(pod.spec?.automountServiceAccountToken, false);
  });

  test('a pod labeled inject=false (the runner manager) is created untouched', LONG, async () => {
    const created = await kubectlCreate(
      runnerPod('runner-manager', { serviceAccount: 'gitlab-runner', labels: { 'airlock.dev/inject': 'false' } }),
    );
    assert.equal(created.code, 0, created.stderr);
    const pod = await getPod(CI_NS, 'runner-manager');
    assert.equal(pod.spec?.initContainers, undefined);
    assert.equal(pod.metadata?.annotations?.['airlock.dev/injected'], undefined);
    assert.equal(labelsOf(pod)['airlock.dev/inject'], 'false');
    assert.equal(envOf(pod, 'agent').PGHOST, 'orders-db.prod.svc');
  });

  test('a pod whose service account has no AgentIdentity is refused, and the message says what to create and why', LONG, async () => {
    const created = await kubectlCreate(runnerPod('job-default-sa', { serviceAccount: '' }));
    assert.notEqual(created.code, 0);
    assert.match(
      created.stderr,
      /denied the request: NoIdentity: no AgentIdentity in namespace ci selects service account default: create one with spec\.serviceAccountName: default/,
    );
    assert.match(
      created.stderr,
      /namespace ci is labeled airlock\.dev\/injection=all: every pod created in it is an agent unless labeled airlock\.dev\/inject=false/,
    );
    assert.equal((await plane.kubectl(['get', 'pod', '-n', CI_NS, 'job-default-sa'])).code, 1, 'no such pod');
  });

  test('an inject label that is neither true nor false is refused', LONG, async () => {
    const created = await kubectlCreate(runnerPod('job-maybe', { labels: { 'airlock.dev/inject': 'yes' } }));
    assert.notEqual(created.code, 0);
    assert.match(created.stderr, /InjectLabelInvalid: label airlock\.dev\/inject=yes means nothing/);
  });

  test('removing the label the webhook added, or setting it to false, is refused', LONG, async () => {
    const removed = await plane.kubectl(['label', '-n', CI_NS, 'pod/job-1', 'airlock.dev/inject-']);
    assert.notEqual(removed.code, 0);
    assert.match(removed.stderr, /InjectLabelRemoved/);
    const excluded = await plane.kubectl(['label', '--overwrite', '-n', CI_NS, 'pod/job-1', 'airlock.dev/inject=false']);
    assert.notEqual(excluded.code, 0);
    assert.match(excluded.stderr, /InjectLabelRemoved/);
    const image = await plane.kubectl(['set', 'image', '-n', CI_NS, 'pod/job-1', 'airlock-sidecar=busybox:1.36']);
    assert.match(image.stderr, /SidecarChanged/);
    assert.equal(labelsOf(await getPod(CI_NS, 'job-1'))['airlock.dev/inject'], 'true');
  });

  test('kubectl exec into the sidecar is refused here too', LONG, async () => {
    const exec = await plane.kubectl(['exec', '-n', CI_NS, 'job-1', '-c', 'airlock-sidecar', '--', 'sh']);
    assert.notEqual(exec.code, 0, exec.stdout);
    assert.match(exec.stderr, /denied the request: SidecarExecForbidden: kubectl exec into container airlock-sidecar is refused/);
  });

  test('the same pod in a namespace without the label, or labeled enabled, is untouched', LONG, async () => {
    for (const namespace of [PLAIN_NS, NS]) {
      const created = await kubectlCreate({
        ...runnerPod('job-elsewhere', { serviceAccount: 'migrator' }),
        metadata: { name: 'job-elsewhere', namespace },
      });
      assert.equal(created.code, 0, created.stderr);
      const pod = await getPod(namespace, 'job-elsewhere');
      assert.equal(pod.spec?.initContainers, undefined, namespace);
      assert.equal(labelsOf(pod)['airlock.dev/inject'], undefined, namespace);
    }
  });

  test(
    'with the namespace annotation, only the service accounts it lists may use the exclusion; an empty one allows none',
    LONG,
    async () => {
      const annotate = (value: string | null) =>
        client.patch(
          `/api/v1/namespaces/${CI_NS}`,
          { metadata: { annotations: { 'airlock.dev/excludable-service-accounts': value } } },
          'merge',
        );
      const excludedAs = (serviceAccount: string) =>
        kubectlCreate({
          ...runnerPod(`excluded-${++manifestCount}`, { serviceAccount, labels: { 'airlock.dev/inject': 'false' } }),
        });
      await annotate('gitlab-runner, build-controller');
      try {
        const refused = await eventually('the API server to see the annotation', async () => {
          const result = await excludedAs('ci-job');
          return result.code !== 0 ? result : undefined;
        });
        assert.match(
          refused.stderr,
          /ExclusionNotAllowed: namespace ci \(airlock\.dev\/injection=all\) lets only the service accounts in its annotation airlock\.dev\/excludable-service-accounts \(gitlab-runner, build-controller\) use the label airlock\.dev\/inject=false, and this pod runs as ci-job/,
        );
        const listed = await excludedAs('gitlab-runner');
        assert.equal(listed.code, 0, listed.stderr);
        // Pods that are agents are not this policy's business.
        const agent = await kubectlCreate(runnerPod('job-while-annotated'));
        assert.equal(agent.code, 0, agent.stderr);
        // An empty list allows nobody.
        await annotate('');
        await eventually('the API server to see the empty list', async () =>
          (await excludedAs('gitlab-runner')).code !== 0 ? true : undefined,
        );
      } finally {
        await annotate(null);
      }
      await eventually('the exclusion to be open again without the annotation', async () =>
        (await excludedAs('ci-job')).code === 0 ? true : undefined,
      );
    },
  );

  test('the exclusion policy type-checks against the Pod and Namespace schemas without warnings', LONG, async () => {
    type Policy = KubeObject & { status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: unknown[] } } };
    const policy = await eventually('the policy status controller to check the policy', async () => {
      const vap = await client.get<Policy>('/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/airlock-inject-exclusion');
      return vap.status?.observedGeneration === vap.metadata?.generation ? vap : undefined;
    });
    assert.deepEqual(policy.status?.typeChecking?.expressionWarnings ?? [], []);
  });
});

describe('the admission server itself', () => {
  test('answers /healthz, refuses other paths and methods, malformed reviews and oversized bodies', LONG, async () => {
    assert.equal((await post('/healthz', '', 'GET')).status, 200);
    assert.equal((await post('/elsewhere', '{}')).status, 404);
    assert.equal((await post('/mutate-pods', '', 'GET')).status, 405);
    assert.equal((await post('/mutate-namespace-pods', '', 'GET')).status, 405);
    const malformed = await post('/mutate-pods', '{"apiVersion":');
    assert.equal(malformed.status, 400);
    assert.match(malformed.text, /not JSON/);
    const wrongKind = await post('/validate-pods', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }));
    assert.equal(wrongKind.status, 400);
    assert.match(wrongKind.text, /expected an AdmissionReview/);
    const huge = await post('/mutate-pods', Buffer.alloc(4 * 1024 * 1024, 0x20)).catch((error: Error) => ({
      status: -1,
      text: error.message,
    }));
    assert.ok(huge.status === 413 || huge.status === -1, `status ${huge.status}`);
    // Still serving after all that.
    assert.equal((await post('/healthz', '', 'GET')).status, 200);
  });

  test('metrics count answers and rejections by code', async () => {
    const text = await registry.metrics();
    assert.match(text, /airlock_operator_webhook_duration_seconds_count\{webhook="mutate-pods"\} [1-9]/);
    assert.match(text, /airlock_operator_webhook_duration_seconds_count\{webhook="mutate-namespace-pods"\} [1-9]/);
    assert.match(text, /airlock_operator_webhook_rejections_total\{webhook="mutate-namespace-pods",code="NoIdentity"\} [1-9]/);
    assert.match(text, /airlock_operator_webhook_duration_seconds_count\{webhook="validate-pods"\} [1-9]/);
    assert.match(text, /airlock_operator_webhook_rejections_total\{webhook="mutate-pods",code="NoIdentity"\} [1-9]/);
    assert.match(text, /airlock_operator_webhook_rejections_total\{webhook="validate-pods-connect",code="SidecarExecForbidden"\} [1-9]/);
    // kubectl set image on the sidecar: once in a namespace labeled enabled, once in one labeled all.
    assert.match(text, /airlock_operator_webhook_rejections_total\{webhook="validate-pods",code="SidecarChanged"\} 2/);
  });
});

describe('rotation', () => {
  test('the serving certificate is renewed while the API server keeps calling the webhook', LONG, async () => {
    const before = await servedSerial();
    const after = await eventually('the served certificate to be renewed', async () => {
      const serial = await servedSerial();
      return serial !== before ? serial : undefined;
    });
    assert.notEqual(after, before);
    const created = await kubectlCreate(podManifest('after-rotation', NS));
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await getPod(NS, 'after-rotation')).spec?.initContainers?.[0]?.name, 'airlock-sidecar');
  });

  test('a CA near its end is published next to the old one before it signs, then signs', LONG, async () => {
    // Short lifetimes keep this manager rotating its CA about every 15 s, so read the history.
    const original = splitPemBundle(caRotationHistory[0]!.caPem)[0]!;
    const rotation = await eventually('the CA to be staged and then switched', () => {
      const staged = caRotationHistory.findIndex(
        (m) => splitPemBundle(m.caPem).length === 2 && splitPemBundle(m.caPem)[0] === original && isIssuedBy(m.certPem, original),
      );
      if (staged < 0) return undefined;
      const newCA = splitPemBundle(caRotationHistory[staged]!.caPem)[1]!;
      const switched = caRotationHistory.slice(staged + 1).find((m) => isIssuedBy(m.certPem, newCA));
      return switched ? { newCA, switched } : undefined;
    });
    assert.ok(
      splitPemBundle(rotation.switched.caPem).includes(original),
      'right after the switch the old CA is still trusted, for certificates it signed',
    );
    assert.ok(splitPemBundle(rotation.switched.caPem).includes(rotation.newCA));
    assert.ok(
      caRotationHistory.every((m) => splitPemBundle(m.caPem).some((ca) => isIssuedBy(m.certPem, ca))),
      'every published pair verifies: the serving certificate is always signed by a CA in its bundle',
    );
  });
});
