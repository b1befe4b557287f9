/**
 * The sample airlock setup shared by the end-to-end tests and the local demo: a PostgreSQL
 * target with personal data, an agent identity, and a policy that allows reads (masking e-mail
 * addresses and card numbers), holds DDL for one approval from db-owners, holds writes for two,
 * and denies the rest.
 */
export const SAMPLE = {
  target: 'orders-db',
  identity: 'orders-agent',
  serviceAccount: 'orders-agent',
  policy: 'orders-db-policy',
  credentialsSecret: 'orders-db-credentials',
} as const;

/** Run as the target's role, so it owns the tables (DROP TABLE needs the owner). */
export const SAMPLE_SQL = `
DROP TABLE IF EXISTS customers, order_archive_2019, refunds;
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL, card_number text NOT NULL, country text NOT NULL);
INSERT INTO customers VALUES
  (1, 'Ada Lovelace', 'ada@example.com', '4111 1111 1111 1111', 'GB'),
  (2, 'Grace Hopper', 'grace@example.org', '5500 0000 0000 0004', 'US'),
  (3, 'Katherine Johnson', 'kj@example.net', '3400 0000 0000 009', 'US');
CREATE TABLE order_archive_2019 (id int PRIMARY KEY, total numeric NOT NULL);
INSERT INTO order_archive_2019 SELECT g, g * 10 FROM generate_series(1, 100) g;
CREATE TABLE refunds (id serial PRIMARY KEY, customer_id int NOT NULL, amount numeric NOT NULL);
`;

export interface SampleOptions {
  readonly namespace: string;
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly database: string;
    readonly user: string;
    readonly password: string;
  };
  /** The sidecar's port for the target inside the pod (here: on the test machine's loopback). */
  readonly localPort: number;
  /** TTL of held writes; the minimum the API allows is 1m. */
  readonly writeTtl?: string;
}

/**
 * Namespace (opted in), ServiceAccount, credentials Secret, Target, AgentIdentity, ApprovalPolicy,
 * and the binding that lets the group airlock-reviewers use kubectl approve (a platform admin's job).
 */
export function sampleManifests(options: SampleOptions): string {
  const { namespace, postgres } = options;
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: airlock-reviewers
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: airlock-reviewer
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: airlock-reviewers
---
apiVersion: v1
kind: Namespace
metadata:
  name: ${namespace}
  labels:
    airlock.dev/injection: enabled
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${SAMPLE.serviceAccount}
  namespace: ${namespace}
---
apiVersion: v1
kind: Secret
metadata:
  name: ${SAMPLE.credentialsSecret}
  namespace: ${namespace}
stringData:
  username: ${JSON.stringify(postgres.user)}
  password: ${JSON.stringify(postgres.password)}
---
apiVersion: airlock.dev/v1alpha1
kind: Target
metadata:
  name: ${SAMPLE.target}
  namespace: ${namespace}
  labels:
    env: prod
spec:
  type: postgres
  description: Orders database (sample data with personal data)
  localPort: ${options.localPort}
  postgres:
    host: ${postgres.host}
    port: ${postgres.port}
    database: ${postgres.database}
    tls:
      mode: disable
  credentialsSecretRef:
    name: ${SAMPLE.credentialsSecret}
---
apiVersion: airlock.dev/v1alpha1
kind: AgentIdentity
metadata:
  name: ${SAMPLE.identity}
  namespace: ${namespace}
spec:
  description: The orders analytics agent
  serviceAccountName: ${SAMPLE.serviceAccount}
  groups: [analytics]
  targets: [${SAMPLE.target}]
---
apiVersion: airlock.dev/v1alpha1
kind: ApprovalPolicy
metadata:
  name: ${SAMPLE.policy}
  namespace: ${namespace}
spec:
  description: Reads are free and masked; DDL needs a database owner; writes need two.
  identities:
    names: [${SAMPLE.identity}]
  targets:
    names: [${SAMPLE.target}]
  rules:
    - name: reads
      match: { sql: { statementKinds: [read] } }
      action: allow
    - name: session-and-transactions
      match: { sql: { statementKinds: [transaction, session] } }
      action: allow
    - name: ddl-needs-an-owner
      description: Schema changes are reviewed by a database owner.
      match: { sql: { statementKinds: [ddl] } }
      action: requireApproval
      approval:
        approvers: { groups: [db-owners] }
        requiredApprovals: 1
        ttl: 15m
    - name: writes-need-two-owners
      match: { sql: { statementKinds: [write] } }
      action: requireApproval
      approval:
        approvers: { groups: [db-owners] }
        requiredApprovals: 2
        ttl: ${options.writeTtl ?? '15m'}
  defaultAction: deny
  masking:
    rules:
      - name: emails
        columns: [email]
        strategy: partial
        keepFirst: 2
      - name: cards
        detectors: [cardNumber]
        strategy: redact
`;
}

/** An agent pod: opted in by its label, running as the agent's service account. */
export function agentPod(namespace: string, name: string, labels: Record<string, string> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'airlock.dev/inject': 'true', app: 'orders-agent', ...labels } },
    spec: {
      serviceAccountName: SAMPLE.serviceAccount,
      restartPolicy: 'Never',
      containers: [{ name: 'agent', image: 'agent:latest', command: ['sleep', 'infinity'] }],
    },
  };
}
