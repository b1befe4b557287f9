/**
 * The broker's integration fixture: a real control plane with airlock installed (the operator's
 * service account, RBAC and admission policy), a real PostgreSQL, the cluster objects of one agent
 * (namespace, service account, Secrets, Targets, AgentIdentity, ApprovalPolicy, reviewer binding)
 * and of a second one that reaches an SSH host (its own service account and AgentIdentity, an ssh
 * Target with a pinned host key, a Secret with an OpenSSH private key made by ssh-keygen),
 * and the broker started in-process as the operator's service account. Pods are created in the API
 * server (there is no kubelet) and get TokenRequest tokens bound to them, as a sidecar would.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_ENABLED, LABELS } from '@airlock/contracts/install';
import type { AgentIdentity, ApprovalPolicy, ApprovalRequest, Target } from '@airlock/crds';
import { createLogger } from '@airlock/runtime';
import {
  type CertificateAuthority,
  ControlPlane,
  createCertificateAuthority,
  freePort,
  installAirlock,
  installCrds,
  issueServingCertificate,
  PostgresServer,
  eventually as sharedEventually,
} from '@airlock/testkit';
import pg from 'pg';
import { Registry } from 'prom-client';
import { InformerCatalog } from '../../catalog.ts';
import { DelegationKeys } from '../../identity/delegation/delegation-key.ts';
import { collectionPath, KubeClient, type KubeObject } from '../../kube/client.ts';
import { Informer } from '../../kube/informer.ts';
import { KINDS } from '../../kube/kinds.ts';
import { FileIngestStore } from '../../recordings/file-ingest-store.ts';
import type { PodObject } from '../pod-authenticator.ts';
import { type RunningBroker, startBroker } from '../server.ts';

export const NS = 'agents';
export const SA = 'ci-migrations';
export const IDENTITY = 'ci-migrations';
export const MASKING_KEY = 'a-test-masking-key-of-32-bytes!!';
/** The agent that reaches the SSH host, and the host: a Target only (no sshd is started here). */
export const SSH_SA = 'build-bot';
export const SSH_IDENTITY = 'build-bot';
export const SSH_TARGET = 'build-host';
export const SSH_USER = 'deploy';

export interface TestPod {
  readonly name: string;
  readonly uid: string;
  /** A file with a token for the pod's service account, audience airlock, bound to the pod. */
  readonly tokenFile: string;
}

export interface BrokerCluster {
  readonly plane: ControlPlane;
  readonly postgres: PostgresServer;
  /** Acts as the airlock operator's service account. */
  readonly operator: KubeClient;
  readonly admin: KubeClient;
  readonly catalog: InformerCatalog;
  readonly pods: Informer<PodObject>;
  readonly broker: RunningBroker;
  /** Stops the broker and starts a new one on the same port, as an operator rollout would. */
  restartBroker(): Promise<void>;
  readonly brokerUrl: string;
  readonly ca: CertificateAuthority;
  /** The running broker's metrics. */
  readonly registry: Registry;
  readonly recordingsDir: string;
  readonly dir: string;
  /** The Target's localPort: where a sidecar started from the pod spec listens. */
  readonly localPort: number;
  /** The private key in the SSH Target's Secret, as ssh-keygen wrote it. */
  readonly sshKey: string;
  /** A pod of the service account (default SA, the PostgreSQL agent's). */
  createPod(name: string, serviceAccount?: string): Promise<TestPod>;
  /** A TokenRequest token for the pod's service account (default SA), bound to the pod, with these audiences. */
  token(pod: { name: string; uid: string }, audiences?: string[], serviceAccount?: string): Promise<string>;
  query(sql: string): Promise<pg.QueryResult>;
  close(): Promise<void>;
}

const logger = createLogger({ level: process.env.AIRLOCK_TEST_LOG === '1' ? 'debug' : 'silent' });

export async function startBrokerCluster(): Promise<BrokerCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-broker-'));
  const closers: (() => Promise<unknown> | unknown)[] = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.reverse()) await Promise.resolve(closer()).catch(() => undefined);
  };
  try {
    const [plane, postgres] = await Promise.all([ControlPlane.start(), PostgresServer.start()]);
    closers.push(
      () => plane.stop(),
      () => postgres.stop(),
    );
    await installCrds(plane);
    const installed = await installAirlock(plane);
    const admin = new KubeClient(plane.kubeConfig('admin'));
    const operator = new KubeClient(installed.operator.kubeConfig());
    const localPort = await freePort();
    const ssh = sshKeys(dir);
    await createObjects(admin, postgres, localPort, ssh);

    const catalog = new InformerCatalog(operator);
    closers.push(() => catalog.stop());
    const pods = new Informer<PodObject>(operator, KINDS.pod, { labelSelector: `${LABELS.podInject}=${LABEL_ENABLED.pod}` });
    closers.push(() => pods.stop());
    await Promise.all([catalog.start(), pods.start()]);

    const ca = await createCertificateAuthority('airlock-broker-test-ca');
    const serving = await issueServingCertificate(ca, 'airlock-broker', { dns: ['localhost'], ips: ['127.0.0.1'] });
    const recordingsDir = join(dir, 'recordings');
    const registry = new Registry();
    const recordings = new FileIngestStore(recordingsDir, { fsync: 'never' });
    const start = (port: number, registry: Registry) =>
      startBroker({
        client: operator,
        catalog,
        pods,
        tls: { current: () => serving, onChange: () => undefined },
        host: '127.0.0.1',
        port,
        recordings,
        registry,
        logger,
        delegationKeys: new DelegationKeys(operator, installed.namespace),
      });
    let current = registry;
    let broker = await start(0, current);
    const port = broker.port;
    closers.push(() => broker.close());

    const token = async (pod: { name: string; uid: string }, audiences = ['airlock'], serviceAccount = SA): Promise<string> => {
      const response = await admin.create<KubeObject & { status?: { token?: string } }>(
        `/api/v1/namespaces/${NS}/serviceaccounts/${serviceAccount}/token`,
        {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences, expirationSeconds: 3600, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.name, uid: pod.uid } },
        } as KubeObject,
      );
      if (!response.status?.token) throw new Error(`no token for pod ${pod.name}`);
      return response.status.token;
    };
    const createPod = async (name: string, serviceAccount = SA): Promise<TestPod> => {
      const pod = await admin.create<PodObject>(collectionPath(KINDS.pod, NS), {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: NS, labels: { [LABELS.podInject]: LABEL_ENABLED.pod } },
        spec: {
          serviceAccountName: serviceAccount,
          automountServiceAccountToken: false,
          containers: [{ name: 'agent', image: 'registry.invalid/agent:1' }],
        },
      } as PodObject);
      const uid = pod.metadata?.uid ?? '';
      const tokenFile = join(dir, `${name}.token`);
      writeFileSync(tokenFile, await token({ name, uid }, ['airlock'], serviceAccount), { mode: 0o600 });
      return { name, uid, tokenFile };
    };
    const query = async (sql: string): Promise<pg.QueryResult> => {
      const client = new pg.Client({ connectionString: postgres.connectionString('scram_user') });
      await client.connect();
      try {
        return await client.query(sql);
      } finally {
        await client.end();
      }
    };
    return {
      plane,
      postgres,
      operator,
      admin,
      catalog,
      pods,
      get broker() {
        return broker;
      },
      restartBroker: async () => {
        await broker.close();
        current = new Registry();
        broker = await start(port, current);
      },
      brokerUrl: `https://127.0.0.1:${port}`,
      ca,
      get registry() {
        return current;
      },
      recordingsDir,
      dir,
      localPort,
      sshKey: ssh.privateKey,
      createPod,
      token,
      query,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

interface SshKeys {
  /** The client's key, OpenSSH format, unencrypted. */
  readonly privateKey: string;
  /** A host key line as spec.ssh.hostKeys takes it. */
  readonly hostKey: string;
}

/** A client key and a host key from ssh-keygen (OpenSSH's own files, not a hand-made stand-in). */
function sshKeys(dir: string): SshKeys {
  const keygen = (name: string) => {
    const file = join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file], { stdio: 'ignore' });
    return { privateKey: readFileSync(file, 'utf8'), publicKey: readFileSync(`${file}.pub`, 'utf8').trim() };
  };
  return { privateKey: keygen('client-key').privateKey, hostKey: keygen('host-key').publicKey };
}

async function createObjects(admin: KubeClient, postgres: PostgresServer, localPort: number, ssh: SshKeys): Promise<void> {
  const create = (path: string, object: object) => admin.create(path, object as KubeObject);
  await create(collectionPath(KINDS.namespace), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  await create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: SA, namespace: NS },
  });
  const user = postgres.users.scram_user;
  for (const name of ['orders-db-creds', 'billing-db-creds']) {
    await create(collectionPath(KINDS.secret, NS), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: NS },
      stringData: { username: user.user, password: user.password },
    });
  }
  await create(collectionPath(KINDS.secret, NS), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'masking-key', namespace: NS },
    stringData: { key: MASKING_KEY },
  });
  const target = (name: string, port: number): Target => ({
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name, namespace: NS },
    spec: {
      type: 'postgres',
      localPort: port,
      postgres: { host: postgres.host, port: postgres.port, database: postgres.database, tls: { mode: 'disable' } },
      credentialsSecretRef: { name: `${name}-creds` },
      recording: { onStoreFailure: 'Block' },
    },
  });
  await create(collectionPath(KINDS.target, NS), target('orders-db', localPort));
  await create(collectionPath(KINDS.target, NS), target('billing-db', localPort + 1 > 65535 ? localPort - 1 : localPort + 1));
  const identity: AgentIdentity = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name: IDENTITY, namespace: NS },
    spec: { serviceAccountName: SA, groups: ['ci'], targets: ['orders-db'] },
  };
  await create(collectionPath(KINDS.agentIdentity, NS), identity);
  const policy: ApprovalPolicy = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'ApprovalPolicy',
    metadata: { name: 'orders', namespace: NS },
    spec: {
      rules: [
        { name: 'drop-table', match: { sql: { commands: ['DROP TABLE'] } }, action: 'requireApproval' },
        { name: 'reads', match: { sql: { statementKinds: ['read'] } }, action: 'allow' },
      ],
      defaultAction: 'deny',
      approval: { approvers: { groups: ['db-owners'] }, requiredApprovals: 1, ttl: '10m' },
      masking: {
        hashKeySecretRef: { name: 'masking-key', key: 'key' },
        rules: [{ name: 'emails', columns: ['email'], strategy: 'hash' }],
      },
    },
  };
  await create(collectionPath(KINDS.approvalPolicy, NS), policy);
  await createSshAgent(create, localPort, ssh);
  // Reviewers of this namespace, as an admin grants them.
  await create(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'airlock-reviewers', namespace: NS },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'airlock-reviewer' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'airlock-reviewers' }],
  });
}

/** The second agent: its service account, an ssh Target with its Secret, and the AgentIdentity that reaches only it. */
async function createSshAgent(create: (path: string, object: object) => Promise<unknown>, localPort: number, ssh: SshKeys): Promise<void> {
  await create(`/api/v1/namespaces/${NS}/serviceaccounts`, {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: SSH_SA, namespace: NS },
  });
  await create(collectionPath(KINDS.secret, NS), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${SSH_TARGET}-creds`, namespace: NS },
    stringData: { username: SSH_USER, privateKey: ssh.privateKey },
  });
  const target: Target = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'Target',
    metadata: { name: SSH_TARGET, namespace: NS },
    spec: {
      type: 'ssh',
      localPort: localPort > 60000 ? localPort - 2 : localPort + 2,
      ssh: { host: '127.0.0.1', port: 22, hostKeys: [ssh.hostKey] },
      credentialsSecretRef: { name: `${SSH_TARGET}-creds` },
    },
  };
  await create(collectionPath(KINDS.target, NS), target);
  const identity: AgentIdentity = {
    apiVersion: 'airlock.dev/v1alpha1',
    kind: 'AgentIdentity',
    metadata: { name: SSH_IDENTITY, namespace: NS },
    spec: { serviceAccountName: SSH_SA, groups: ['builders'], targets: [SSH_TARGET] },
  };
  await create(collectionPath(KINDS.agentIdentity, NS), identity);
}

/** Resolves with the first request (now or later) the predicate accepts. */
export function waitForRequest(
  catalog: InformerCatalog,
  predicate: (request: ApprovalRequest) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<ApprovalRequest> {
  return new Promise((resolve, reject) => {
    let unsubscribe: (() => void) | undefined;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      unsubscribe?.();
      reject(new Error(`no ApprovalRequest ${what} within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    unsubscribe = catalog.requestInformer.onChange((event, request) => {
      if (done || event === 'delete' || !predicate(request)) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => unsubscribe?.());
      resolve(request);
    });
    if (done) unsubscribe();
  });
}

/** The shared `eventually`, with this file's argument order and a quicker poll (files on disk, stream lines). */
export function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  return sharedEventually(what, probe, { timeoutMs, intervalMs: 100 });
}
