/**
 * A CI job whose identity is its OIDC token, end to end: a real control plane with airlock
 * installed, the operator as a process, a real OIDC provider (oidc-provider over HTTPS on
 * loopback) issuing GitHub-Actions-shaped tokens, real PostgreSQL, a CI job pod mutated by the
 * webhook and its sidecar started from the injected spec. The job sends its token as the
 * PostgreSQL password (psql with PGPASSWORD): its statements are decided and recorded under the
 * identity the token maps to ("only main of acme/orders"), the person who pushed is the request's
 * onBehalfOf, and that person's own approval is refused by the API server's admission policy.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { bundlePlugin } from '@airlock/kubectl-approve/bundle';
import {
  type AirlockInstallation,
  AirlockProcesses,
  agentPod,
  ControlPlane,
  eventually,
  freePort,
  installAirlock,
  installCrds,
  installWebhooks,
  OidcProvider,
  PostgresServer,
  type PsqlResult,
  podBoundToken,
  psqlAsAgent,
  SAMPLE,
  sampleManifests,
  seedSample,
} from '@airlock/testkit';
import { reviewAs } from './support/review-as.ts';

const log = (line: string) => process.stderr.write(`# ${line}\n`);
const NS = 'ci';
const OPERATOR_NS = 'airlock-system';
const RUNNER_SA = 'ci-runner';
const IDENTITY = 'orders-deploy-main';

// biome-ignore lint/suspicious/noExplicitAny: raw API objects
type Obj = Record<string, any>;

let plane: ControlPlane;
let install: AirlockInstallation;
let pg: PostgresServer;
let provider: OidcProvider;
let procs: AirlockProcesses;
let operator: Awaited<ReturnType<AirlockProcesses['startOperator']>>;
let recordings: string;
let binDir: string;
let job: Obj;
let delegationPort: number;

/** The claims GitHub Actions puts in a job's token, for a push by `actor` to `ref`. */
function githubClaims(ref: string, actor = 'alice@example.com'): Record<string, unknown> {
  return {
    sub: `repo:acme/orders:ref:${ref}`,
    repository: 'acme/orders',
    repository_owner: 'acme',
    ref,
    job_workflow_ref: `acme/orders/.github/workflows/deploy.yml@${ref}`,
    event_name: 'push',
    actor,
  };
}

function ciManifests(): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${RUNNER_SA}
  namespace: ${NS}
---
apiVersion: airlock.dev/v1alpha1
kind: AgentIdentity
metadata:
  name: ${IDENTITY}
  namespace: ${NS}
spec:
  description: Deploy jobs of acme/orders, main branch only
  serviceAccountName: ${RUNNER_SA}
  oidc:
    issuer: ${provider.issuer}
    audiences: [airlock]
    claims:
      - { claim: repository, equals: acme/orders }
      - { claim: ref, equals: refs/heads/main }
      - { claim: job_workflow_ref, pattern: "acme/orders/.github/workflows/*.yml@refs/heads/main" }
    onBehalfOfClaim: actor
    required: true
    caBundle: ${JSON.stringify(provider.caPem)}
  delegation:
    maxDepth: 2
    maxTTL: 10m
  groups: [ci]
  targets: [${SAMPLE.target}]
---
apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata:
  name: ci-deploys
  namespace: ${NS}
spec:
  identities:
    names: [${IDENTITY}]
  targets:
    names: [${SAMPLE.target}]
  rules:
    - name: reads
      match: { sql: { statementKinds: [read, transaction, session] } }
      action: allow
    - name: writes-need-an-owner
      match: { sql: { statementKinds: [write] } }
      action: requireApproval
      approval:
        approvers: { groups: [db-owners] }
        requiredApprovals: 1
        ttl: 5m
  defaultAction: deny
---
apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata:
  name: deep-sub-agents-ask
  namespace: ${NS}
spec:
  delegationDepth: { min: 2 }
  rules: []
  defaultAction: requireApproval
  approval:
    approvers: { groups: [db-owners] }
    requiredApprovals: 1
    ttl: 5m
`;
}

before(async () => {
  plane = await ControlPlane.start({ log });
  pg = await PostgresServer.start();
  provider = await OidcProvider.start();
  procs = new AirlockProcesses();
  await installCrds(plane);
  install = await installAirlock(plane, { namespace: OPERATOR_NS });
  await seedSample(pg);
  const ports = { webhook: await freePort(), broker: await freePort(), health: await freePort() };
  await installWebhooks(plane, { url: `https://127.0.0.1:${ports.webhook}`, operatorNamespace: OPERATOR_NS });
  recordings = mkdtempSync(join(procs.dir, 'recordings-'));
  operator = await procs.startOperator({
    kubeconfigPath: install.operator.kubeconfigPath,
    namespace: OPERATOR_NS,
    recordingsDirectory: recordings,
    ports,
  });
  const manifest = join(procs.dir, 'ci.yaml');
  writeFileSync(
    manifest,
    `${sampleManifests({
      namespace: NS,
      postgres: { host: pg.host, port: pg.port, database: pg.database, user: 'scram_user', password: pg.users.scram_user.password },
      localPort: await freePort(),
    })}\n---\n${ciManifests()}`,
  );
  const applied = await plane.kubectl(['apply', '-f', manifest]);
  assert.equal(applied.code, 0, applied.stderr);
  const ready = await plane.kubectl([
    'wait',
    '-n',
    NS,
    '--for=condition=Ready',
    '--timeout=60s',
    `agentidentities.airlock.dev/${IDENTITY}`,
  ]);
  assert.equal(ready.code, 0, `${ready.stderr}\n${operator.logTail()}`);
  binDir = join(plane.dir, 'plugin-bin');
  mkdirSync(binDir);
  await bundlePlugin(join(binDir, 'kubectl-approve'));

  // The CI job's pod: runs as the runner's service account, mutated by the webhook.
  const body = agentPod(NS, 'deploy-job-1') as Obj;
  body.spec.serviceAccountName = RUNNER_SA;
  const file = join(procs.dir, 'job-pod.json');
  writeFileSync(file, JSON.stringify(body));
  const created = await plane.kubectl(['create', '-f', file, '-o', 'json']);
  assert.equal(created.code, 0, created.stderr);
  job = JSON.parse(created.stdout);
  const token = await podBoundToken(plane, {
    namespace: NS,
    name: job.metadata.name,
    uid: job.metadata.uid,
    serviceAccount: RUNNER_SA,
  });
  // The delegation endpoint's port moves like the health port: tests share the machine's loopback.
  delegationPort = await freePort();
  await procs.startSidecarFromPod(job, token, { env: { AIRLOCK_DELEGATION_PORT: String(delegationPort) } });
});

after(async () => {
  await procs?.stop();
  await provider?.stop();
  await pg?.stop();
  await plane?.stop();
});

/** psql as the job's agent container runs it, `password` its token (PGPASSWORD). */
const psqlAsJob = (password: string, sql: string): Promise<PsqlResult> => psqlAsAgent(pg, job, sql, 120_000, password);

async function kubectlJson(args: string[]): Promise<Obj> {
  const result = await plane.kubectl([...args, '-o', 'json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** Every record the operator stored for the job pod's sessions. */
function storedRecords(): Obj[] {
  const directory = join(recordings, NS, job.metadata.name);
  let files: string[];
  try {
    files = readdirSync(directory).filter((name) => name.endsWith('.jsonl'));
  } catch {
    return [];
  }
  return files.flatMap((name) =>
    readFileSync(join(directory, name), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Obj),
  );
}

describe('a CI job whose identity is its OIDC token', () => {
  test('a token of main of acme/orders: the statement runs, and is recorded under the identity the token maps to and the person who pushed', async () => {
    const token = await provider.issueToken(githubClaims('refs/heads/main'));
    const result = await psqlAsJob(token, 'SELECT count(*) FROM customers');
    assert.equal(result.code, 0, `${result.stderr}\n${operator.logTail()}`);
    assert.match(result.stdout.trim(), /^\d+$/);
    const open = await eventually(
      'the session.open record of the job’s session',
      async () => storedRecords().find((r) => r.event?.type === 'session.open' && r.event?.principal?.identity === IDENTITY),
      { timeoutMs: 30_000, intervalMs: 200, detail: () => operator.logTail() },
    );
    assert.equal(open.event.principal.onBehalfOf, 'alice@example.com');
    assert.equal(open.event.principal.serviceAccount, `system:serviceaccount:${NS}:${RUNNER_SA}`);
    const decided = storedRecords().find((r) => r.session === open.session && r.event?.type === 'statement');
    assert.ok(decided, JSON.stringify(storedRecords().map((r) => r.event?.type)));
  });

  test('a token of another branch maps to no identity: refused, and the job is told why', async () => {
    const token = await provider.issueToken(githubClaims('refs/heads/feature'));
    const result = await psqlAsJob(token, 'SELECT 1');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /NoIdentity/);
    assert.match(result.stderr, /ref/);
    assert.doesNotMatch(result.stderr, new RegExp(token.slice(0, 40)));
  });

  test('an expired token is refused as expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await provider.issueToken(githubClaims('refs/heads/main'), { issuedAt: now - 3600, expiresAt: now - 600 });
    const result = await psqlAsJob(token, 'SELECT 1');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Expired/);
  });

  test('without a token the job is nobody: every identity of its service account requires one', async () => {
    const result = await psqlAsJob('pod-identity', 'SELECT 1');
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /token/);
  });

  test('a held write names the pusher as onBehalfOf; the pusher cannot approve it, another owner can', async () => {
    const token = await provider.issueToken(githubClaims('refs/heads/main'));
    const statement = 'UPDATE customers SET name = name WHERE id = 1';
    const running = psqlAsJob(token, statement);
    const request = await eventually(
      'the ApprovalRequest of the job’s write',
      async () => {
        const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
        return list.items.find((r: Obj) => r.spec.operation.text === statement && r.status?.phase === 'Pending');
      },
      { timeoutMs: 60_000, intervalMs: 200, detail: () => operator.logTail() },
    );
    assert.equal(request.spec.requester.identity, IDENTITY);
    assert.equal(request.spec.requester.onBehalfOf, 'alice@example.com');
    assert.equal(request.spec.requester.issuer, provider.issuer);

    // What the reviewer sees in `kubectl approve show`.
    const shown = await plane.kubectl(['approve', 'show', request.metadata.name, '-n', NS], { user: 'bob', pluginDirs: [binDir] });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^On behalf of:\s+alice@example\.com \(issuer https:/m);
    assert.match(shown.stdout, new RegExp(`^Chain:\\s+alice@example\\.com → ${IDENTITY} \\(identity\\)$`, 'm'));

    const byPusher = await reviewAs(plane, 'alice', request, 'Approve');
    assert.notEqual(byPusher.code, 0, 'the person the job acts for approved its write');
    assert.match(byPusher.stderr, /acts for/);
    const byOwner = await reviewAs(plane, 'bob', request, 'Approve');
    assert.equal(byOwner.code, 0, byOwner.stderr);
    const result = await running;
    assert.equal(result.code, 0, `${result.stderr}\n${operator.logTail()}`);
    assert.match(result.stdout, /UPDATE 1/);
  });
});

/**
 * What a parent agent in the job runs to get a sub-agent's token: curl to the sidecar's delegation
 * endpoint. Asynchronous: the OIDC provider the broker asks runs in this process.
 */
async function delegateWithCurl(parentToken: string, body: Record<string, unknown>): Promise<{ status: number; body: Obj }> {
  const env = Object.fromEntries((job.spec.containers[0].env ?? []).map((e: Obj) => [e.name, e.value]));
  assert.match(env.AIRLOCK_DELEGATION_URL ?? '', /^http:\/\/127\.0\.0\.1:\d+$/, 'the webhook gives the job its delegation endpoint');
  const url = `http://127.0.0.1:${delegationPort}/v1/delegations`;
  const { stdout } = await promisify(execFile)(
    'curl',
    [
      '-sS',
      '-X',
      'POST',
      url,
      '-H',
      'content-type: application/json',
      '-H',
      `authorization: Bearer ${parentToken}`,
      '-d',
      JSON.stringify(body),
      '-w',
      '\n%{http_code}',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: JSON.parse(lines.join('\n')) as Obj };
}

describe('the job spawns sub-agents with narrower delegated tokens', () => {
  test('depth 1 runs as the job’s identity with its chain; depth 2 is held by the depth policy and the reviewer sees the whole chain', async () => {
    const jobToken = await provider.issueToken(githubClaims('refs/heads/main'));
    const broader = await delegateWithCurl(jobToken, { name: 'planner', targets: ['billing-db'] });
    assert.equal(broader.status, 403, JSON.stringify(broader.body));
    assert.equal(broader.body.reason, 'DelegationTooBroad', `${broader.body.message}\n${operator.logTail()}`);

    const planner = await delegateWithCurl(jobToken, { name: 'planner', ttlSeconds: 300 });
    assert.equal(planner.status, 201, JSON.stringify(planner.body));
    assert.deepEqual(planner.body.targets, [SAMPLE.target]);
    const read = await psqlAsJob(planner.body.token, 'SELECT count(*) FROM customers');
    assert.equal(
      read.code,
      0,
      `${read.stderr}\n${JSON.stringify(
        storedRecords()
          .filter((r) => r.event?.type === 'session.open')
          .map((r) => r.event.principal),
      )}`,
    );
    const open = await eventually(
      'the planner’s session.open record',
      async () => storedRecords().find((r) => r.event?.type === 'session.open' && r.event?.principal?.delegation?.depth === 1),
      { timeoutMs: 30_000, intervalMs: 200, detail: () => operator.logTail() },
    );
    assert.deepEqual(open.event.principal.delegation, { depth: 1, chain: ['planner'] });
    assert.equal(open.event.principal.identity, IDENTITY);
    assert.equal(open.event.principal.onBehalfOf, 'alice@example.com');

    const writer = await delegateWithCurl(planner.body.token, { name: 'sql-writer' });
    assert.equal(writer.status, 201, JSON.stringify(writer.body));
    assert.equal(writer.body.depth, 2);
    const tooDeep = await delegateWithCurl(writer.body.token, { name: 'helper' });
    assert.equal(tooDeep.status, 403, JSON.stringify(tooDeep.body));
    assert.equal(tooDeep.body.reason, 'DelegationTooDeep');

    const statement = 'SELECT count(*) FROM customers WHERE id > 0';
    const running = psqlAsJob(writer.body.token, statement);
    const request = await eventually(
      'the ApprovalRequest of the sub-sub-agent’s read',
      async () => {
        const list = await kubectlJson(['get', 'approvalrequests.airlock.dev', '-n', NS]);
        return list.items.find((r: Obj) => r.spec.operation.text === statement && r.status?.phase === 'Pending');
      },
      { timeoutMs: 60_000, intervalMs: 200, detail: () => operator.logTail() },
    );
    assert.deepEqual(request.spec.requester.delegation, { depth: 2, chain: ['planner', 'sql-writer'] });
    assert.equal(request.spec.requester.onBehalfOf, 'alice@example.com');
    assert.equal(request.spec.policy.name, 'deep-sub-agents-ask');
    const shown = await plane.kubectl(['approve', 'show', request.metadata.name, '-n', NS], { user: 'bob', pluginDirs: [binDir] });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(
      shown.stdout,
      new RegExp(`^Chain:\\s+alice@example\\.com → ${IDENTITY} \\(identity\\) → planner → sql-writer \\(depth 2\\)$`, 'm'),
    );
    const approved = await reviewAs(plane, 'bob', request, 'Approve');
    assert.equal(approved.code, 0, approved.stderr);
    const result = await running;
    assert.equal(result.code, 0, `${result.stderr}\n${operator.logTail()}`);
    assert.match(result.stdout.trim(), /^\d+$/);
  });
});
