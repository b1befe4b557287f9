/**
 * Invalid airlock objects and what must be said about them. The unit tests check the offline
 * validator against this table; the e2e tests send the same documents to a real API server, so
 * the two cannot disagree unnoticed.
 */
import { exampleDocuments } from '../examples.ts';

// biome-ignore lint/suspicious/noExplicitAny: fixtures edit arbitrary paths of parsed YAML
type Doc = Record<string, any>;

export interface InvalidCase {
  name: string;
  /** The example object the case starts from, by kind and name. */
  base: { kind: string; name: string };
  /** Edits the copy into the invalid document. */
  edit: (doc: Doc) => void;
  /** For transition rules: edits the valid stored object into the one that is refused. */
  update?: boolean;
  /** The status the case needs stored first (status is only written through /status). */
  status?: (doc: Doc) => void;
  /** Where the problem is, as the offline validator reports it. */
  path: string;
  /** Text both the offline validator and the API server must include. */
  message: string;
  /** Text the API server says instead, where its wording differs from ours. */
  serverMessage?: string;
  /** HTTP status of the refusal: 422 Invalid, or 400 for what fails decoding (unknown fields). */
  serverCode?: 400 | 422;
}

export function baseDocument(kind: string, name: string): Doc {
  const found = exampleDocuments().find((e) => e.doc.kind === kind && (e.doc.metadata as Doc | undefined)?.name === name);
  if (!found) throw new Error(`no example ${kind}/${name}`);
  return structuredClone(found.doc);
}

const pg = { kind: 'Target', name: 'orders-db' };
const ssh = { kind: 'Target', name: 'build-host' };
const http = { kind: 'Target', name: 'payments-api' };
const k8s = { kind: 'Target', name: 'cluster-api' };
const ci = { kind: 'AgentIdentity', name: 'ci-migrations' };
const oidc = { kind: 'AgentIdentity', name: 'research-agent' };
const policy = { kind: 'ApprovalPolicy', name: 'prod-databases' };
const ar = { kind: 'ApprovalRequest', name: 'ci-migrations-d46efe53-7kq2x' };

/**
 * A test user of testkit/src/users.ts and an approver of the example request: with the admission
 * policy installed, the e2e run can store a review only as the reviewer it names.
 */
const REVIEWER = 'alice@example.com';
// The groups the API server authenticates for alice: the admission policy checks reviews carry them.
const REVIEWER_GROUPS = ['db-owners', 'airlock-reviewers', 'system:authenticated'];
const review = (user: string, decision = 'Approve', reason?: string) => ({
  user,
  groups: REVIEWER_GROUPS,
  decision,
  time: '2026-11-21T12:00:00Z',
  ...(reason ? { reason } : {}),
});

export const INVALID_CASES: readonly InvalidCase[] = [
  {
    name: 'target type without its endpoint',
    base: pg,
    edit: (d) => delete d.spec.postgres,
    path: 'spec',
    message: 'spec.postgres is required when type is postgres',
  },
  {
    name: 'target with the endpoint of another type',
    base: ssh,
    edit: (d) => (d.spec.postgres = { host: 'db', database: 'x' }),
    path: 'spec',
    message: 'spec.postgres is required when type is postgres, and not allowed for any other type',
  },
  {
    name: 'target type unknown',
    base: pg,
    edit: (d) => (d.spec.type = 'mysql'),
    path: 'spec.type',
    message: 'must be one of: postgres, ssh, http, kubernetes',
    serverMessage: 'Unsupported value: "mysql"',
  },
  {
    name: 'target local port privileged',
    base: pg,
    edit: (d) => (d.spec.localPort = 80),
    path: 'spec.localPort',
    message: 'must be >= 1024',
    serverMessage: 'should be greater than or equal to 1024',
  },
  {
    name: 'target local port reserved for the sidecar',
    base: pg,
    edit: (d) => (d.spec.localPort = 15020),
    path: 'spec',
    message: 'localPort 15000-15099 is reserved for the sidecar',
  },
  {
    name: 'ssh target without pinned host keys',
    base: ssh,
    edit: (d) => delete d.spec.ssh.hostKeys,
    path: 'spec.ssh.hostKeys',
    message: 'required field is missing',
    serverMessage: 'spec.ssh.hostKeys: Required value',
  },
  {
    name: 'ssh certificate lifetime over an hour',
    base: ssh,
    edit: (d) => (d.spec.ssh.certificateTTL = '2h'),
    path: 'spec.ssh',
    message: 'certificateTTL must be between 30s and 1h',
  },
  {
    name: 'http target with a non-http URL',
    base: http,
    edit: (d) => (d.spec.http.url = 'ftp://payments.internal.example.com'),
    path: 'spec.http.url',
    message: 'is not valid: Base URL of the service',
    serverMessage: 'spec.http.url in body should match',
  },
  {
    name: 'https URL with unverified TLS',
    base: http,
    edit: (d) => (d.spec.http.tls.mode = 'require'),
    path: 'spec.http',
    message: 'an https:// URL is always verified',
  },
  {
    name: 'two sources for one CA',
    base: pg,
    edit: (d) => (d.spec.postgres.tls.caBundle = '-----BEGIN CERTIFICATE-----'),
    path: 'spec.postgres.tls',
    message: 'set caBundle or caSecretRef, not both',
  },
  {
    name: 'verify-ca without a CA',
    base: pg,
    edit: (d) => {
      d.spec.postgres.tls.mode = 'verify-ca';
      delete d.spec.postgres.tls.caSecretRef;
    },
    path: 'spec.postgres.tls',
    message: 'mode verify-ca needs the CA',
  },
  {
    name: 'postgres target without credentials',
    base: pg,
    edit: (d) => delete d.spec.credentialsSecretRef,
    path: 'spec',
    message: 'credentialsSecretRef is required for postgres, ssh and kubernetes targets',
  },
  {
    name: 'kubernetes serviceAccountName for another cluster',
    base: k8s,
    edit: (d) => {
      d.spec.kubernetes = { server: 'https://k8s.example:6443', serviceAccountName: 'agent-reader' };
      delete d.spec.credentialsSecretRef;
    },
    path: 'spec.kubernetes',
    message: 'serviceAccountName needs inCluster: true',
  },
  {
    name: 'kubernetes serviceAccountName and a credentials Secret',
    base: k8s,
    edit: (d) => {
      d.spec.kubernetes = { inCluster: true, serviceAccountName: 'agent-reader' };
      d.spec.credentialsSecretRef = { name: 'cluster-api-token' };
    },
    path: 'spec',
    message: 'a kubernetes target with serviceAccountName takes no credentialsSecretRef',
  },
  {
    name: 'kubernetes serviceAccountName that is no object name',
    base: k8s,
    edit: (d) => {
      d.spec.kubernetes.serviceAccountName = 'Agent_Reader';
      delete d.spec.credentialsSecretRef;
    },
    path: 'spec.kubernetes.serviceAccountName',
    message: 'is not valid: With inCluster: the ServiceAccount',
    serverMessage: 'spec.kubernetes.serviceAccountName in body should match',
  },
  {
    name: 'kubernetes token lifetime over an hour',
    base: k8s,
    edit: (d) => {
      d.spec.kubernetes = { inCluster: true, serviceAccountName: 'agent-reader', tokenTTL: '2h' };
      delete d.spec.credentialsSecretRef;
    },
    path: 'spec.kubernetes',
    message: 'tokenTTL must be between 10m and 1h',
  },
  {
    name: 'kubernetes token lifetime under ten minutes',
    base: k8s,
    edit: (d) => {
      d.spec.kubernetes = { inCluster: true, serviceAccountName: 'agent-reader', tokenTTL: '5m' };
      delete d.spec.credentialsSecretRef;
    },
    path: 'spec.kubernetes',
    message: 'tokenTTL must be between 10m and 1h',
  },
  {
    name: 'kubernetes target with neither serviceAccountName nor credentials',
    base: k8s,
    edit: (d) => {
      d.spec.kubernetes = { inCluster: true };
      delete d.spec.credentialsSecretRef;
    },
    path: 'spec',
    message: '(a kubernetes target with serviceAccountName needs none)',
  },
  {
    name: 'target type changed',
    base: http,
    update: true,
    edit: (d) => {
      d.spec.type = 'kubernetes';
      delete d.spec.http;
      d.spec.kubernetes = { inCluster: true };
    },
    path: 'spec',
    message: 'type is immutable',
  },
  {
    name: 'identity without the pods that may use it',
    base: oidc,
    edit: (d) => delete d.spec.serviceAccountName,
    path: 'spec.serviceAccountName',
    message: 'required field is missing',
    serverMessage: 'spec.serviceAccountName: Required value',
  },
  {
    name: 'OIDC issuer over plain http',
    base: oidc,
    edit: (d) => (d.spec.oidc.issuer = 'http://login.example.com'),
    path: 'spec.oidc.issuer',
    message: 'is not valid: Issuer URL; must equal the iss claim',
    serverMessage: 'spec.oidc.issuer in body should match',
  },
  {
    name: 'claim matcher with two conditions',
    base: oidc,
    edit: (d) => (d.spec.oidc.claims[0].pattern = 'dev-*'),
    path: 'spec.oidc.claims[0]',
    message: 'a claim matcher needs exactly one of equals or pattern',
  },
  {
    name: 'identity lists a target twice',
    base: ci,
    edit: (d) => d.spec.targets.push('orders-db'),
    path: 'spec.targets[2]',
    message: 'duplicate entry "orders-db"',
    serverMessage: 'Duplicate value: "orders-db"',
  },
  {
    name: 'approval without approval settings',
    base: policy,
    edit: (d) => {
      delete d.spec.approval;
      d.spec.defaultAction = 'deny';
    },
    path: 'spec',
    message: 'a rule with action requireApproval needs approval settings',
  },
  {
    name: 'more approvals than approvers',
    base: policy,
    edit: (d) => (d.spec.rules[2].approval.approvers = { users: ['ana@example.com'] }),
    path: 'spec.rules[2].approval',
    message: 'requiredApprovals is more than the approver users can give',
  },
  {
    name: 'approval TTL too long',
    base: policy,
    edit: (d) => (d.spec.approval.ttl = '48h'),
    path: 'spec.approval',
    message: 'ttl must be between 1m and 24h',
  },
  {
    name: 'window scope without a window',
    base: policy,
    edit: (d) => (d.spec.approval.scope = 'window'),
    path: 'spec.approval',
    message: 'window is required for scope window, and only for it',
  },
  {
    name: 'rule matching two protocols',
    base: policy,
    edit: (d) => (d.spec.rules[0].match.http = { methods: ['DELETE'] }),
    path: 'spec.rules[0].match',
    message: 'a rule matches one protocol',
  },
  {
    name: 'ssh rule with sudo false',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { programs: ['rm'], sudo: false } }),
    path: 'spec.rules[0].match.ssh',
    message: 'sudo: false says nothing',
  },
  {
    name: 'ssh rule with an empty write pattern',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { writes: [''] } }),
    path: 'spec.rules[0].match.ssh.writes[0]',
    message: 'must NOT have fewer than 1 characters',
    serverMessage: 'should be at least 1 chars long',
  },
  {
    name: 'ssh rule with file transfer facets for requests that transfer no files',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { requestTypes: ['shell'], directions: ['download'] } }),
    path: 'spec.rules[0].match.ssh',
    message: 'directions and paths decide file transfers',
  },
  {
    name: 'ssh rule with destinations for requests that are not forwardings',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { requestTypes: ['exec', 'port-forward'], destinations: ['db.internal:5432'] } }),
    path: 'spec.rules[0].match.ssh',
    message: 'destinations decide port forwardings and nothing else',
  },
  {
    name: 'ssh rule with destinations and programs',
    base: policy,
    edit: (d) =>
      (d.spec.rules[0].match = { ssh: { requestTypes: ['port-forward'], destinations: ['db.internal:5432'], programs: ['psql'] } }),
    path: 'spec.rules[0].match.ssh',
    message: 'a rule with destinations decides port forwardings',
  },
  {
    name: 'ssh rule with a destination without a port',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { requestTypes: ['port-forward'], destinations: ['db.internal'] } }),
    path: 'spec.rules[0].match.ssh.destinations[0]',
    message: 'is not valid: A destination, host:port',
    serverMessage: 'should match',
  },
  {
    name: 'ssh rule with a direction that is not one',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { directions: ['sideways'] } }),
    path: 'spec.rules[0].match.ssh.directions[0]',
    message: 'must be one of: download, upload',
    serverMessage: 'Unsupported value: "sideways"',
  },
  {
    name: 'ssh rule with sudo not a boolean',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { ssh: { sudo: 'yes' } }),
    path: 'spec.rules[0].match.ssh.sudo',
    message: 'must be boolean',
    serverMessage: 'spec.rules[0].match.ssh.sudo in body must be of type boolean',
  },
  {
    name: 'kubernetes rule with nonResourceURLs and resources',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { kubernetes: { nonResourceURLs: ['/metrics'], resources: ['pods'] } }),
    path: 'spec.rules[0].match.kubernetes',
    message: 'nonResourceURLs match requests that are not for a resource',
  },
  {
    name: 'kubernetes rule with a resource pattern of two slashes',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { kubernetes: { resources: ['pods/exec/x'] } }),
    path: 'spec.rules[0].match.kubernetes.resources[0]',
    message: 'is not valid: A resource pattern',
    serverMessage: 'should match',
  },
  {
    name: 'kubernetes rule with a wildcard API group',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { kubernetes: { apiGroups: ['*'] } }),
    path: 'spec.rules[0].match.kubernetes.apiGroups[0]',
    message: 'is not valid: An API group',
    serverMessage: 'should match',
  },
  {
    name: 'kubernetes rule with the legacy proxy verb',
    base: policy,
    edit: (d) => (d.spec.rules[0].match = { kubernetes: { verbs: ['proxy'] } }),
    path: 'spec.rules[0].match.kubernetes.verbs[0]',
    message: 'must be one of: get, list, watch',
    serverMessage: 'Unsupported value: "proxy"',
  },
  {
    name: 'approval settings on a deny rule',
    base: policy,
    edit: (d) => (d.spec.rules[0].approval = { approvers: { groups: ['db-owners'] } }),
    path: 'spec.rules[0]',
    message: 'approval settings only apply to action requireApproval',
  },
  {
    name: 'hash masking without a key',
    base: policy,
    edit: (d) => delete d.spec.masking.hashKeySecretRef,
    path: 'spec.masking',
    message: 'strategy hash needs masking.hashKeySecretRef',
  },
  {
    name: 'two rules with one name',
    base: policy,
    edit: (d) => (d.spec.rules[1].name = 'no-truncate'),
    path: 'spec.rules[1]',
    message: 'duplicate entry name="no-truncate"',
    serverMessage: 'spec.rules[1]: Duplicate value: {"name":"no-truncate"}',
  },
  {
    name: 'misspelt field',
    base: policy,
    edit: (d) => {
      d.spec.rules[0].acton = d.spec.rules[0].action;
      delete d.spec.rules[0].action;
    },
    path: 'spec.rules[0].acton',
    message: 'unknown field',
    serverMessage: 'strict decoding error: unknown field "spec.rules[0].acton"',
    serverCode: 400,
  },
  {
    name: 'approval request digest not sha256',
    base: ar,
    edit: (d) => (d.spec.operation.digest = 'md5:abc'),
    path: 'spec.operation.digest',
    message: 'is not valid: sha256:<hex> over the exact bytes',
    serverMessage: 'spec.operation.digest in body should match',
  },
  {
    name: 'approval request spec changed',
    base: ar,
    update: true,
    edit: (d) => (d.spec.operation.text = 'DROP TABLE public.orders'),
    path: 'spec',
    message: 'spec is immutable',
  },
  {
    name: 'requester approves its own request',
    base: ar,
    update: true,
    status: (d) => (d.status = { phase: 'Pending' }),
    edit: (d) => (d.status.reviews = [review('system:serviceaccount:agents:ci-migrations')]),
    path: '.status.reviews',
    message: 'a requester cannot review its own request',
  },
  {
    name: 'review removed',
    base: ar,
    update: true,
    status: (d) => (d.status = { phase: 'Pending', reviews: [review(REVIEWER)] }),
    edit: (d) => (d.status.reviews = []),
    path: 'status',
    message: 'reviews are append-only',
  },
  {
    name: 'review changed',
    base: ar,
    update: true,
    status: (d) => (d.status = { phase: 'Pending', reviews: [review(REVIEWER)] }),
    edit: (d) => (d.status.reviews = [review(REVIEWER, 'Deny', 'changed my mind')]),
    path: 'status',
    message: 'reviews are append-only',
  },
  {
    name: 'deny without a reason',
    base: ar,
    update: true,
    status: (d) => (d.status = { phase: 'Pending' }),
    edit: (d) => (d.status.reviews = [review(REVIEWER, 'Deny')]),
    path: 'status.reviews[0]',
    message: 'a Deny review needs a reason',
  },
  {
    name: 'phase moved backwards',
    base: ar,
    update: true,
    status: (d) => (d.status = { phase: 'Denied', reviews: [review(REVIEWER, 'Deny', 'no')] }),
    edit: (d) => (d.status.phase = 'Pending'),
    path: 'status',
    message: 'phase can only move forward',
  },
  {
    name: 'review after the decision',
    base: ar,
    update: true,
    status: (d) => (d.status = { phase: 'Expired' }),
    edit: (d) => (d.status.reviews = [review(REVIEWER)]),
    path: 'status',
    message: 'the request is already decided: reviews are closed',
  },
];
