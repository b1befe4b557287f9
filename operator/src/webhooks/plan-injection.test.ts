import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { renderSshConfig } from '@airlock/contracts/targets';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { type InjectionPlan, planInjection } from './plan-injection.ts';
import { applyPatch } from './testing/apply-json-patch.ts';
import {
  agentPod,
  BASTION,
  BILLING_DB,
  CLUSTER_API,
  catalog,
  identity,
  NS,
  ORDERS_DB,
  SETTINGS,
  target,
  WIKI,
} from './testing/fixtures.ts';

const MIGRATOR = identity('migrator', 'migrator', ['orders-db']);

function patched(plan: InjectionPlan, pod: V1Pod): V1Pod {
  assert.equal(plan.kind, 'patch', JSON.stringify(plan));
  if (plan.kind !== 'patch') throw new Error('unreachable');
  return applyPatch(pod, plan.patch);
}

const envOf = (container: V1Container | undefined) =>
  Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const container = (pod: V1Pod, name: string) =>
  [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].find((c) => c.name === name);

describe('planInjection: what gets injected', () => {
  const pod = agentPod();
  const result = patched(planInjection(pod, NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS), pod);
  const sidecar = result.spec?.initContainers?.[0];

  test('the sidecar is a native sidecar, first among the init containers', () => {
    assert.equal(sidecar?.name, 'airlock-sidecar');
    assert.equal(sidecar?.restartPolicy, 'Always');
    assert.equal(sidecar?.image, 'ghcr.io/airlock/sidecar:0.1.0');
    // The Node flags keep the sidecar inside its memory limit; the heap is half the 256Mi limit.
    assert.deepEqual(sidecar?.command, [
      'node',
      '--liftoff-only',
      '--max-semi-space-size=8',
      '--max-old-space-size=128',
      '/app/sidecar/src/main.ts',
      '--broker',
    ]);
    assert.deepEqual(
      result.spec?.initContainers?.map((c) => c.name),
      ['airlock-sidecar', 'wait-for-schema'],
    );
  });

  test('the sidecar learns its broker, token and pod from env', () => {
    const env = envOf(sidecar);
    assert.equal(env.AIRLOCK_BROKER_URL, SETTINGS.brokerURL);
    assert.equal(env.AIRLOCK_BROKER_CA, SETTINGS.brokerCAPem);
    assert.equal(env.AIRLOCK_TOKEN_FILE, '/var/run/secrets/airlock/token');
    assert.deepEqual(env.AIRLOCK_POD_NAME, { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } });
    assert.deepEqual(env.AIRLOCK_POD_NAMESPACE, { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } });
    assert.deepEqual(env.AIRLOCK_POD_UID, { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.uid' } });
    assert.equal(env.AIRLOCK_LISTEN_HOST, '127.0.0.1');
    assert.equal(env.AIRLOCK_HEALTH_PORT, '15021');
    assert.equal(env.AIRLOCK_LOG_LEVEL, 'info');
  });

  test('the sidecar is locked down, probed on /readyz and sized', () => {
    assert.deepEqual(sidecar?.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    for (const probe of [sidecar?.startupProbe, sidecar?.readinessProbe]) {
      assert.equal(probe?.httpGet?.path, '/readyz');
      assert.equal(probe?.httpGet?.port, 15021);
    }
    assert.deepEqual(sidecar?.resources, { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } });
  });

  test('a configured memory limit sizes the V8 heap; a configured command is taken as it is', () => {
    const sized = patched(
      planInjection(pod, NS, catalog([MIGRATOR], [ORDERS_DB]), { ...SETTINGS, resources: { limits: { memory: '1Gi' } } }),
      pod,
    ).spec?.initContainers?.[0];
    assert.deepEqual(sized?.resources, { limits: { memory: '1Gi' } });
    assert.ok(sized?.command?.includes('--max-old-space-size=512'), sized?.command?.join(' '));
    const custom = patched(planInjection(pod, NS, catalog([MIGRATOR], [ORDERS_DB]), { ...SETTINGS, command: ['my-sidecar'] }), pod).spec
      ?.initContainers?.[0];
    assert.deepEqual(custom?.command, ['my-sidecar']);
  });

  test('the projected airlock token is mounted into the sidecar only', () => {
    const volume = result.spec?.volumes?.find((v) => v.name === 'airlock-token');
    assert.deepEqual(volume?.projected?.sources, [
      { serviceAccountToken: { audience: 'airlock', expirationSeconds: 3600, path: 'token' } },
    ]);
    assert.deepEqual(sidecar?.volumeMounts, [{ name: 'airlock-token', mountPath: '/var/run/secrets/airlock', readOnly: true }]);
    for (const name of ['agent', 'wait-for-schema']) {
      assert.ok(!container(result, name)?.volumeMounts?.some((m) => m.name === 'airlock-token'), name);
    }
  });

  test("the pod's service-account token is gone: automount off, the plugin's volume and mounts removed", () => {
    assert.equal(result.spec?.automountServiceAccountToken, false);
    assert.ok(!result.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-')));
    assert.deepEqual(container(result, 'agent')?.volumeMounts, [{ name: 'work', mountPath: '/work' }]);
    assert.deepEqual(container(result, 'wait-for-schema')?.volumeMounts, []);
    assert.deepEqual(
      result.spec?.volumes?.map((v) => v.name),
      ['work', 'airlock-token'],
    );
  });

  test('every agent container gets PG* and the target URL, ahead of its own env', () => {
    for (const name of ['agent', 'wait-for-schema']) {
      const env = container(result, name)?.env ?? [];
      assert.deepEqual(env.slice(0, 4), [
        { name: 'PGHOST', value: '127.0.0.1' },
        { name: 'PGPORT', value: '5432' },
        { name: 'PGSSLMODE', value: 'disable' },
        { name: 'AIRLOCK_ORDERS_DB_URL', value: 'postgresql://127.0.0.1:5432/orders?sslmode=disable' },
      ]);
    }
    assert.deepEqual(container(result, 'agent')?.env?.at(-1), { name: 'MODEL', value: 'large' });
    assert.equal(envOf(sidecar).PGHOST, undefined);
  });

  test('the annotation records identity, targets and the sidecar hash', () => {
    const record = JSON.parse(result.metadata?.annotations?.['airlock.dev/injected'] ?? '{}');
    assert.equal(record.version, 1);
    assert.equal(record.identity, 'migrator');
    assert.deepEqual(record.targets, ['orders-db']);
    assert.match(record.sidecarHash, /^sha256:[0-9a-f]{64}$/);
  });
});

describe('planInjection: targets', () => {
  test('several targets: one PGHOST for the one database, a URL each, KUBECONFIG and its volume', () => {
    const all = identity('migrator', 'migrator', ['orders-db', 'wiki', 'bastion', 'cluster-api']);
    const pod = agentPod();
    const result = patched(planInjection(pod, NS, catalog([all], [ORDERS_DB, WIKI, BASTION, CLUSTER_API]), SETTINGS), pod);
    const env = envOf(container(result, 'agent'));
    assert.equal(env.PGHOST, '127.0.0.1');
    assert.equal(env.PGPORT, '5432');
    assert.equal(env.AIRLOCK_ORDERS_DB_URL, 'postgresql://127.0.0.1:5432/orders?sslmode=disable');
    assert.equal(env.AIRLOCK_WIKI_URL, 'http://127.0.0.1:8080');
    assert.equal(env.AIRLOCK_BASTION_URL, 'ssh://127.0.0.1:2222');
    assert.equal(env.AIRLOCK_CLUSTER_API_URL, 'http://127.0.0.1:6443');
    assert.equal(env.KUBECONFIG, '/var/run/airlock/kubeconfig');
    assert.deepEqual(
      container(result, 'agent')?.volumeMounts?.find((m) => m.name === 'airlock-config'),
      { name: 'airlock-config', mountPath: '/var/run/airlock', readOnly: true },
    );
    const sidecarMount = container(result, 'airlock-sidecar')?.volumeMounts?.find((m) => m.name === 'airlock-config');
    assert.equal(sidecarMount?.mountPath, '/var/run/airlock');
    assert.notEqual(sidecarMount?.readOnly, true, 'the sidecar writes the kubeconfig');
    assert.ok(result.spec?.volumes?.some((v) => v.name === 'airlock-config' && v.emptyDir));
    assert.deepEqual(JSON.parse(result.metadata?.annotations?.['airlock.dev/injected'] ?? '{}').targets, [
      'bastion',
      'cluster-api',
      'orders-db',
      'wiki',
    ]);
  });

  test('an ssh host only: its URL names the sidecar port, and no database or kubeconfig variables come with it', () => {
    const operator = identity('operator', 'operator', ['bastion', 'build-host']);
    const buildHost = target('build-host', 'ssh', 2200);
    const pod = agentPod({ serviceAccount: 'operator' });
    const result = patched(planInjection(pod, NS, catalog([operator], [BASTION, buildHost]), SETTINGS), pod);
    const env = envOf(container(result, 'agent'));
    assert.equal(env.AIRLOCK_BASTION_URL, 'ssh://127.0.0.1:2222');
    assert.equal(env.AIRLOCK_BUILD_HOST_URL, 'ssh://127.0.0.1:2200');
    for (const name of ['PGHOST', 'PGPORT', 'PGSSLMODE', 'KUBECONFIG']) assert.equal(env[name], undefined, name);
    assert.deepEqual(JSON.parse(result.metadata?.annotations?.['airlock.dev/injected'] ?? '{}').targets, ['bastion', 'build-host']);
  });

  test("ssh targets: the config volume, read-only in every agent container, with the sidecar's ssh_config where ssh looks", () => {
    const operator = identity('operator', 'operator', ['bastion', 'build-host']);
    const pod = agentPod({ serviceAccount: 'operator' });
    const result = patched(planInjection(pod, NS, catalog([operator], [BASTION, target('build-host', 'ssh', 2200)]), SETTINGS), pod);
    for (const name of ['agent', 'wait-for-schema']) {
      const agent = container(result, name);
      assert.deepEqual(
        agent?.volumeMounts?.filter((m) => m.name.startsWith('airlock-')),
        [
          { name: 'airlock-config', mountPath: '/var/run/airlock', readOnly: true },
          { name: 'airlock-ssh-config', mountPath: '/etc/ssh/ssh_config.d/airlock.conf', subPath: 'airlock.conf', readOnly: true },
        ],
        name,
      );
      // Once for two ssh targets, after the URLs.
      assert.deepEqual(
        agent?.env?.filter((e) => e.name === 'GIT_SSH_COMMAND'),
        [{ name: 'GIT_SSH_COMMAND', value: 'ssh -F /var/run/airlock/ssh_config' }],
      );
    }
    const sidecar = container(result, 'airlock-sidecar');
    assert.deepEqual(
      sidecar?.volumeMounts?.find((m) => m.name === 'airlock-config'),
      { name: 'airlock-config', mountPath: '/var/run/airlock' },
      'the sidecar writes ssh_config and known_hosts',
    );
    const sidecarEnv = envOf(sidecar);
    assert.equal(sidecarEnv.AIRLOCK_CONFIG_DIR, '/var/run/airlock');
    assert.equal(sidecarEnv.AIRLOCK_KUBECONFIG_FILE, undefined, 'no kubernetes target, no kubeconfig');
    assert.deepEqual(
      result.spec?.volumes?.find((v) => v.name === 'airlock-config'),
      { name: 'airlock-config', emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
    );
  });

  test('ssh targets: the ssh_config the sidecar also writes, in an annotation a root-owned downward API file gives the agents', () => {
    const operator = identity('operator', 'operator', ['bastion', 'build-host']);
    const targets = [BASTION, target('build-host', 'ssh', 2200)];
    const pod = agentPod({ serviceAccount: 'operator' });
    const result = patched(planInjection(pod, NS, catalog([operator], targets), SETTINGS), pod);
    assert.equal(
      result.metadata?.annotations?.['airlock.dev/ssh-config'],
      renderSshConfig(
        [
          { target: 'bastion', host: '127.0.0.1', port: 2222 },
          { target: 'build-host', host: '127.0.0.1', port: 2200 },
        ],
        '/var/run/airlock',
      ),
    );
    assert.deepEqual(
      result.spec?.volumes?.find((v) => v.name === 'airlock-ssh-config'),
      {
        name: 'airlock-ssh-config',
        downwardAPI: {
          defaultMode: 0o444,
          items: [{ path: 'airlock.conf', fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['airlock.dev/ssh-config']" } }],
        },
      },
    );
  });

  test('an ssh_config annotation set on the pod is replaced; on a pod without ssh targets it is removed', () => {
    const operator = identity('operator', 'operator', ['bastion']);
    const pod = agentPod({ serviceAccount: 'operator' });
    pod.metadata!.annotations = { 'airlock.dev/ssh-config': 'Host bastion\n  ProxyCommand sh -c evil\n' };
    const result = patched(planInjection(pod, NS, catalog([operator], [BASTION]), SETTINGS), pod);
    assert.doesNotMatch(result.metadata?.annotations?.['airlock.dev/ssh-config'] ?? '', /ProxyCommand/);
    assert.match(result.metadata?.annotations?.['airlock.dev/ssh-config'] ?? '', /^Host bastion$/m);
    const plain = agentPod();
    plain.metadata!.annotations = { 'airlock.dev/ssh-config': 'Host x\n' };
    const without = patched(planInjection(plain, NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS), plain);
    assert.equal(without.metadata?.annotations?.['airlock.dev/ssh-config'], undefined);
    assert.ok(without.metadata?.annotations?.['airlock.dev/injected']);
  });

  test('no ssh target: no config volume, no ssh_config annotation, volume or mount, no GIT_SSH_COMMAND', () => {
    const pod = agentPod();
    const result = patched(planInjection(pod, NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS), pod);
    assert.ok(!result.spec?.volumes?.some((v) => v.name === 'airlock-config' || v.name === 'airlock-ssh-config'));
    assert.equal(result.metadata?.annotations?.['airlock.dev/ssh-config'], undefined);
    for (const name of ['agent', 'wait-for-schema', 'airlock-sidecar']) {
      assert.ok(!container(result, name)?.volumeMounts?.some((m) => m.name === 'airlock-config' || m.name === 'airlock-ssh-config'), name);
      assert.equal(envOf(container(result, name)).GIT_SSH_COMMAND, undefined, name);
    }
    assert.equal(envOf(container(result, 'airlock-sidecar')).AIRLOCK_CONFIG_DIR, undefined);
  });

  test('a container with its own ssh configuration directory keeps it: no ssh_config file mounted into it, the rest as usual', () => {
    const operator = identity('operator', 'operator', ['bastion']);
    const pod = agentPod({ serviceAccount: 'operator' });
    pod.spec!.volumes!.push({ name: 'ssh', configMap: { name: 'agent-ssh' } });
    pod.spec!.containers[0]!.volumeMounts!.push({ name: 'ssh', mountPath: '/etc/ssh/', readOnly: true });
    const cat = catalog([operator], [BASTION]);
    const result = patched(planInjection(pod, NS, cat, SETTINGS), pod);
    assert.deepEqual(container(result, 'agent')?.volumeMounts, [
      { name: 'work', mountPath: '/work' },
      { name: 'ssh', mountPath: '/etc/ssh/', readOnly: true },
      { name: 'airlock-config', mountPath: '/var/run/airlock', readOnly: true },
    ]);
    assert.equal(envOf(container(result, 'agent')).GIT_SSH_COMMAND, 'ssh -F /var/run/airlock/ssh_config');
    assert.equal(container(result, 'wait-for-schema')?.volumeMounts?.length, 2);
    assert.deepEqual(planInjection(result, NS, cat, SETTINGS), { kind: 'unchanged' });
  });

  test("a container's own mount of the config volume is replaced by ours, read-only", () => {
    const operator = identity('operator', 'operator', ['bastion']);
    const pod = agentPod({ serviceAccount: 'operator' });
    pod.spec!.containers[0]!.volumeMounts!.push({ name: 'airlock-config', mountPath: '/var/run/airlock' });
    const result = patched(planInjection(pod, NS, catalog([operator], [BASTION]), SETTINGS), pod);
    assert.ok(
      container(result, 'agent')
        ?.volumeMounts?.filter((m) => m.name === 'airlock-config')
        .every((m) => m.readOnly === true),
    );
    assert.equal(container(result, 'agent')?.volumeMounts?.filter((m) => m.name === 'airlock-config').length, 1);
  });

  test('two databases: no PGHOST (which one would it be?), a URL for each', () => {
    const both = identity('migrator', 'migrator', ['orders-db', 'billing-db']);
    const pod = agentPod();
    const env = envOf(container(patched(planInjection(pod, NS, catalog([both], [ORDERS_DB, BILLING_DB]), SETTINGS), pod), 'agent'));
    assert.equal(env.PGHOST, undefined);
    assert.equal(env.PGPORT, undefined);
    assert.equal(env.AIRLOCK_ORDERS_DB_URL, 'postgresql://127.0.0.1:5432/orders?sslmode=disable');
    assert.equal(env.AIRLOCK_BILLING_DB_URL, 'postgresql://127.0.0.1:5433/billing?sslmode=disable');
    assert.equal(env.KUBECONFIG, undefined);
  });

  test('the targets annotation picks a subset of the identity targets', () => {
    const both = identity('migrator', 'migrator', ['orders-db', 'wiki']);
    const pod = agentPod({ annotations: { 'airlock.dev/targets': 'wiki' } });
    const result = patched(planInjection(pod, NS, catalog([both], [ORDERS_DB, WIKI]), SETTINGS), pod);
    const env = envOf(container(result, 'agent'));
    assert.equal(env.AIRLOCK_WIKI_URL, 'http://127.0.0.1:8080');
    assert.equal(env.AIRLOCK_ORDERS_DB_URL, undefined);
    assert.equal(env.PGHOST, undefined);
    assert.deepEqual(JSON.parse(result.metadata?.annotations?.['airlock.dev/injected'] ?? '{}').targets, ['wiki']);
  });

  test('a target the identity may not use is refused', () => {
    const plan = planInjection(
      agentPod({ annotations: { 'airlock.dev/targets': 'wiki' } }),
      NS,
      catalog([MIGRATOR], [ORDERS_DB, WIKI]),
      SETTINGS,
    );
    assert.equal(plan.kind, 'deny');
    assert.equal(plan.kind === 'deny' && plan.code, 'TargetNotAllowed');
  });
});

describe('planInjection: identity', () => {
  const deny = (plan: InjectionPlan) => (plan.kind === 'deny' ? { code: plan.code, message: plan.message } : plan);

  test('no identity for the service account: denied, saying what to create', () => {
    const plan = deny(planInjection(agentPod({ serviceAccount: 'ci' }), NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS));
    assert.equal((plan as { code: string }).code, 'NoIdentity');
    assert.match((plan as { message: string }).message, /spec\.serviceAccountName: ci/);
  });

  test('two identities select the pod: denied until the annotation names one', () => {
    const other = identity('auditor', 'migrator', ['orders-db']);
    const ambiguous = deny(planInjection(agentPod(), NS, catalog([MIGRATOR, other], [ORDERS_DB]), SETTINGS));
    assert.equal((ambiguous as { code: string }).code, 'AmbiguousIdentity');
    assert.match((ambiguous as { message: string }).message, /auditor, migrator/);
    const named = planInjection(
      agentPod({ annotations: { 'airlock.dev/identity': 'auditor' } }),
      NS,
      catalog([MIGRATOR, other], [ORDERS_DB]),
      SETTINGS,
    );
    assert.equal(named.kind, 'patch');
    assert.equal(named.kind === 'patch' && named.record.identity, 'auditor');
  });

  test('an identity annotation naming an identity that does not select the pod is denied', () => {
    const plan = deny(
      planInjection(agentPod({ annotations: { 'airlock.dev/identity': 'admin' } }), NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS),
    );
    assert.equal((plan as { code: string }).code, 'IdentityMismatch');
  });

  test('a podSelector narrows the identity to labeled pods', () => {
    const narrow = identity('migrator', 'migrator', ['orders-db'], { app: 'migrations' });
    assert.equal(planInjection(agentPod(), NS, catalog([narrow], [ORDERS_DB]), SETTINGS).kind, 'deny');
    assert.equal(planInjection(agentPod({ labels: { app: 'migrations' } }), NS, catalog([narrow], [ORDERS_DB]), SETTINGS).kind, 'patch');
  });

  test('a pod only token identities select is injected with their targets, and its record names no own identity', () => {
    const tokenOnly = (name: string, targets: string[]) => {
      const base = identity(name, 'migrator', targets);
      return { ...base, spec: { ...base.spec, oidc: { issuer: 'https://token.ci.example', audiences: ['airlock'], required: true } } };
    };
    const plan = planInjection(
      agentPod(),
      NS,
      catalog([tokenOnly('deploy-main', ['orders-db']), tokenOnly('reports', ['billing-db'])], [ORDERS_DB, BILLING_DB]),
      SETTINGS,
    );
    assert.equal(plan.kind, 'patch', JSON.stringify(plan));
    assert.equal(plan.kind === 'patch' && plan.record.identity, '');
    assert.deepEqual(plan.kind === 'patch' && plan.record.targets, ['billing-db', 'orders-db']);
  });
});

describe('planInjection: delegation', () => {
  const withDelegation = (base = MIGRATOR) => ({ ...base, spec: { ...base.spec, delegation: { maxDepth: 1 } } });
  const tokenOnly = (name: string, targets: string[]) => {
    const base = identity(name, 'migrator', targets);
    return { ...base, spec: { ...base.spec, oidc: { issuer: 'https://token.ci.example', audiences: ['airlock'], required: true } } };
  };

  test('an identity that may delegate: the sidecar serves the port and every agent container learns the URL', () => {
    const pod = agentPod();
    const result = patched(planInjection(pod, NS, catalog([withDelegation()], [ORDERS_DB]), SETTINGS), pod);
    assert.equal(envOf(container(result, 'airlock-sidecar')).AIRLOCK_DELEGATION_PORT, '15470');
    assert.equal(envOf(container(result, 'airlock-sidecar')).AIRLOCK_DELEGATION_URL, undefined);
    for (const name of ['agent', 'wait-for-schema']) {
      const env = envOf(container(result, name));
      assert.equal(env.AIRLOCK_DELEGATION_URL, 'http://127.0.0.1:15470', name);
      assert.equal(env.AIRLOCK_DELEGATION_PORT, undefined, name);
    }
    // Ours first, the container's own after.
    assert.deepEqual(container(result, 'agent')?.env?.at(-1), { name: 'MODEL', value: 'large' });
  });

  test('no identity of the pod may delegate: neither variable, so there is no endpoint to mint tokens at', () => {
    const pod = agentPod();
    const result = patched(planInjection(pod, NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS), pod);
    for (const name of ['airlock-sidecar', 'agent', 'wait-for-schema']) {
      const env = envOf(container(result, name));
      assert.equal(env.AIRLOCK_DELEGATION_PORT, undefined, name);
      assert.equal(env.AIRLOCK_DELEGATION_URL, undefined, name);
    }
  });

  test("a token identity that may delegate turns it on, though the pod's own identity may not", () => {
    const pod = agentPod();
    const cat = catalog([MIGRATOR, withDelegation(tokenOnly('deploy-main', ['billing-db']))], [ORDERS_DB, BILLING_DB]);
    const result = patched(planInjection(pod, NS, cat, SETTINGS), pod);
    assert.equal(envOf(container(result, 'airlock-sidecar')).AIRLOCK_DELEGATION_PORT, '15470');
    assert.equal(envOf(container(result, 'agent')).AIRLOCK_DELEGATION_URL, 'http://127.0.0.1:15470');
  });

  test('a Target on the delegation port is refused on such a pod, naming the Target and what to change', () => {
    const onPort = target('reports-db', 'postgres', 15470);
    const may = identity('migrator', 'migrator', ['orders-db', 'reports-db']);
    const plan = planInjection(agentPod(), NS, catalog([withDelegation(may)], [ORDERS_DB, onPort]), SETTINGS);
    assert.equal(plan.kind, 'deny', JSON.stringify(plan));
    assert.equal(plan.kind === 'deny' && plan.code, 'PortClash');
    assert.match(plan.kind === 'deny' ? plan.message : '', /Target reports-db uses localPort 15470.*delegation.*another localPort/);
    // Without delegation the port is the Target's to use.
    assert.equal(planInjection(agentPod(), NS, catalog([may], [ORDERS_DB, onPort]), SETTINGS).kind, 'patch');
  });

  test('a second pass over the injected pod changes nothing', () => {
    const cat = catalog([withDelegation()], [ORDERS_DB]);
    const once = patched(planInjection(agentPod(), NS, cat, SETTINGS), agentPod());
    assert.deepEqual(planInjection(once, NS, cat, SETTINGS), { kind: 'unchanged' });
  });
});

describe('planInjection: idempotence', () => {
  const cat = catalog([identity('migrator', 'migrator', ['orders-db', 'cluster-api', 'bastion'])], [ORDERS_DB, CLUSTER_API, BASTION]);

  test('a second pass over the injected pod changes nothing', () => {
    const once = patched(planInjection(agentPod(), NS, cat, SETTINGS), agentPod());
    assert.deepEqual(planInjection(once, NS, cat, SETTINGS), { kind: 'unchanged' });
  });

  test('unchanged after the API server defaulted the pod, a LimitRange set limits, and resize policies were added', () => {
    const once = patched(planInjection(agentPod(), NS, cat, SETTINGS), agentPod());
    const sidecar = once.spec!.initContainers![0]!;
    sidecar.resources = { requests: { cpu: '50m', memory: '96Mi' }, limits: { cpu: '500m', memory: '256Mi' } };
    sidecar.resizePolicy = [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }];
    assert.deepEqual(planInjection(once, NS, cat, SETTINGS), { kind: 'unchanged' });
  });

  test('a container another webhook added after us gets the env on re-invocation, nothing else changes', () => {
    const once = patched(planInjection(agentPod(), NS, cat, SETTINGS), agentPod());
    once.spec!.containers.push({ name: 'log-shipper', image: 'fluent-bit:3' });
    const plan = planInjection(once, NS, cat, SETTINGS);
    assert.equal(plan.kind, 'patch');
    assert.deepEqual(plan.kind === 'patch' && plan.patch.map((op) => op.path), ['/spec/containers']);
    const twice = patched(plan, once);
    assert.equal(envOf(container(twice, 'log-shipper')).PGHOST, '127.0.0.1');
    assert.equal(planInjection(twice, NS, cat, SETTINGS).kind, 'unchanged');
  });

  test('a sidecar changed after injection (or copied from another pod) is replaced by the real one', () => {
    const once = patched(planInjection(agentPod(), NS, cat, SETTINGS), agentPod());
    once.spec!.initContainers![0]!.image = 'evil/sidecar:latest';
    once.spec!.initContainers![0]!.args = ['--allow-everything'];
    const fixed = patched(planInjection(once, NS, cat, SETTINGS), once);
    assert.equal(fixed.spec?.initContainers?.[0]?.image, SETTINGS.image);
    assert.equal(fixed.spec?.initContainers?.[0]?.args, undefined);
    assert.equal(fixed.spec?.initContainers?.filter((c) => c.name === 'airlock-sidecar').length, 1);
  });

  test('annotation keys are escaped in the patch path; a pod without annotations gets the whole map', () => {
    const withAnnotations = planInjection(agentPod({ annotations: { team: 'data' } }), NS, cat, SETTINGS);
    assert.ok(
      withAnnotations.kind === 'patch' && withAnnotations.patch.some((op) => op.path === '/metadata/annotations/airlock.dev~1injected'),
    );
    const without = planInjection(agentPod(), NS, cat, SETTINGS);
    assert.ok(without.kind === 'patch' && without.patch.some((op) => op.path === '/metadata/annotations' && op.op === 'add'));
  });
});

describe('planInjection: the pod cannot bypass the sidecar', () => {
  test("the pod's own PGHOST, PGPORT and AIRLOCK_*_URL are replaced; other env stays and may refer to ours", () => {
    const pod = agentPod();
    pod.spec!.containers[0]!.env = [
      { name: 'PGHOST', value: 'orders-db.db.svc' },
      { name: 'DATABASE_URL', value: '$(AIRLOCK_ORDERS_DB_URL)' },
      { name: 'AIRLOCK_ORDERS_DB_URL', value: 'postgresql://orders-db.db.svc/orders' },
      { name: 'PGPORT', valueFrom: { configMapKeyRef: { name: 'db', key: 'port' } } },
    ];
    const env = container(patched(planInjection(pod, NS, catalog([MIGRATOR], [ORDERS_DB]), SETTINGS), pod), 'agent')?.env ?? [];
    assert.deepEqual(
      env.map((e) => [e.name, e.value]),
      [
        ['PGHOST', '127.0.0.1'],
        ['PGPORT', '5432'],
        ['PGSSLMODE', 'disable'],
        ['AIRLOCK_ORDERS_DB_URL', 'postgresql://127.0.0.1:5432/orders?sslmode=disable'],
        ['DATABASE_URL', '$(AIRLOCK_ORDERS_DB_URL)'],
      ],
    );
  });

  test("the pod's own AIRLOCK_DELEGATION_URL is replaced: an agent cannot be pointed elsewhere for a sub-agent's token", () => {
    const pod = agentPod();
    pod.spec!.containers[0]!.env = [
      { name: 'AIRLOCK_DELEGATION_URL', value: 'http://token-thief.example' },
      { name: 'MODEL', value: 'large' },
    ];
    pod.spec!.initContainers![0]!.env = [{ name: 'AIRLOCK_DELEGATION_URL', valueFrom: { configMapKeyRef: { name: 'x', key: 'url' } } }];
    const delegating = { ...MIGRATOR, spec: { ...MIGRATOR.spec, delegation: { maxDepth: 2 } } };
    const result = patched(planInjection(pod, NS, catalog([delegating], [ORDERS_DB]), SETTINGS), pod);
    for (const name of ['agent', 'wait-for-schema']) {
      const env = container(result, name)?.env ?? [];
      assert.deepEqual(
        env.filter((e) => e.name === 'AIRLOCK_DELEGATION_URL'),
        [{ name: 'AIRLOCK_DELEGATION_URL', value: 'http://127.0.0.1:15470' }],
        name,
      );
    }
    assert.deepEqual(container(result, 'agent')?.env?.at(-1), { name: 'MODEL', value: 'large' });
  });

  const cat = catalog([MIGRATOR], [ORDERS_DB, target('hr-db', 'postgres', 5499)]);
  const attacks: [string, (pod: V1Pod) => void, string, RegExp][] = [
    [
      'an agent container mounting the airlock token',
      (pod) => {
        pod.spec!.volumes!.push({
          name: 'airlock-token',
          projected: { sources: [{ serviceAccountToken: { audience: 'airlock', path: 'token' } }] },
        });
        pod.spec!.containers[0]!.volumeMounts!.push({ name: 'airlock-token', mountPath: '/steal' });
      },
      'AirlockTokenMounted',
      /container agent mounts volume airlock-token: remove that volumeMount/,
    ],
    [
      'an agent container mounting its own projected service-account token',
      (pod) => {
        pod.spec!.volumes!.push({
          name: 'vault-token',
          projected: { sources: [{ serviceAccountToken: { audience: 'vault', path: 't' } }] },
        });
        pod.spec!.initContainers![0]!.volumeMounts!.push({ name: 'vault-token', mountPath: '/vault' });
      },
      'ServiceAccountTokenMounted',
      /container wait-for-schema mounts volume vault-token, which projects a service-account token/,
    ],
    [
      "a secret volume of a Target's credentials",
      (pod) => pod.spec!.volumes!.push({ name: 'creds', secret: { secretName: 'orders-db-credentials' } }),
      'CredentialVolume',
      /volume creds refers to Secret orders-db-credentials, the credentials of Target orders-db: remove the volume/,
    ],
    [
      "a projected volume with another Target's credentials",
      (pod) => pod.spec!.volumes!.push({ name: 'bundle', projected: { sources: [{ secret: { name: 'hr-db-credentials' } }] } }),
      'CredentialVolume',
      /Target hr-db/,
    ],
    [
      'an env var from the credentials Secret',
      (pod) =>
        pod.spec!.containers[0]!.env!.push({
          name: 'PGPASSWORD',
          valueFrom: { secretKeyRef: { name: 'orders-db-credentials', key: 'password' } },
        }),
      'CredentialEnv',
      /container agent env PGPASSWORD reads Secret orders-db-credentials/,
    ],
    [
      'envFrom the credentials Secret',
      (pod) => {
        pod.spec!.containers[0]!.envFrom = [{ secretRef: { name: 'orders-db-credentials' } }];
      },
      'CredentialEnv',
      /container agent envFrom reads Secret orders-db-credentials/,
    ],
    [
      'automountServiceAccountToken: true',
      (pod) => {
        pod.spec!.automountServiceAccountToken = true;
      },
      'ServiceAccountTokenRequested',
      /spec\.automountServiceAccountToken is true: remove it/,
    ],
    [
      'a regular container named airlock-sidecar',
      (pod) => pod.spec!.containers.push({ name: 'airlock-sidecar', image: 'evil' }),
      'ReservedContainerName',
      /reserved/,
    ],
  ];
  for (const [name, attack, code, message] of attacks) {
    test(`denied: ${name}`, () => {
      const pod = agentPod();
      attack(pod);
      const plan = planInjection(pod, NS, cat, SETTINGS);
      assert.equal(plan.kind, 'deny', JSON.stringify(plan));
      assert.equal(plan.kind === 'deny' && plan.code, code);
      assert.match(plan.kind === 'deny' ? plan.message : '', message);
    });
  }

  test('a Secret that is no Target credential may be used as usual', () => {
    const pod = agentPod();
    pod.spec!.volumes!.push({ name: 'tls', secret: { secretName: 'agent-tls' } });
    pod.spec!.containers[0]!.envFrom = [{ secretRef: { name: 'model-api-key' } }];
    assert.equal(planInjection(pod, NS, cat, SETTINGS).kind, 'patch');
  });
});

describe('planInjection: which pods', () => {
  const cat = catalog([MIGRATOR], [ORDERS_DB]);
  test('kube-system and the operator namespace are never injected', () => {
    assert.equal(planInjection(agentPod(), 'kube-system', cat, SETTINGS).kind, 'skip');
    assert.equal(planInjection(agentPod(), 'airlock-system', cat, SETTINGS).kind, 'skip');
  });
  test('a pod without the inject label is skipped', () => {
    assert.equal(planInjection(agentPod({ labels: { 'airlock.dev/inject': 'false' } }), NS, cat, SETTINGS).kind, 'skip');
  });
});

describe('planInjection: a namespace in CI mode (airlock.dev/injection=all)', () => {
  const cat = catalog([MIGRATOR], [ORDERS_DB]);
  const ciMode = (pod: V1Pod, namespace = NS) => planInjection(pod, namespace, cat, SETTINGS, 'namespace');
  /** A pod as a CI runner creates it: no airlock label, other labels of its own. */
  const runnerPod = (labels: Record<string, string> = { job: '4711' }) => {
    const pod = agentPod();
    if (Object.keys(labels).length === 0) delete pod.metadata!.labels;
    else pod.metadata!.labels = labels;
    return pod;
  };

  test('a pod without the inject label gets it, as the first op, and then exactly what a labeled pod gets', () => {
    const pod = runnerPod();
    const plan = ciMode(pod);
    assert.equal(plan.kind, 'patch');
    assert.deepEqual(plan.kind === 'patch' && plan.patch[0], {
      op: 'add',
      path: '/metadata/labels/airlock.dev~1inject',
      value: 'true',
    });
    const result = patched(plan, pod);
    assert.deepEqual(result.metadata?.labels, { job: '4711', 'airlock.dev/inject': 'true' });
    const labeled = agentPod({ labels: { job: '4711' } });
    assert.deepEqual(result, patched(planInjection(labeled, NS, cat, SETTINGS), labeled));
  });

  test('a pod without any labels gets the whole labels map', () => {
    const pod = runnerPod({});
    const plan = ciMode(pod);
    assert.ok(plan.kind === 'patch', JSON.stringify(plan));
    assert.deepEqual(plan.patch[0], { op: 'add', path: '/metadata/labels', value: { 'airlock.dev/inject': 'true' } });
    assert.deepEqual(patched(plan, pod).metadata?.labels, { 'airlock.dev/inject': 'true' });
  });

  test('a pod the user labeled inject=true is injected once, the same way as in a namespace labeled enabled', () => {
    const pod = agentPod();
    assert.deepEqual(ciMode(pod), planInjection(pod, NS, cat, SETTINGS));
    const result = patched(ciMode(pod), pod);
    assert.equal(result.spec?.initContainers?.filter((c) => c.name === 'airlock-sidecar').length, 1);
  });

  test('re-invocation over the injected pod changes nothing, in either mode', () => {
    const once = patched(ciMode(runnerPod()), runnerPod());
    assert.deepEqual(ciMode(once), { kind: 'unchanged' });
    assert.deepEqual(planInjection(once, NS, cat, SETTINGS), { kind: 'unchanged' });
    // A later webhook added a container: only it changes; the label is not added twice.
    once.spec!.containers.push({ name: 'log-shipper', image: 'fluent-bit:3' });
    const again = ciMode(once);
    assert.deepEqual(again.kind === 'patch' && again.patch.map((op) => op.path), ['/spec/containers']);
  });

  test('a pod labeled inject=false is left alone', () => {
    const plan = ciMode(runnerPod({ 'airlock.dev/inject': 'false', app: 'gitlab-runner' }));
    assert.deepEqual(plan, { kind: 'skip', reason: 'pod is labeled airlock.dev/inject=false' });
  });

  test('any other value of the inject label is refused, saying which values mean something', () => {
    const plan = ciMode(runnerPod({ 'airlock.dev/inject': 'yes' }));
    assert.equal(plan.kind, 'deny');
    assert.equal(plan.kind === 'deny' && plan.code, 'InjectLabelInvalid');
    assert.match(plan.kind === 'deny' ? plan.message : '', /airlock\.dev\/inject=yes means nothing.*set it to true or false/);
  });

  test('no AgentIdentity for the service account: denied with the usual code, saying what to create and why the pod is an agent', () => {
    const pod = runnerPod();
    pod.spec!.serviceAccountName = 'default';
    const plan = ciMode(pod);
    assert.equal(plan.kind, 'deny');
    assert.equal(plan.kind === 'deny' && plan.code, 'NoIdentity');
    const message = plan.kind === 'deny' ? plan.message : '';
    assert.match(
      message,
      /^no AgentIdentity in namespace agents selects service account default: create one with spec\.serviceAccountName: default/,
    );
    assert.match(
      message,
      /namespace agents is labeled airlock\.dev\/injection=all: every pod created in it is an agent unless labeled airlock\.dev\/inject=false/,
    );
  });

  test("an identity's podSelector sees the labels the pod is stored with, the inject label included", () => {
    const selective = identity('migrator', 'migrator', ['orders-db'], { 'airlock.dev/inject': 'true' });
    assert.equal(planInjection(runnerPod(), NS, catalog([selective], [ORDERS_DB]), SETTINGS, 'namespace').kind, 'patch');
  });

  test('kube-system and the operator namespace are never injected, whatever the mode', () => {
    assert.equal(ciMode(runnerPod(), 'kube-system').kind, 'skip');
    assert.equal(ciMode(runnerPod(), 'airlock-system').kind, 'skip');
  });

  test('in a namespace labeled enabled an unlabeled pod is still skipped', () => {
    assert.equal(planInjection(runnerPod(), NS, cat, SETTINGS).kind, 'skip');
  });
});
