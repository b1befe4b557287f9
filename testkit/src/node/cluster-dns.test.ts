/**
 * The cluster DNS's manifests and Corefile: what kubeadm's CoreDNS has, what this node changes
 * (nonroot on port 1053, nothing forwarded), and that the parts agree with each other: probe
 * ports with the Corefile, Service target ports with the container's, the config file's path
 * with the mount, the role's subject with the pod's account. Pods that never start are the
 * failure this saves.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLUSTER_DNS, clusterDnsManifests, corefile } from './cluster-dns.ts';
import { describePods } from './cluster-dns-rollout.ts';

// biome-ignore lint/suspicious/noExplicitAny: manifests as plain objects
type Obj = Record<string, any>;

const manifests = clusterDnsManifests({ image: 'airlock/coredns:9.9.9', serviceIp: '10.0.0.10' }) as Obj[];
const byKind = (kind: string): Obj => {
  const found = manifests.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0] as Obj;
};
const deployment = byKind('Deployment');
const pod = deployment.spec.template.spec as Obj;
const container = pod.containers[0] as Obj;

/** The server blocks of a Corefile: their keys and the lines inside, trimmed, comments and blanks dropped. */
function serverBlocks(text: string): { keys: string[]; body: string[] }[] {
  const blocks: { keys: string[]; body: string[] }[] = [];
  let depth = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    if (depth === 0) {
      assert.match(line, /\{$/, `a server block starts with its keys: ${line}`);
      blocks.push({ keys: line.slice(0, -1).trim().split(/\s+/), body: [] });
      depth = 1;
      continue;
    }
    if (line === '}') depth -= 1;
    else if (line.endsWith('{')) depth += 1;
    if (depth > 0) blocks.at(-1)?.body.push(line);
  }
  assert.equal(depth, 0, 'braces balance');
  return blocks;
}

test('the Corefile serves the cluster zones from the API server on 1053, and NXDOMAIN for every other name: nothing forwarded', () => {
  const blocks = serverBlocks(corefile());
  assert.deepEqual(
    blocks.map((b) => b.keys),
    [['cluster.local:1053', 'in-addr.arpa:1053', 'ip6.arpa:1053'], ['.:1053']],
  );
  const [cluster, rest] = blocks;
  assert.ok(cluster && rest);
  assert.deepEqual(cluster.body, [
    'errors',
    'health :8080',
    'ready :8181',
    'kubernetes cluster.local in-addr.arpa ip6.arpa {',
    'pods insecure',
    '}',
    'cache 30',
    'loop',
  ]);
  assert.deepEqual(rest.body, ['template ANY ANY {', 'rcode NXDOMAIN', '}']);
  for (const plugin of ['forward', 'proxy', 'grpc', 'fallthrough', 'reload']) {
    assert.ok(!new RegExp(`\\b${plugin}\\b`).test(corefile()), `${plugin} in the Corefile`);
  }
});

test('the objects, in the order they apply: account, role, binding, config, Deployment, Service; all namespaced ones in kube-system', () => {
  assert.deepEqual(
    manifests.map((o) => o.kind),
    ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Service'],
  );
  for (const o of manifests.filter((m) => !m.kind.startsWith('Cluster'))) assert.equal(o.metadata.namespace, 'kube-system', o.kind);
  assert.equal(deployment.metadata.name, 'coredns');
  assert.equal(byKind('Service').metadata.name, 'kube-dns');
});

test('the role lets CoreDNS list and watch what the kubernetes plugin reads, and no more; it is bound to the pod’s account', () => {
  const rules = byKind('ClusterRole').rules as Obj[];
  const allowed = rules.flatMap((r) => (r.apiGroups as string[]).flatMap((g) => (r.resources as string[]).map((res) => `${g}/${res}`)));
  assert.deepEqual(allowed.sort(), ['/namespaces', '/services', 'discovery.k8s.io/endpointslices']);
  for (const rule of rules) assert.deepEqual(rule.verbs, ['list', 'watch']);
  const binding = byKind('ClusterRoleBinding');
  assert.equal(binding.roleRef.name, byKind('ClusterRole').metadata.name);
  assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: pod.serviceAccountName, namespace: 'kube-system' }]);
  assert.equal(byKind('ServiceAccount').metadata.name, pod.serviceAccountName);
});

test('the Deployment: one replica of the imported image (never pulled), reading the Corefile of the ConfigMap', () => {
  assert.equal(deployment.spec.replicas, 1);
  assert.deepEqual(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels);
  assert.equal(container.image, 'airlock/coredns:9.9.9');
  assert.equal(container.imagePullPolicy, 'Never');
  assert.equal(pod.dnsPolicy, 'Default', 'CoreDNS does not ask itself');
  const [flag, path] = container.args as [string, string];
  assert.equal(flag, '-conf');
  const mount = (container.volumeMounts as Obj[]).find((m) => path.startsWith(`${m.mountPath}/`));
  assert.ok(mount, `nothing mounted at ${path}`);
  const volume = (pod.volumes as Obj[]).find((v) => v.name === mount.name);
  assert.ok(volume, `no volume ${mount.name}`);
  assert.equal(volume.configMap.name, byKind('ConfigMap').metadata.name);
  const file = path.slice(mount.mountPath.length + 1);
  const key = (volume.configMap.items as Obj[]).find((item) => item.path === file)?.key;
  assert.equal(byKind('ConfigMap').data[key], corefile());
});

test('the pod runs as nonroot, read-only, without capabilities or privilege escalation, and binds no port below 1024', () => {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.runAsUser, 65532);
  assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault');
  assert.deepEqual(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
  });
  for (const port of container.ports as Obj[]) assert.ok(port.containerPort >= 1024, `port ${port.containerPort}`);
});

test("the probes ask the Corefile's ready and health ports", () => {
  const [cluster] = serverBlocks(corefile());
  const port = (plugin: string) => Number(cluster?.body.find((line) => line.startsWith(`${plugin} :`))?.split(':')[1]);
  assert.deepEqual(container.readinessProbe.httpGet, { path: '/ready', port: port('ready') });
  assert.deepEqual(container.livenessProbe.httpGet, { path: '/health', port: port('health') });
});

test('the kube-dns Service: the fixed ClusterIP, port 53 over UDP and TCP to the port CoreDNS listens on', () => {
  const service = byKind('Service');
  assert.equal(service.spec.clusterIP, '10.0.0.10');
  assert.deepEqual(service.spec.selector, deployment.spec.template.metadata.labels);
  const listens = Number(serverBlocks(corefile())[0]?.keys[0]?.split(':')[1]);
  const targets = (service.spec.ports as Obj[]).map((p) => {
    const target = (container.ports as Obj[]).find((c) => c.name === p.targetPort);
    return `${p.port}/${p.protocol} → ${target?.containerPort}/${target?.protocol}`;
  });
  assert.deepEqual(targets, [`53/UDP → ${listens}/UDP`, `53/TCP → ${listens}/TCP`]);
});

test('where a CoreDNS pod stands, for the error when it does not come up', () => {
  assert.equal(describePods([]), 'no CoreDNS pod yet');
  assert.equal(
    describePods([
      {
        metadata: { name: 'coredns-1' },
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available' }] },
      },
    ]),
    'coredns-1: Pending, not scheduled: 0/1 nodes are available',
  );
  assert.equal(
    describePods([
      {
        metadata: { name: 'coredns-2' },
        status: {
          phase: 'Running',
          podIP: '10.244.0.9',
          containerStatuses: [
            { name: 'coredns', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s' } } },
          ],
        },
      },
    ]),
    'coredns-2: Running, at 10.244.0.9, coredns waiting: CrashLoopBackOff (back-off 40s), 3 restarts',
  );
  assert.equal(CLUSTER_DNS.namespace, 'kube-system');
});
