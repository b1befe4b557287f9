/**
 * airlock on the test cluster's real node, as a user runs it: `helm install` of charts/airlock;
 * the operator runs as two pods from the image (one of them holds the leader Lease), its webhooks
 * are called through their Service and sidecars reach the broker through its Service name. Agent
 * Jobs run the agent image's real psql: in a labeled namespace and in a CI namespace (injection
 * for every pod) the pod gets the native sidecar, reads masked rows through 127.0.0.1, a DROP TABLE
 * is held until `kubectl approve` (the bundled plugin) releases it — also across the deletion of
 * both operator pods — and the Job completes, its sidecar exiting by itself on SIGTERM. Inside the
 * running agent container there is no service-account token and no credential, and PostgreSQL
 * refuses a direct connection; the validating webhook refuses what would bypass the sidecar. After
 * the Job is gone its ApprovalRequests are garbage-collected with its pod. `helm upgrade` rolls
 * the operator pods while a statement is held, and the request and the recordings on the chart's
 * volume survive; `helm uninstall` runs its pre-delete hook Job on the node before it deletes
 * anything, and afterwards pods are created without a sidecar while the CRDs and objects stay.
 * SSH: `ssh orders-bastion` in the agent container reaches a real sshd through the sidecar, a
 * denied command never reaches the host, and `ssh orders-bastion 'systemctl restart orders'` is
 * held until `kubectl approve`, runs exactly once, and `kubectl approve replay` turns its recorded
 * session into a cast the real asciinema reads.
 * Kubernetes API: in a long-running agent pod, the agent image's kubectl reads the cluster through
 * its sidecar (the kubeconfig the sidecar wrote, holding nothing) as the Target's upstream service
 * account, whose TokenRequest token only the sidecar holds; a `kubectl exec` into a prod pod is held
 * until `kubectl approve` and then runs there once, its upgraded connection tunnelled through the
 * sidecar to the API server and the kubelet; a `kubectl delete pod` is held with the evidence of
 * its dry run, and deletes the pod once approved.
 *
 * Only PostgreSQL, sshd and the control plane run outside pods: they are the cluster's
 * surroundings, not airlock (pods reach them on the node's bridge address).
 *
 * Needs root, cgroups and the Debian packages (`make system-packages`); on a machine that cannot
 * run a node the tests skip with the reason ClusterNode.available() gives.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bundlePlugin } from '@airlock/kubectl-approve/bundle';
import {
  agentPodSpec,
  applyObjects,
  CHART_DIR,
  ClusterNode,
  ControlPlane,
  createRecordingsVolume,
  eventually,
  generateSshKeyPair,
  helmInstallOnNode,
  importNodeImages,
  type NodeImages,
  OPERATOR_POD_SELECTOR,
  PostgresServer,
  psqlAsOwner,
  RELEASE_NAMESPACE,
  runHelm,
  SAMPLE,
  SshServer,
  sampleManifests,
  seedSample,
  type TestUserName,
} from '@airlock/testkit';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const availability = ClusterNode.available();
const skip = availability.available ? false : availability.reason;
const RELEASE_NS = RELEASE_NAMESPACE;
/** Opted in by label: pods labeled airlock.dev/inject=true get the sidecar. */
const AGENTS_NS = 'agents';
/** CI mode: every pod gets the sidecar (airlock.dev/injection=all). */
const CI_NS = 'ci-builds';
const LOCAL_PORT = 15432;
const OPERATOR_SELECTOR = OPERATOR_POD_SELECTOR;
/** The Kubernetes-API agent's own opted-in namespace: its Target stays out of the sample's namespace, as the other tests expect it. */
const OPS_NS = 'cluster-ops';
const OPS_AGENT = 'ops-agent';
/** Whose rights the ops agent borrows upstream: the sidecar holds a TokenRequest token of it, the agent none. */
const UPSTREAM_SA = 'cluster-agent';
const CLUSTER_TARGET = 'cluster-api';
const CLUSTER_LOCAL_PORT = 16443;
/** The namespace the ops agent's policy guards (`prod-*`); its pods run on the node. */
const PROD_NS = 'prod-eu';

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

describe('airlock on a real node', { skip }, () => {
  let plane: ControlPlane;
  let pg: PostgresServer;
  let images: NodeImages;
  let pluginDir: string;
  let pgOnBridge: { host: string; port: number };
  let helmHome: string;
  let recordingsVolume: string;
  let sshd: SshServer | undefined;
  let shimDir: string | undefined;

  const kubectl = async (args: string[], user: TestUserName = 'admin') => {
    const result = await plane.kubectl(args, { user });
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const kubectlJson = async (args: string[]): Promise<Obj> => JSON.parse(await kubectl([...args, '-o', 'json']));
  const apply = (name: string, objects: Obj[] | string) => applyObjects(plane, name, objects);
  const helm = (args: string[]) => runHelm(args, { home: helmHome, kubeconfig: plane.kubeconfigPath(), log });
  /** `kubectl approve ARGS` as alice (group airlock-reviewers), the bundled plugin found on PATH as users install it. */
  const kubectlApprove = (args: string[]) => plane.kubectl(['approve', ...args], { user: 'alice', pluginDirs: [pluginDir] });
  const operatorLog = async () =>
    (await plane.kubectl(['logs', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR, '--tail=30', '--prefix'])).stdout;
  const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000) =>
    eventually(what, probe, { timeoutMs, intervalMs: 250 });

  /** The session recordings the operator pods wrote on the volume, relative to it. */
  const recordingFiles = () =>
    readdirSync(recordingsVolume, { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.jsonl'));
  /** Job pods of `job`, once there is one. */
  const jobPod = (namespace: string, job: string) =>
    until(`a pod of job ${job}`, async () => {
      const pods = await kubectlJson(['get', 'pods', '-n', namespace, '-l', `job-name=${job}`]);
      return pods.items[0] as Obj | undefined;
    });
  const pendingRequestFor = (namespace: string, text: string) =>
    until(
      `a Pending ApprovalRequest for ${text}`,
      async () => {
        const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', namespace]);
        return list.items.find((r: Obj) => r.spec.operation.text === text && r.status?.phase === 'Pending') as Obj | undefined;
      },
      120_000,
    );
  /** Waits for the Job to complete; on failure the assertion carries the pod's logs. */
  const jobCompletes = async (namespace: string, job: string) => {
    const waited = await plane.kubectl(['wait', '-n', namespace, '--for=condition=Complete', `job/${job}`, '--timeout=180s']);
    if (waited.code !== 0) {
      const logs = await plane.kubectl(['logs', '-n', namespace, `job/${job}`, '--all-containers', '--prefix']);
      assert.fail(`job ${job} did not complete: ${waited.stderr}\n${logs.stdout}${logs.stderr}\noperator:\n${await operatorLog()}`);
    }
  };

  /** A Job running `script` with bash in the agent image; psql's user and database come from the env (the webhook sets PGHOST/PGPORT). */
  const agentJob = (namespace: string, name: string, script: string, podLabels: Record<string, string>): Obj => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      backoffLimit: 0,
      // Gone a while after it finished: its pod with it, and the pod's ApprovalRequests with the pod.
      ttlSecondsAfterFinished: 20,
      template: {
        metadata: { labels: { app: name, ...podLabels } },
        spec: agentPodSpec(images, ['/bin/bash', '-c', script], 'Never'),
      },
    },
  });

  before(
    async () => {
      const started = Date.now();
      plane = await ControlPlane.start({ node: true, log });
      log(`control plane and node started in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      images = await importNodeImages(plane, log);
      pg = await PostgresServer.start();
      await seedSample(pg);
      pgOnBridge = await plane.node.exposeOnBridge(pg.port, 'postgres');
      helmHome = join(plane.dir, 'helm');
      pluginDir = join(plane.dir, 'plugins');
      mkdirSync(pluginDir);
      await bundlePlugin(join(pluginDir, 'kubectl-approve'));
      recordingsVolume = await createRecordingsVolume(plane);
    },
    { timeout: 30 * 60_000 },
  );

  after(async () => {
    await sshd?.stop();
    if (shimDir) rmSync(shimDir, { recursive: true, force: true });
    await plane?.stop();
    await pg?.stop();
  });

  test('helm install: the operator runs as two pods from the image, one of them holds the leader Lease', { timeout: 360_000 }, async () => {
    const took = await helmInstallOnNode(plane, { images, helmHome, log });
    log(`helm install --wait took ${(took / 1000).toFixed(1)}s`);
    const pods = (await kubectlJson(['get', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR])).items as Obj[];
    assert.equal(pods.length, 2);
    for (const pod of pods) {
      assert.equal(pod.status.phase, 'Running');
      assert.equal(pod.spec.containers[0].image, `airlock/airlock@${images.airlock.digest}`);
    }
    const holder = await until('a leader in the Lease', async () => {
      const lease = await plane.kubectl(['get', 'lease', 'airlock-operator', '-n', RELEASE_NS, '-o', 'jsonpath={.spec.holderIdentity}']);
      return lease.code === 0 && lease.stdout.trim() ? lease.stdout.trim() : undefined;
    });
    assert.ok(
      pods.some((pod) => pod.metadata.name === holder),
      `the leader ${holder} is one of ${pods.map((p) => p.metadata.name)}`,
    );
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const config = await kubectlJson(['get', kind, 'airlock']);
      for (const webhook of config.webhooks as Obj[]) {
        assert.equal(webhook.clientConfig.service?.name, 'airlock-operator', `${kind} ${webhook.name} calls the Service`);
        assert.ok(webhook.clientConfig.caBundle, `the operator published its CA in ${kind} ${webhook.name}`);
      }
    }
  });

  test('an agent Job in a labeled namespace gets the native sidecar and reads masked rows through 127.0.0.1', {
    timeout: 300_000,
  }, async () => {
    await apply(
      'sample',
      sampleManifests({
        namespace: AGENTS_NS,
        postgres: { ...pgOnBridge, database: pg.database, user: 'scram_user', password: pg.users.scram_user.password },
        localPort: LOCAL_PORT,
      }),
    );
    await kubectl(['wait', '-n', AGENTS_NS, '--for=condition=Ready', '--timeout=60s', `targets.airlock.dev/${SAMPLE.target}`]);
    const created = Date.now();
    await apply('orders-report', [
      agentJob(
        AGENTS_NS,
        'orders-report',
        [
          'set -eu',
          "psql -X -A -t -c 'SELECT email, card_number FROM customers ORDER BY id'",
          "psql -X -c 'DROP TABLE order_archive_2019'",
          'echo agent done',
        ].join('\n'),
        { 'airlock.dev/inject': 'true' },
      ),
    ]);
    const pod = await jobPod(AGENTS_NS, 'orders-report');
    const sidecar = (pod.spec.initContainers as Obj[])[0];
    assert.equal(sidecar?.name, 'airlock-sidecar', 'the sidecar is the first init container');
    assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar');
    assert.equal(sidecar.image, `airlock/airlock@${images.airlock.digest}`);
    await pendingRequestFor(AGENTS_NS, 'DROP TABLE order_archive_2019');
    log(`the held DROP TABLE reached an ApprovalRequest ${((Date.now() - created) / 1000).toFixed(1)}s after the Job was created`);
    // The kubelet reports the agent container running a moment after it started: read once it printed the rows.
    const logs = await until('the agent to print the rows', async () => {
      const printed = await plane.kubectl(['logs', '-n', AGENTS_NS, pod.metadata.name, '-c', 'agent']);
      return printed.code === 0 && printed.stdout.includes('|') ? printed.stdout : undefined;
    });
    assert.doesNotMatch(logs, /ada@example\.com|4111/, 'nothing unmasked reached the agent');
    assert.match(logs, /^ad\*+\|\*+/m, 'e-mail addresses partly masked, card numbers redacted');
  });

  test('inside the running agent container: no token, no credential, and no way to PostgreSQL without the sidecar', {
    timeout: 120_000,
  }, async () => {
    const pod = await jobPod(AGENTS_NS, 'orders-report');
    const password = pg.users.scram_user.password;
    /** bash -c script in the agent container; `$1` is `arg`. */
    const exec = (script: string, arg = '') =>
      plane.kubectl(['exec', '-n', AGENTS_NS, pod.metadata.name, '-c', 'agent', '--', '/bin/bash', '-c', script, 'bash', arg]);
    const token = await exec('ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1; grep -c serviceaccount /proc/self/mounts || true');
    assert.match(token.stdout, /No such file or directory/);
    assert.match(token.stdout.trim(), /^0$/m, 'no service-account token is mounted');
    const env = await exec('env');
    assert.equal(env.code, 0, env.stderr);
    assert.ok(!env.stdout.includes(password), 'the password is not in the environment');
    assert.doesNotMatch(env.stdout, /^[A-Z_]*(PASSWORD|TOKEN|SECRET)[A-Z_]*=/m);
    // Every file the agent can read (the command line holding the password is under /proc, left out).
    const files = await exec('grep -rlsF --exclude-dir=proc --exclude-dir=sys -e "$1" / || true', password);
    assert.equal(files.stdout.trim(), '', `files holding the target's password: ${files.stdout}`);
    const direct = await exec(
      `psql -X -w -h ${pgOnBridge.host} -p ${pgOnBridge.port} -U scram_user -d ${pg.database} -c 'SELECT 1' 2>&1; echo "exit=$?"`,
    );
    assert.match(direct.stdout, /no password supplied/);
    assert.match(direct.stdout, /exit=2/);
  });

  test('what would bypass the sidecar is refused', async () => {
    const pod = await jobPod(AGENTS_NS, 'orders-report');
    const name = pod.metadata.name;
    const debug = await plane.kubectl(['debug', '-n', AGENTS_NS, name, `--image=${images.agent.reference}`, '--', 'true']);
    assert.notEqual(debug.code, 0);
    assert.match(debug.stderr, /ephemeral containers cannot be added/);
    // A shell in the sidecar would hold its broker token, with which the target's credentials could be fetched.
    for (const verb of [
      ['exec', '-n', AGENTS_NS, name, '-c', 'airlock-sidecar', '--', 'true'],
      ['attach', '-n', AGENTS_NS, name, '-c', 'airlock-sidecar'],
    ]) {
      const refused = await plane.kubectl(verb);
      assert.notEqual(refused.code, 0, `kubectl ${verb[0]} into the sidecar`);
      assert.match(refused.stderr, /SidecarExecForbidden/);
    }
    const unlabel = await plane.kubectl(['label', 'pod', '-n', AGENTS_NS, name, 'airlock.dev/inject-']);
    assert.notEqual(unlabel.code, 0);
    assert.match(unlabel.stderr, /InjectLabelRemoved|inject/);
  });

  test('both operator pods deleted while the DROP TABLE is held: the approval still reaches it, and the Job completes', {
    timeout: 420_000,
  }, async () => {
    const pod = await jobPod(AGENTS_NS, 'orders-report');
    const request = await pendingRequestFor(AGENTS_NS, 'DROP TABLE order_archive_2019');
    const before = (await kubectlJson(['get', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR])).items.map((p: Obj) => p.metadata.name);
    const deleting = Date.now();
    await kubectl(['delete', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR, '--wait=true']);
    const deleted = Date.now();
    log(`both operator pods gone ${((deleted - deleting) / 1000).toFixed(1)}s after kubectl delete`);
    await kubectl(['rollout', 'status', '-n', RELEASE_NS, 'deployment/airlock-operator', '--timeout=180s']);
    const replaced = (await kubectlJson(['get', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR])).items as Obj[];
    assert.ok(replaced.every((p) => !before.includes(p.metadata.name)));
    log(`two new operator pods ready ${((Date.now() - deleted) / 1000).toFixed(1)}s after both were deleted`);
    const approved = await kubectlApprove([request.metadata.name, '-n', AGENTS_NS, '--reason', 'the archive is in cold storage']);
    assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
    const approvedAt = Date.now();
    await jobCompletes(AGENTS_NS, 'orders-report');
    log(`the Job completed ${((Date.now() - approvedAt) / 1000).toFixed(1)}s after kubectl approve`);
    assert.equal(await psqlAsOwner(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'order_archive_2019'"), '0');
    const logs = await kubectl(['logs', '-n', AGENTS_NS, pod.metadata.name, '-c', 'agent']);
    assert.match(logs, /DROP TABLE\nagent done/);
    // The sidecar exits by itself when the kubelet stops it after the agent: exit code 0, not the 137 of a kill after the grace period.
    const finished = await kubectlJson(['get', 'pod', '-n', AGENTS_NS, pod.metadata.name]);
    const agentState = finished.status.containerStatuses[0].state.terminated;
    const sidecarState = finished.status.initContainerStatuses[0].state.terminated;
    assert.equal(agentState?.exitCode, 0);
    assert.equal(sidecarState?.exitCode, 0, `the sidecar ended ${JSON.stringify(sidecarState)}`);
    log(
      `the sidecar exited ${((Date.parse(sidecarState.finishedAt) - Date.parse(agentState.finishedAt)) / 1000).toFixed(0)}s after the agent`,
    );
    const executed = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', AGENTS_NS, request.metadata.name]);
    assert.equal(executed.status.phase, 'Executed');
  });

  test("a finished Job's ApprovalRequests go with its pod", { timeout: 180_000 }, async () => {
    const owned = async () => {
      const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', AGENTS_NS]);
      return (list.items as Obj[]).length;
    };
    assert.ok((await owned()) > 0);
    // ttlSecondsAfterFinished deletes the Job, the garbage collector its pod, then the pod's requests.
    await until('the ApprovalRequests garbage-collected', async () => ((await owned()) === 0 ? true : undefined), 150_000);
  });

  test('ssh <target> in the agent container reaches a real sshd through the sidecar, trusting its host key by the files it wrote', {
    timeout: 300_000,
  }, async () => {
    // The host's `systemctl` for the held-restart test: a script on the sessions' PATH that logs
    // each run, so that "runs exactly once" can be counted and the machine's systemd is never asked.
    shimDir = mkdtempSync(join(tmpdir(), 'airlock-systemctl-shim-'));
    chmodSync(shimDir, 0o755);
    writeFileSync(join(shimDir, 'systemctl'), '#!/bin/sh\necho "systemctl $*" >> "$HOME/systemctl.log"\necho "restarted $2"\n', {
      mode: 0o755,
    });
    sshd = await SshServer.start({ log, settings: { SetEnv: `PATH=${shimDir}:/usr/local/bin:/usr/bin:/bin` } });
    const login = await generateSshKeyPair();
    sshd.users.deploy?.authorize(login.publicKey);
    const onBridge = await plane.node.exposeOnBridge(sshd.port, 'sshd');
    await apply('ssh-target', [
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'bastion-login', namespace: AGENTS_NS },
        stringData: { username: sshd.users.deploy?.name, privateKey: login.privateKey },
      },
      {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'Target',
        metadata: { name: 'orders-bastion', namespace: AGENTS_NS },
        spec: {
          type: 'ssh',
          description: 'The orders bastion host',
          localPort: 2222,
          ssh: { host: onBridge.host, port: onBridge.port, hostKeys: sshd.hostKeys },
          credentialsSecretRef: { name: 'bastion-login' },
        },
      },
      {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'ApprovalPolicy',
        metadata: { name: 'bastion-policy', namespace: AGENTS_NS },
        spec: {
          description: 'Read what the host is; nothing is removed.',
          identities: { names: [SAMPLE.identity] },
          targets: { names: ['orders-bastion'] },
          rules: [
            { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
            { name: 'who-and-where', match: { ssh: { programs: ['echo', 'uname', 'id'] } }, action: 'allow' },
          ],
          defaultAction: 'deny',
        },
      },
    ]);
    await kubectl([
      'patch',
      'agentidentities.airlock.dev',
      SAMPLE.identity,
      '-n',
      AGENTS_NS,
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { targets: [SAMPLE.target, 'orders-bastion'] } }),
    ]);
    await kubectl(['wait', '-n', AGENTS_NS, '--for=condition=Ready', '--timeout=60s', 'targets.airlock.dev/orders-bastion']);
    const sessionsBefore = (sshd.logTail(500).match(/Accepted publickey/g) ?? []).length;
    // Plain `ssh <target>`: the config the sidecar wrote is read through /etc/ssh/ssh_config.d,
    // the host key checked strictly against the known_hosts it wrote; no option on the command line.
    await apply('bastion-check', [
      agentJob(
        AGENTS_NS,
        'bastion-check',
        [
          'set -u',
          "ssh -o BatchMode=yes orders-bastion 'echo hello from $(uname -n) as $(id -un)'",
          // What git runs: the sidecar's ssh_config by -F.
          '$GIT_SSH_COMMAND -o BatchMode=yes orders-bastion echo through GIT_SSH_COMMAND',
          'rc=0',
          "ssh -o BatchMode=yes orders-bastion 'rm -rf /tmp/anything' || rc=$?",
          'echo "rm exit=$rc"',
        ].join('\n'),
        { 'airlock.dev/inject': 'true' },
      ),
    ]);
    await jobCompletes(AGENTS_NS, 'bastion-check');
    const pod = await jobPod(AGENTS_NS, 'bastion-check');
    const logs = await kubectl(['logs', '-n', AGENTS_NS, pod.metadata.name, '-c', 'agent']);
    assert.match(logs, new RegExp(`^hello from \\S+ as ${sshd.users.deploy?.name}$`, 'm'), logs);
    assert.match(logs, /^through GIT_SSH_COMMAND$/m);
    assert.match(logs, /airlock: denied/);
    assert.match(logs, /^rm exit=126$/m);
    // One login upstream per agent connection that ran an allowed command; the denied one never reached the host.
    const sessionsAfter = (sshd.logTail(500).match(/Accepted publickey/g) ?? []).length;
    assert.equal(sessionsAfter - sessionsBefore, 2, sshd.logTail(40));
  });

  test("ssh orders-bastion 'systemctl restart orders' is held until kubectl approve, runs exactly once, and its session replays with asciinema", {
    timeout: 300_000,
  }, async () => {
    const host = sshd;
    assert.ok(host, 'the ssh test before this one starts the host');
    const user = host.users.deploy;
    assert.ok(user);
    const restarts = join(user.home, 'systemctl.log');
    await apply('bastion-restarts', [
      {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'ApprovalPolicy',
        metadata: { name: 'bastion-policy', namespace: AGENTS_NS },
        spec: {
          description: 'Read what the host is; restarts need an approval; nothing is removed.',
          identities: { names: [SAMPLE.identity] },
          targets: { names: ['orders-bastion'] },
          rules: [
            { name: 'no-rm', match: { ssh: { programs: ['rm'] } }, action: 'deny' },
            { name: 'who-and-where', match: { ssh: { programs: ['echo', 'uname', 'id'] } }, action: 'allow' },
            {
              name: 'restarts',
              match: { ssh: { programs: ['systemctl'], arguments: ['restart *'] } },
              action: 'requireApproval',
              approval: { approvers: { groups: ['airlock-reviewers'] } },
            },
          ],
          defaultAction: 'deny',
        },
      },
    ]);
    const job = agentJob(
      AGENTS_NS,
      'orders-restart',
      'rc=0\nssh -o BatchMode=yes orders-bastion \'systemctl restart orders\' || rc=$?\necho "restart exit=$rc"',
      { 'airlock.dev/inject': 'true' },
    );
    // Kept after it finished: the replay below reads the ApprovalRequest, which goes with the pod.
    job.spec.ttlSecondsAfterFinished = 600;
    await apply('orders-restart', [job]);
    const request = await pendingRequestFor(AGENTS_NS, 'systemctl restart orders');
    assert.equal(request.spec.operation.kind, 'exec');
    assert.match(request.spec.operation.summary, /^ssh (\S+@)?orders-bastion: systemctl restart orders$/);
    assert.equal(existsSync(restarts), false, 'the held restart ran before it was approved');
    const approved = await kubectlApprove([request.metadata.name, '-n', AGENTS_NS, '--reason', 'orders is stuck']);
    assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
    await jobCompletes(AGENTS_NS, 'orders-restart');
    const pod = await jobPod(AGENTS_NS, 'orders-restart');
    const logs = await kubectl(['logs', '-n', AGENTS_NS, pod.metadata.name, '-c', 'agent']);
    assert.match(logs, /^restarted orders$/m, logs);
    assert.match(logs, /^restart exit=0$/m, logs);
    assert.equal(readFileSync(restarts, 'utf8'), 'systemctl restart orders\n', 'the approved command ran exactly once');

    // The session, from the operator's recordings volume, as a reviewer replays it.
    const cast = join(plane.dir, 'orders-restart.cast');
    await until(
      'the session recorded and replayable',
      async () => {
        rmSync(cast, { force: true });
        const replayed = await kubectlApprove([
          'replay',
          request.metadata.name,
          '-n',
          AGENTS_NS,
          '--recordings',
          recordingsVolume,
          '--output',
          cast,
        ]);
        return replayed.code === 0 && readFileSync(cast, 'utf8').includes('restarted orders') ? true : undefined;
      },
      60_000,
    );
    const header = JSON.parse(readFileSync(cast, 'utf8').split('\n')[0] ?? '{}');
    assert.equal(header.version, 2);
    // asciinema reads its keyboard from /dev/tty: under script(1) it has one.
    const played = spawnSync('script', ['-qec', `asciinema cat ${cast}`, '/dev/null'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(played.status, 0, `${played.stdout}${played.stderr}`);
    assert.match(played.stdout, /restarted orders/);
  });

  /** bash -c `script` in the ops agent's container, as its own tools run there (`kubectl exec` as admin is only the way in). */
  const inOpsAgent = (script: string) => plane.kubectl(['exec', '-n', OPS_NS, OPS_AGENT, '-c', 'agent', '--', '/bin/bash', '-c', script]);
  /** What the ops agent's sidecar and the operator said, for a failed assertion. */
  const opsSidecarLog = async () => {
    const sidecar = await plane.kubectl(['logs', '-n', OPS_NS, OPS_AGENT, '-c', 'airlock-sidecar', '--tail=40']);
    return `sidecar:\n${sidecar.stdout}${sidecar.stderr}\noperator:\n${await operatorLog()}`;
  };
  const pendingOpsRequest = (summaryPrefix: string) =>
    until(
      `a Pending ApprovalRequest for ${summaryPrefix}`,
      async () => {
        const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', OPS_NS]);
        return list.items.find((r: Obj) => r.spec.operation.summary.startsWith(summaryPrefix) && r.status?.phase === 'Pending') as
          | Obj
          | undefined;
      },
      120_000,
    );
  /** A pod of the agent image that only sleeps, ended at once when deleted. */
  const sleeperPod = (namespace: string, name: string, extra: Obj = {}): Obj => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: name } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: images.agent.reference, imagePullPolicy: 'Never', command: ['sleep', 'infinity'] }],
      ...extra,
    },
  });

  test('kubernetes Target: kubectl in a running agent container reads through its sidecar as the upstream service account, holding no token', {
    timeout: 300_000,
  }, async () => {
    await apply('cluster-api-target', [
      // The reviewers' binding of the sample, so that these tests also run on their own.
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'airlock-reviewers' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'airlock-reviewer' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'airlock-reviewers' }],
      },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPS_NS, labels: { 'airlock.dev/injection': 'enabled' } } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: PROD_NS } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: OPS_AGENT, namespace: OPS_NS } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: UPSTREAM_SA, namespace: OPS_NS } },
      // What the upstream identity may do at all; airlock's policy narrows it.
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: UPSTREAM_SA },
        rules: [
          {
            apiGroups: ['', 'apps', 'batch'],
            resources: [
              'pods',
              'pods/log',
              'pods/exec',
              'services',
              'configmaps',
              'secrets',
              'deployments',
              'replicasets',
              'jobs',
              'namespaces',
              'events',
            ],
            verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'],
          },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: UPSTREAM_SA },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: UPSTREAM_SA },
        subjects: [{ kind: 'ServiceAccount', name: UPSTREAM_SA, namespace: OPS_NS }],
      },
      {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'Target',
        metadata: { name: CLUSTER_TARGET, namespace: OPS_NS },
        spec: {
          type: 'kubernetes',
          description: "This cluster's API, as the cluster-agent service account.",
          localPort: CLUSTER_LOCAL_PORT,
          kubernetes: { inCluster: true, serviceAccountName: UPSTREAM_SA },
        },
      },
      {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'AgentIdentity',
        metadata: { name: OPS_AGENT, namespace: OPS_NS },
        spec: { description: 'The cluster operations agent', serviceAccountName: OPS_AGENT, targets: [CLUSTER_TARGET] },
      },
      {
        apiVersion: 'airlock.dev/v1alpha1',
        kind: 'ApprovalPolicy',
        metadata: { name: 'cluster-api-access', namespace: OPS_NS },
        spec: {
          description: 'Reads are free; Secrets in prod are not; deletes and exec in prod need a reviewer.',
          identities: { names: [OPS_AGENT] },
          targets: { names: [CLUSTER_TARGET] },
          rules: [
            {
              name: 'no-prod-secrets',
              match: { kubernetes: { apiGroups: [''], resources: ['secrets'], namespaces: ['prod-*'] } },
              action: 'deny',
            },
            {
              name: 'prod-deletes',
              match: { kubernetes: { verbs: ['delete', 'deletecollection'], namespaces: ['prod-*'] } },
              action: 'requireApproval',
            },
            { name: 'prod-exec', match: { kubernetes: { resources: ['pods/exec'], namespaces: ['prod-*'] } }, action: 'requireApproval' },
            {
              name: 'self-checks',
              description: 'kubectl auth whoami asks the API server about the caller itself.',
              match: {
                kubernetes: {
                  verbs: ['create'],
                  apiGroups: ['authorization.k8s.io', 'authentication.k8s.io'],
                  resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews'],
                  namespaces: [''],
                  names: ['*'],
                },
              },
              action: 'allow',
            },
            { name: 'reads', match: { kubernetes: { verbs: ['get', 'list', 'watch'] } }, action: 'allow' },
          ],
          defaultAction: 'deny',
          approval: { approvers: { groups: ['airlock-reviewers'] }, requiredApprovals: 1, ttl: '10m' },
        },
      },
      sleeperPod(PROD_NS, 'orders-0'),
      sleeperPod(PROD_NS, 'scratch-0'),
    ]);
    await kubectl(['wait', '-n', OPS_NS, '--for=condition=Ready', '--timeout=60s', `targets.airlock.dev/${CLUSTER_TARGET}`]);
    await apply('ops-agent', [
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: OPS_AGENT, namespace: OPS_NS, labels: { 'airlock.dev/inject': 'true', app: OPS_AGENT } },
        spec: { ...agentPodSpec(images, ['sleep', 'infinity'], 'Never'), serviceAccountName: OPS_AGENT, terminationGracePeriodSeconds: 1 },
      },
    ]);
    for (const [namespace, pod] of [
      [PROD_NS, 'orders-0'],
      [PROD_NS, 'scratch-0'],
      [OPS_NS, OPS_AGENT],
    ] as const) {
      const ready = await plane.kubectl(['wait', '-n', namespace, '--for=condition=Ready', '--timeout=180s', `pod/${pod}`]);
      assert.equal(ready.code, 0, `pod ${namespace}/${pod} not ready: ${ready.stderr}\n${await opsSidecarLog()}`);
    }
    const agentPod = await kubectlJson(['get', 'pod', '-n', OPS_NS, OPS_AGENT]);
    assert.equal(agentPod.spec.initContainers?.[0]?.name, 'airlock-sidecar', 'the agent pod got the sidecar');

    const pods = await inOpsAgent(`kubectl get pods -n ${PROD_NS}`);
    assert.equal(pods.code, 0, `${pods.stderr}\n${await opsSidecarLog()}`);
    assert.match(pods.stdout, /^orders-0\s+1\/1\s+Running\s/m, 'a pod that really runs on the node, listed through the sidecar');
    const kubeconfig = await inOpsAgent('echo "KUBECONFIG=$KUBECONFIG"; cat "$KUBECONFIG"');
    assert.equal(kubeconfig.code, 0, kubeconfig.stderr);
    assert.match(kubeconfig.stdout, /^KUBECONFIG=\/var\/run\/airlock\/kubeconfig$/m);
    assert.ok(kubeconfig.stdout.includes(`http://127.0.0.1:${CLUSTER_LOCAL_PORT}`), kubeconfig.stdout);
    assert.doesNotMatch(kubeconfig.stdout, /token|client-key|password/i, 'the kubeconfig holds no credential');
    const mounted = await inOpsAgent('ls /var/run/secrets/kubernetes.io/serviceaccount 2>&1; echo "exit=$?"');
    assert.match(mounted.stdout, /No such file or directory/);
    assert.match(mounted.stdout, /^exit=2$/m);
    const whoami = await inOpsAgent('kubectl auth whoami -o json');
    assert.equal(whoami.code, 0, `${whoami.stderr}\n${await opsSidecarLog()}`);
    assert.equal(
      JSON.parse(whoami.stdout).status.userInfo.username,
      `system:serviceaccount:${OPS_NS}:${UPSTREAM_SA}`,
      'the agent borrows the upstream service account',
    );
    const secrets = await inOpsAgent(`kubectl get secrets -n ${PROD_NS}`);
    assert.notEqual(secrets.code, 0);
    assert.match(secrets.stderr, /Error from server \(Forbidden\): airlock: .*no-prod-secrets/);
  });

  test('kubernetes Target: kubectl exec into a prod pod from the agent container is held until kubectl approve, then runs there once', {
    timeout: 300_000,
  }, async () => {
    const ranLog = '/tmp/airlock-exec.log';
    const ranInOrders = () => plane.kubectl(['exec', '-n', PROD_NS, 'orders-0', '--', 'cat', ranLog]);
    // kubectl exec upgrades the connection (WebSocket, SPDY as a fallback): the sidecar holds the upgrade, then tunnels it.
    const executing = inOpsAgent(`kubectl exec orders-0 -n ${PROD_NS} -- sh -c 'echo airlock-exec-ok | tee -a ${ranLog}; id -u'`);
    const request = await pendingOpsRequest(`exec pods/orders-0 -n ${PROD_NS} -- sh -c`);
    assert.equal(request.spec.target.type, 'kubernetes');
    assert.match(request.spec.operation.text, new RegExp(`/api/v1/namespaces/${PROD_NS}/pods/orders-0/exec\\?.*command=sh&command=-c`));
    assert.match((await ranInOrders()).stderr, /No such file or directory/, 'the held command ran before it was approved');
    const approved = await kubectlApprove([request.metadata.name, '-n', OPS_NS, '--reason', 'look at the orders pod']);
    assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
    const result = await executing;
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}\n${await opsSidecarLog()}`);
    assert.match(result.stdout, /^airlock-exec-ok\n\d+$/m, result.stdout);
    const ran = await ranInOrders();
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stdout, 'airlock-exec-ok\n', 'the approved command ran in the prod pod exactly once');
    const requests = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', OPS_NS]);
    assert.equal(
      requests.items.filter((r: Obj) => r.spec.operation.summary === request.spec.operation.summary).length,
      1,
      'one approval for the exec',
    );
    await until('the exec request Executed', async () => {
      const current = await kubectlJson(['get', 'approvalrequests.airlock.dev', request.metadata.name, '-n', OPS_NS]);
      return current.status?.phase === 'Executed' ? true : undefined;
    });
  });

  test('kubernetes Target: kubectl delete pod in prod from the agent container is held with its dry-run evidence, approved, and the pod is deleted', {
    timeout: 300_000,
  }, async () => {
    const deleting = inOpsAgent(`kubectl delete pod scratch-0 -n ${PROD_NS} --wait=false`);
    const request = await pendingOpsRequest(`delete pods scratch-0 -n ${PROD_NS}`);
    const evidence = request.spec.evidence;
    assert.ok(evidence, `the request carries evidence: ${JSON.stringify(request.spec)}`);
    assert.equal(evidence.source, 'DryRun');
    assert.match(evidence.text, /scratch-0/);
    const held = await kubectlJson(['get', 'pod', '-n', PROD_NS, 'scratch-0']);
    assert.equal(held.metadata.deletionTimestamp, undefined, 'only the dry run reached the API server before the approval');
    const shown = await kubectlApprove(['show', request.metadata.name, '-n', OPS_NS]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /scratch-0/);
    const approved = await kubectlApprove([request.metadata.name, '-n', OPS_NS]);
    assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
    const result = await deleting;
    assert.equal(result.code, 0, `${result.stdout}${result.stderr}\n${await opsSidecarLog()}`);
    assert.match(result.stdout, /pod "scratch-0" deleted/);
    assert.match(result.stderr, new RegExp(`Warning: airlock: held for approval as ApprovalRequest ${request.metadata.name}`));
    await kubectl(['wait', '-n', PROD_NS, '--for=delete', 'pod/scratch-0', '--timeout=60s']);
    assert.equal((await kubectlJson(['get', 'pod', '-n', PROD_NS, 'orders-0'])).status.phase, 'Running', 'only the approved pod went');
  });

  test('a Job in a CI namespace (injection for every pod) gets the sidecar without a label and completes', {
    timeout: 300_000,
  }, async () => {
    await apply(
      'ci-sample',
      sampleManifests({
        namespace: CI_NS,
        postgres: { ...pgOnBridge, database: pg.database, user: 'scram_user', password: pg.users.scram_user.password },
        localPort: LOCAL_PORT,
      }),
    );
    await kubectl(['label', 'namespace', CI_NS, 'airlock.dev/injection=all', '--overwrite']);
    await kubectl(['wait', '-n', CI_NS, '--for=condition=Ready', '--timeout=60s', `targets.airlock.dev/${SAMPLE.target}`]);
    await apply('ci-job', [
      agentJob(CI_NS, 'nightly-report', "set -eu\npsql -X -A -t -c 'SELECT count(*) FROM customers'\necho ci done", {}),
    ]);
    await jobCompletes(CI_NS, 'nightly-report');
    const pod = await jobPod(CI_NS, 'nightly-report');
    assert.equal(pod.metadata.labels['airlock.dev/inject'], 'true', 'the webhook labeled the pod');
    assert.equal(pod.spec.initContainers[0].name, 'airlock-sidecar');
    assert.match(await kubectl(['logs', '-n', CI_NS, pod.metadata.name, '-c', 'agent']), /^3\nci done$/m);
  });

  test('helm upgrade with a changed value rolls the operator pods; a held statement and the recordings survive', {
    timeout: 420_000,
  }, async () => {
    await apply('refunds-cleanup', [
      agentJob(AGENTS_NS, 'refunds-cleanup', "set -eu\npsql -X -c 'DROP TABLE refunds'\necho cleanup done", {
        'airlock.dev/inject': 'true',
      }),
    ]);
    const request = await pendingRequestFor(AGENTS_NS, 'DROP TABLE refunds');
    const recorded = recordingFiles();
    assert.ok(recorded.length > 0, 'sessions are recorded on the volume');
    const before = (await kubectlJson(['get', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR])).items.map((p: Obj) => p.metadata.name);
    const started = Date.now();
    const upgraded = await helm([
      'upgrade',
      'airlock',
      CHART_DIR,
      '-n',
      RELEASE_NS,
      '--reuse-values',
      '--set',
      'operator.logLevel=debug',
      '--wait',
      '--timeout=300s',
    ]);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    log(`helm upgrade --wait (a rolling update of both operator pods) took ${((Date.now() - started) / 1000).toFixed(1)}s`);
    // --wait returns once the new pods are ready; the last old one may still be on its way out.
    const after = await until('the old operator pods gone', async () => {
      const pods = (await kubectlJson(['get', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR])).items as Obj[];
      return pods.length === 2 ? pods : undefined;
    });
    for (const pod of after) {
      assert.ok(!before.includes(pod.metadata.name), `${pod.metadata.name} is a new pod`);
      assert.ok(pod.spec.containers[0].args.includes('--log-level=debug'));
    }
    const still = await kubectlJson(['get', 'approvalrequests.airlock.dev', request.metadata.name, '-n', AGENTS_NS]);
    assert.equal(still.status.phase, 'Pending', 'the pending request outlived the roll');
    const approved = await kubectlApprove([request.metadata.name, '-n', AGENTS_NS]);
    assert.equal(approved.code, 0, `${approved.stdout}${approved.stderr}`);
    await jobCompletes(AGENTS_NS, 'refunds-cleanup');
    assert.equal(await psqlAsOwner(pg, "SELECT count(*) FROM pg_tables WHERE tablename = 'refunds'"), '0');
    const kept = recordingFiles();
    for (const file of recorded) assert.ok(kept.includes(file), `${file} is still on the volume`);
  });

  test('helm uninstall runs its pre-delete hook Job on the node first; afterwards pods are created without a sidecar, the CRDs and objects stay', {
    timeout: 240_000,
  }, async () => {
    const uninstalled = await helm(['uninstall', 'airlock', '-n', RELEASE_NS, '--wait', '--timeout=180s', '--debug']);
    assert.equal(uninstalled.code, 0, uninstalled.stderr);
    // helm waits for the hook Job to complete (its pod ran on the node) before it deletes anything.
    assert.match(uninstalled.stderr, /Watching for changes to Job airlock-remove-webhooks/);
    for (const kind of ['mutatingwebhookconfiguration', 'validatingwebhookconfiguration']) {
      const gone = await plane.kubectl(['get', kind, 'airlock', '-o', 'name']);
      assert.notEqual(gone.code, 0, `${kind} outlived helm uninstall`);
    }
    const left = await plane.kubectl(['get', 'pods', '-n', RELEASE_NS, '-l', OPERATOR_SELECTOR, '-o', 'name']);
    assert.equal(left.stdout.trim(), '', 'no operator pod is left');
    // No operator, no webhook: a labeled agent Job in the opted-in namespace runs, without a sidecar.
    await apply('after-uninstall', [agentJob(AGENTS_NS, 'after-uninstall', 'echo no sidecar', { 'airlock.dev/inject': 'true' })]);
    await jobCompletes(AGENTS_NS, 'after-uninstall');
    const pod = await jobPod(AGENTS_NS, 'after-uninstall');
    assert.equal(pod.spec.initContainers, undefined);
    const crds = await plane.kubectl(['get', 'crd', '-l', 'app.kubernetes.io/part-of=airlock', '-o', 'name']);
    assert.equal(crds.stdout.trim().split('\n').length, 4, crds.stdout);
    const targets = await plane.kubectl(['get', 'targets.airlock.dev', '-n', AGENTS_NS, '-o', 'name']);
    assert.deepEqual(
      targets.stdout.trim().split('\n'),
      ['target.airlock.dev/orders-bastion', `target.airlock.dev/${SAMPLE.target}`],
      'the airlock objects stay with their CRDs',
    );
  });
});
