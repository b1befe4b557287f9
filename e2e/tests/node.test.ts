/**
 * The test cluster's real node (testkit/src/node/): kubelet, containerd with CRI, runc, the CNI
 * bridge, kube-proxy and kube-scheduler on this machine. Pods from the airlock image run and log,
 * `kubectl exec` reaches them through the API server and the kubelet, a Job completes, a
 * Deployment answers through its Service's ClusterIP, pods resolve Service names through the
 * cluster DNS (CoreDNS, as a pod) and nothing outside the cluster, and a pod talks to the API
 * server through the `kubernetes` Service with its own token. Nothing a pod sends leaves the
 * machine. After stop() — and after the test process is killed, by its watchdog — the machine is
 * as before: sysctls, iptables and nftables, links, routes, host paths, cgroups, mounts.
 *
 * Needs root, cgroups and the Debian packages (`make system-packages`); on a machine that cannot
 * run a node the tests skip with the reason ClusterNode.available() gives.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { cachedImage } from '@airlock/build';
import {
  ClusterNode,
  ControlPlane,
  describeDifferences,
  eventually,
  type MachineState,
  NODE_LOCK_DIR,
  NodeLock,
  POD_NETWORK,
  readMachineState,
} from '@airlock/testkit';
import { stringify } from 'yaml';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const availability = ClusterNode.available();
const skip = availability.available ? false : availability.reason;
const NS = 'node-test';

/** What the test compares before and after: the node's own reading plus every sysctl and every mount of a node. */
interface Snapshot {
  machine: MachineState;
  sysctls: Map<string, string>;
  nodeMounts: string[];
}

// Counters and clocks the kernel changes by itself.
const VOLATILE_SYSCTL =
  /^(fs\.|kernel\.random\.|kernel\.ns_last_pid|kernel\.pty\.nr|kernel\.perf_event|net\.netfilter\.nf_conntrack_count|kernel\.sched_domain|vm\.stat_interval)/;

/**
 * Read while holding the node lock: every node restores the machine before it lets go of the
 * lock, so a reading under the lock never sees another test process's node half-way.
 */
async function snapshot(): Promise<Snapshot> {
  const lock = await NodeLock.acquire({ log });
  try {
    return readSnapshot();
  } finally {
    lock.release();
  }
}

function readSnapshot(): Snapshot {
  const machine = readMachineState(ClusterNode.scopeFor('/nonexistent'));
  const listed = spawnSync('sysctl', ['-a'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const sysctls = new Map(
    listed.stdout
      .split('\n')
      .map((line) => line.split(' = '))
      .filter((parts): parts is [string, string] => parts.length === 2 && !VOLATILE_SYSCTL.test(parts[0] as string)),
  );
  const mounts = spawnSync('findmnt', ['--raw', '--noheadings', '--output', 'TARGET'], { encoding: 'utf8' }).stdout.split('\n');
  return { machine, sysctls, nodeMounts: mounts.filter((target) => target.includes('/airlock-node-')) };
}

function differences(before: Snapshot, after: Snapshot): string[] {
  const out = describeDifferences(before.machine, after.machine);
  for (const key of new Set([...before.sysctls.keys(), ...after.sysctls.keys()])) {
    if (before.sysctls.get(key) !== after.sysctls.get(key)) {
      out.push(`sysctl ${key}: ${before.sysctls.get(key) ?? '(absent)'} → ${after.sysctls.get(key) ?? '(absent)'}`);
    }
  }
  out.push(...after.nodeMounts.filter((m) => !before.nodeMounts.includes(m)).map((m) => `mount ${m} added`));
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

/** A pod spec of the airlock image running `node -e script`, exiting at once on SIGTERM (PID 1 ignores signals it does not handle). */
function podSpec(image: string, script: string, container: Obj = {}): Obj {
  return {
    terminationGracePeriodSeconds: 1,
    containers: [
      {
        name: 'main',
        image,
        imagePullPolicy: 'Never',
        args: ['-e', `process.on('SIGTERM', () => process.exit(0));\n${script}`],
        ...container,
      },
    ],
  };
}

function nodePod(name: string, image: string, script: string): Obj {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: NS, labels: { app: name } }, spec: podSpec(image, script) };
}

describe('a real node', { skip }, () => {
  let machineBefore: Snapshot;
  let plane: ControlPlane;
  let image: string;
  let workDir: string;
  let stopped = false;

  const kubectl = async (args: string[]) => {
    const result = await plane.kubectl(args);
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const apply = async (name: string, objects: Obj[]) => {
    const file = join(workDir, `${name}.yaml`);
    writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
    await kubectl(['apply', '-f', file]);
  };
  /** Runs `node -e script` in the running pod; its stdout, or an assertion error with its stderr. */
  const nodeIn = async (pod: string, script: string) => kubectl(['exec', '-n', NS, pod, '--', '/usr/local/bin/node', '-e', script]);
  const waitRunning = async (pod: string) => {
    const started = Date.now();
    await kubectl(['wait', '-n', NS, '--for=condition=Ready', `pod/${pod}`, '--timeout=90s']);
    return Date.now() - started;
  };

  before(
    async () => {
      const built = await cachedImage(log);
      machineBefore = await snapshot();
      const started = Date.now();
      plane = await ControlPlane.start({ node: true, log });
      log(`control plane and node started in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      workDir = plane.dir;
      const importing = Date.now();
      [image] = plane.node.importImage(built.archive) as [string];
      log(`imported ${image} in ${((Date.now() - importing) / 1000).toFixed(1)}s`);
      await kubectl(['create', 'namespace', NS]);
      // The service-account controller makes `default` in a new namespace a moment later.
      await eventually('the default service account in the test namespace', async () =>
        (await plane.kubectl(['get', 'serviceaccount', '-n', NS, 'default'])).code === 0 ? true : undefined,
      );
    },
    { timeout: 20 * 60_000 },
  );

  after(async () => {
    if (!stopped) await plane?.stop();
  });

  test('the node is Ready, untainted, its address the bridge address', async () => {
    const node = JSON.parse(await kubectl(['get', 'node', plane.node.name, '-o', 'json'])) as Obj;
    const ready = (node.status.conditions as Obj[]).find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True');
    assert.equal(node.spec.taints, undefined);
    assert.deepEqual(
      (node.status.addresses as Obj[]).filter((a) => a.type === 'InternalIP').map((a) => a.address),
      [POD_NETWORK.gateway],
    );
  });

  test('a pod from the airlock image runs, and kubectl logs reads what it printed', async () => {
    const created = Date.now();
    await apply('hello', [
      nodePod('hello', image, "console.log('hello from', require('node:os').hostname()); setInterval(() => {}, 1000);"),
    ]);
    const waited = await waitRunning('hello');
    log(`pod hello Ready ${((Date.now() - created) / 1000).toFixed(1)}s after it was created (${(waited / 1000).toFixed(1)}s waiting)`);
    const logs = await eventually('the pod to print', async () => {
      const printed = await kubectl(['logs', '-n', NS, 'hello']);
      return printed.includes('hello from') ? printed : undefined;
    });
    assert.equal(logs.trim(), 'hello from hello');
  });

  test('kubectl exec runs a command in the pod, through the API server and the kubelet', async () => {
    const out = await nodeIn('hello', "console.log(process.getuid(), require('node:os').hostname())");
    assert.equal(out.trim(), '65532 hello');
  });

  test('a Job completes', { timeout: 120_000 }, async () => {
    const created = Date.now();
    await apply('job', [
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'once', namespace: NS },
        spec: {
          backoffLimit: 0,
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'main', image, imagePullPolicy: 'Never', args: ['-e', "console.log('job done')"] }],
            },
          },
        },
      },
    ]);
    await kubectl(['wait', '-n', NS, '--for=condition=Complete', 'job/once', '--timeout=90s']);
    log(`job completed ${((Date.now() - created) / 1000).toFixed(1)}s after it was created`);
    assert.match(await kubectl(['logs', '-n', NS, 'job/once']), /job done/);
  });

  test("a Deployment's pods answer another pod through their Service's ClusterIP", { timeout: 180_000 }, async () => {
    const server =
      "require('node:http').createServer((_, res) => res.end(require('node:os').hostname())).listen(8080); setInterval(() => {}, 1000);";
    await apply('echo', [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'echo', namespace: NS },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'echo' } },
          template: {
            metadata: { labels: { app: 'echo' } },
            spec: podSpec(image, server, { readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }),
          },
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo', namespace: NS },
        spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
      },
    ]);
    await kubectl(['rollout', 'status', '-n', NS, 'deployment/echo', '--timeout=120s']);
    const clusterIp = (await kubectl(['get', 'service', '-n', NS, 'echo', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const pods = (await kubectl(['get', 'pods', '-n', NS, '-l', 'app=echo', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    // kube-proxy picks a backend at random per connection (a new one each time, no keep-alive):
    // 40 connections see both, once the second pod's endpoint reached kube-proxy's rules (a
    // rollout is done when the pods are ready, a moment before their EndpointSlice says so).
    const get = `() => new Promise((resolve, reject) => require('node:http').get({ host: '${clusterIp}', agent: false }, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b)); }).on('error', reject))`;
    const answers = await eventually(
      'both pods to answer through the Service',
      async () => {
        const seen = await nodeIn(
          'hello',
          `(async () => { const get = ${get}; const seen = new Set(); for (let i = 0; i < 40 && seen.size < 2; i++) seen.add(await get()); console.log([...seen].sort().join(' ')); })()`,
        );
        return seen.trim().split(' ').length === 2 ? seen : undefined;
      },
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(answers.trim().split(' '), pods.sort());
  });

  test('a pod resolves names of the cluster through CoreDNS, and only those: a name outside fails here and is asked of no one else', {
    timeout: 60_000,
  }, async () => {
    const resolvConf = await nodeIn('hello', "process.stdout.write(require('node:fs').readFileSync('/etc/resolv.conf', 'utf8'))");
    assert.match(resolvConf, /^nameserver 10\.0\.0\.10$/m);
    assert.match(resolvConf, new RegExp(`^search ${NS}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local$`, 'm'));
    const echo = (await kubectl(['get', 'service', '-n', NS, 'echo', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const lookup = async (name: string) => {
      const script = `const started = Date.now(); require('node:dns').promises.lookup('${name}', { family: 4, all: true }).then((found) => console.log(found.map((a) => a.address).join(' ')), (e) => console.log(e.code)).finally(() => console.error(Date.now() - started))`;
      const result = await plane.kubectl(['exec', '-n', NS, 'hello', '--', '/usr/local/bin/node', '-e', script]);
      assert.equal(result.code, 0, result.stderr);
      log(`lookup ${name} in the pod: ${result.stdout.trim()} in ${result.stderr.trim()} ms`);
      return result.stdout.trim();
    };
    const dropped = () => plane.node.guardCounters().reduce((sum, counter) => sum + counter.packets, 0);
    const droppedBefore = dropped();
    assert.equal(await lookup('kubernetes.default.svc.cluster.local'), '10.0.0.1');
    // A short name through the search path, and the form the chart gives sidecars (<service>.<namespace>.svc).
    assert.equal(await lookup('echo'), echo);
    assert.equal(await lookup(`echo.${NS}.svc`), echo);
    assert.equal(await lookup('no-such-service'), 'ENOTFOUND');
    // CoreDNS forwards nothing: the answer comes from it, and nothing tried to leave the machine.
    assert.equal(await lookup('example.com'), 'ENOTFOUND');
    assert.equal(dropped(), droppedBefore, 'the guard dropped packets during the lookups');
  });

  test('a pod reaches the API server through the kubernetes Service, as its service account', async () => {
    const script = `
      const fs = require('node:fs');
      const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
      const req = require('node:https').request({
        host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT, method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', ca: fs.readFileSync(dir + '/ca.crt'),
        headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8'), 'content-type': 'application/json' },
      }, (res) => { let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => console.log(process.env.KUBERNETES_SERVICE_HOST, res.statusCode, JSON.parse(body).status.userInfo.username)); });
      req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));`;
    const out = await nodeIn('hello', script);
    assert.equal(out.trim(), `10.0.0.1 201 system:serviceaccount:${NS}:default`);
  });

  test('nothing a pod sends leaves the machine: no route out, and the guard drops a Service that points outside', {
    timeout: 60_000,
  }, async () => {
    const gateway = /default via (\S+)/.exec(spawnSync('ip', ['-4', 'route', 'show', 'default'], { encoding: 'utf8' }).stdout)?.[1];
    const connect = (host: string, port: number) =>
      `const s = require('node:net').connect({ host: '${host}', port: ${port} }); s.setTimeout(3000, () => { console.log('timeout'); process.exit(0); }); s.on('connect', () => { console.log('connected'); process.exit(0); }); s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
    if (gateway) {
      // No default route in the pod: the kernel refuses at once, nothing is sent.
      assert.equal((await nodeIn('hello', connect(gateway, 80))).trim(), 'ENETUNREACH');
    }
    // A ClusterIP nobody serves is blackholed on the node: the connection gets nowhere.
    assert.notEqual((await nodeIn('hello', connect('10.0.0.250', 80))).trim(), 'connected');
    // A Service whose endpoint is outside (TEST-NET-2): kube-proxy translates, the guard drops.
    await apply('outside', [
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'outside', namespace: NS }, spec: { ports: [{ port: 80 }] } },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'outside-1', namespace: NS, labels: { 'kubernetes.io/service-name': 'outside' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['198.51.100.7'] }],
        ports: [{ port: 80, protocol: 'TCP' }],
      },
    ]);
    const clusterIp = (await kubectl(['get', 'service', '-n', NS, 'outside', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const dropped = () => plane.node.guardCounters().reduce((sum, counter) => sum + counter.packets, 0);
    const droppedBefore = dropped();
    await eventually(
      'the guard to drop the connection to the outside endpoint',
      async () => {
        assert.equal((await nodeIn('hello', connect(clusterIp, 80))).trim(), 'timeout');
        assert.ok(dropped() > droppedBefore, 'the guard dropped nothing: kube-proxy has not programmed the Service yet?');
        return true;
      },
      { timeoutMs: 30_000 },
    );
    const external = plane.node.guardCounters().filter((c) => c.packets > 0);
    log(`guard counters: ${external.map((c) => `${c.family} ${c.rule}: ${c.packets}`).join('; ')}`);
  });

  test('stop() puts the machine back as it was', { timeout: 120_000 }, async () => {
    const started = Date.now();
    stopped = true;
    await plane.stop();
    log(`stopped in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    assert.equal(existsSync(plane.node.dir), false, `${plane.node.dir} left behind`);
    assert.deepEqual(differences(machineBefore, await snapshot()), []);
  });
});

const childScript = `
import { ControlPlane } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'testkit', 'src', 'index.ts'))};
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
const plane = await ControlPlane.start({ node: true });
// The sandbox image is on the node already: a pod of it needs no import.
const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'sleeper', namespace: 'default' },
  spec: { containers: [{ name: 'pause', image: plane.node.sandboxImage, imagePullPolicy: 'Never' }] } };
writeFileSync(join(plane.dir, 'pod.json'), JSON.stringify(pod));
let r = await plane.kubectl(['apply', '-f', join(plane.dir, 'pod.json')]);
if (r.code !== 0) throw new Error(r.stderr);
r = await plane.kubectl(['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=90s']);
if (r.code !== 0) throw new Error(r.stderr);
process.stdout.write(JSON.stringify({ dir: plane.node.dir }) + '\\n');
setInterval(() => {}, 1000);
`;

test('a killed test process: the watchdog puts the machine back', { skip, timeout: 300_000 }, async () => {
  const before = await snapshot();
  const child = spawn(process.execPath, ['--input-type=module', '-e', childScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<{ dir: string }>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before its pod ran`)));
  });
  assert.ok(existsSync(first.dir));
  assert.ok(
    readMachineState(ClusterNode.scopeFor(first.dir)).links.some((name) => name.startsWith('veth')),
    'the pod has no veth: nothing to clean up',
  );
  child.kill('SIGKILL');
  // The watchdog holds the node lock until it has restored the machine.
  const lock = await NodeLock.acquire({ log, waitMs: 120_000 });
  try {
    assert.equal(existsSync(first.dir), false, `${first.dir} left behind`);
    assert.deepEqual(differences(before, readSnapshot()), []);
  } finally {
    lock.release();
  }
  assert.equal(existsSync(NODE_LOCK_DIR), false);
});
