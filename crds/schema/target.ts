import {
  AGE_COLUMN,
  bool,
  conditions,
  duration,
  int,
  obj,
  objectName,
  observedGeneration,
  oneOf,
  PROTOCOLS,
  secretKeyRef,
  secretRef,
  str,
  stringSet,
} from './common.ts';
import type { CrdSource, Schema } from './json-schema.ts';

const HOST = '^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?$|^\\[[0-9A-Fa-f:.]+\\]$';

const tls: Schema = obj(
  'TargetTLS',
  'How the sidecar secures its connection to the target.',
  {
    mode: oneOf(
      'disable: plain TCP; require: TLS without verifying the server; verify-ca: verify the chain; verify-full: verify the chain and the host name. For https URLs only verify-ca and verify-full are allowed.',
      ['disable', 'require', 'verify-ca', 'verify-full'],
      { default: 'verify-full' },
    ),
    caBundle: str('PEM-encoded CA certificates that sign the server certificate. Empty means the system roots.', {
      maxLength: 65536,
    }),
    caSecretRef: secretKeyRef('A Secret key holding PEM-encoded CA certificates, instead of caBundle.'),
    serverName: str('Name to verify the server certificate against, when it differs from the host.', { maxLength: 253 }),
  },
  {
    rules: [
      { rule: '!(has(self.caBundle) && has(self.caSecretRef))', message: 'set caBundle or caSecretRef, not both' },
      {
        rule: "!has(self.mode) || self.mode != 'verify-ca' || has(self.caBundle) || has(self.caSecretRef)",
        message: 'mode verify-ca needs the CA: set caBundle or caSecretRef',
      },
      {
        rule: "!has(self.mode) || self.mode != 'disable' || (!has(self.caBundle) && !has(self.caSecretRef) && !has(self.serverName))",
        message: 'mode disable takes no caBundle, caSecretRef or serverName',
      },
    ],
  },
);

function hostPort(title: string, description: string, defaultPort: number, extra: Record<string, Schema>): Schema {
  return obj(
    title,
    description,
    {
      host: str('DNS name or IP address of the server, as seen from the agent pod.', { minLength: 1, pattern: HOST }),
      port: int('TCP port of the server.', { minimum: 1, maximum: 65535, default: defaultPort }),
      ...extra,
    },
    { required: ['host'] },
  );
}

const postgres = hostPort('PostgresEndpoint', 'Where the PostgreSQL server is. Credentials Secret keys: username, password.', 5432, {
  database: str('Database the sidecar connects to. The agent may ask for another; the sidecar always uses this one.', {
    minLength: 1,
    maxLength: 63,
  }),
  tls,
  maxConnections: int(
    "Most upstream connections one sidecar opens to this server at a time (one per agent session). An agent session beyond it is refused with SQLSTATE 53300 (too_many_connections) by the sidecar, before the server's own limit hurts other sessions. Keep the sum over all agent pods below the server's max_connections minus its reserved connections.",
    { minimum: 1, maximum: 10000, default: 20 },
  ),
});
postgres.required = ['host', 'database'];

const ssh = hostPort(
  'SSHEndpoint',
  'Where the SSH server is. Credentials Secret keys: username, and exactly one of privateKey (OpenSSH or PEM format, without a passphrase), password, or certificateAuthorityKey: the private key (ed25519, ECDSA or RSA, OpenSSH or PEM format, without a passphrase) of a user certificate authority the host trusts (sshd TrustedUserCAKeys). With certificateAuthorityKey the operator signs a short-lived OpenSSH user certificate for each connection, valid for the username only, for a key the sidecar makes for that connection; the authority key never leaves the operator.',
  22,
  {
    certificateTTL: duration(
      'With certificateAuthorityKey: how long a login certificate is valid, 30s to 1h. The host checks it when the sidecar logs in, so this bounds how long a leaked certificate could open new connections, not how long a session lasts. Valid from 30s before signing, for hosts whose clock is behind.',
      { default: '5m' },
    ),
    hostKeys: stringSet(
      'Public host keys the server must present, in known_hosts format without the host name (for example "ssh-ed25519 AAAA..."). There is no trust on first use.',
      str('One host key.', {
        minLength: 16,
        maxLength: 8192,
        pattern: '^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|rsa-sha2-(256|512)) [A-Za-z0-9+/=]+( .*)?$',
      }),
      16,
    ),
  },
);
ssh.required = ['host', 'hostKeys'];
ssh['x-kubernetes-validations'] = [
  {
    rule: "!has(self.certificateTTL) || (duration(self.certificateTTL) >= duration('30s') && duration(self.certificateTTL) <= duration('1h'))",
    message: 'certificateTTL must be between 30s and 1h',
  },
];
ssh.properties!.hostKeys!.minItems = 1;

const httpAuth = obj(
  'HTTPAuth',
  'How the sidecar authenticates to the HTTP service.',
  {
    type: oneOf(
      'none; bearer: "Authorization: Bearer <token>" from Secret key token; basic: username and password keys; header: the value of key value in the header named by headerName.',
      ['none', 'bearer', 'basic', 'header'],
    ),
    headerName: str('Header that carries the credential, for type header.', {
      maxLength: 128,
      pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
    }),
  },
  {
    required: ['type'],
    rules: [
      { rule: "(self.type == 'header') == has(self.headerName)", message: 'headerName is required for type header, and only for it' },
    ],
  },
);

const http = obj(
  'HTTPEndpoint',
  'The HTTP service. The agent talks plain HTTP to the sidecar; the sidecar talks to this URL.',
  {
    url: str('Base URL of the service, http:// or https://, with an optional path prefix.', {
      maxLength: 2048,
      pattern: '^https?://[^\\s/?#]+(/[^\\s?#]*)?$',
    }),
    auth: httpAuth,
    tls,
  },
  {
    required: ['url'],
    rules: [
      {
        rule: "!self.url.startsWith('http://') || !has(self.tls) || self.tls.mode == 'disable'",
        message: 'an http:// URL cannot have TLS settings: use https:// or set tls.mode to disable',
      },
      {
        rule: "!self.url.startsWith('https://') || !has(self.tls) || !has(self.tls.mode) || self.tls.mode in ['verify-ca', 'verify-full']",
        message: 'an https:// URL is always verified: tls.mode must be verify-ca or verify-full',
      },
    ],
  },
);

const kubernetes = obj(
  'KubernetesEndpoint',
  "A Kubernetes API server. The agent's tools get a KUBECONFIG that points at the sidecar. The sidecar logs in with either serviceAccountName (preferred: the operator mints a short-lived token for each agent pod, nothing is stored) or a credentials Secret with key token, or keys tls.crt and tls.key (a client certificate and its key, PEM). A Target with serviceAccountName needs no Secret.",
  {
    inCluster: bool('Use the API server of the cluster airlock runs in, with its CA.'),
    server: str('URL of another API server, https:// only.', { maxLength: 2048, pattern: '^https://[^\\s/?#]+(/[^\\s?#]*)?$' }),
    tls,
    serviceAccountName: objectName(
      "With inCluster: the ServiceAccount, in the Target's namespace, the sidecar acts as. The operator mints a token for it with the TokenRequest API each time a sidecar asks: for the API server's own audience, valid for tokenTTL, and dead once the agent pod is gone: bound to the pod when it runs as this ServiceAccount, otherwise to the empty Secret airlock-token-binding-<pod uid> that the operator creates owned by the pod, so it is deleted with the pod. Grant the ServiceAccount the Roles the agents may use; the agent container never sees its tokens.",
    ),
    tokenTTL: duration(
      'With serviceAccountName: how long a minted token lives, 10m to 1h. The sidecar asks for a new one before it expires, so this bounds how long a leaked token works while its pod lives (it stops working when the pod is gone), not how long a session lasts.',
      { default: '10m' },
    ),
  },
  {
    rules: [
      {
        rule: '(has(self.inCluster) && self.inCluster) != has(self.server)',
        message: 'set exactly one of inCluster: true or server',
      },
      {
        rule: '!has(self.serviceAccountName) || (has(self.inCluster) && self.inCluster)',
        message:
          'serviceAccountName needs inCluster: true (the operator mints tokens only for the cluster it runs in); for another server use a credentials Secret',
      },
      {
        rule: "!has(self.tokenTTL) || (duration(self.tokenTTL) >= duration('10m') && duration(self.tokenTTL) <= duration('1h'))",
        message: 'tokenTTL must be between 10m and 1h',
      },
    ],
  },
);

const spec = obj(
  'TargetSpec',
  'A resource agents may reach, and how the sidecar reaches it on their behalf.',
  {
    type: oneOf('The protocol, which decides which endpoint field is set. Immutable.', PROTOCOLS),
    description: str('What this target is, shown to reviewers.', { maxLength: 1024 }),
    localPort: int(
      'Port the sidecar listens on at 127.0.0.1 inside the agent pod. Unique among the targets of one pod; the sidecar keeps 15000-15099 for itself.',
      { minimum: 1024, maximum: 65535 },
    ),
    postgres,
    ssh,
    http,
    kubernetes,
    credentialsSecretRef: secretRef(
      'The Secret with the credentials for the target, in this namespace. Only the operator reads it; it is never mounted into agent pods. The keys each type needs are listed on its endpoint field.',
    ),
    maskingProfile: oneOf(
      'Value detectors applied to every response from this target, on top of the policy rules. none; pii: e-mail addresses, card numbers (Luhn-checked), national IDs; secrets: API keys, tokens, JWTs, private keys; strict: pii and secrets.',
      ['none', 'pii', 'secrets', 'strict'],
      { default: 'none' },
    ),
    recording: obj(
      'RecordingSettings',
      'How sessions to this target are recorded.',
      {
        onStoreFailure: oneOf(
          'Block: stop forwarding traffic while records cannot be stored (fail closed). Continue: keep forwarding and count the lost records.',
          ['Block', 'Continue'],
          { default: 'Block' },
        ),
        blockTimeout: duration(
          'Block: how long a statement (or a new session) waits for its records to be stored. When it passes, the agent gets an error (SQLSTATE 53100 or 58030), the statement is not forwarded and the session is closed. 100ms to 5m.',
          { default: '5s' },
        ),
        flushTimeout: duration(
          'How long the recorder of a closed session (or of a sidecar shutting down) keeps trying to store what is left; then the records are given up, counted lost and logged. 100ms to 10m.',
          { default: '10s' },
        ),
      },
      {
        rules: [
          {
            rule: "!has(self.blockTimeout) || (duration(self.blockTimeout) >= duration('100ms') && duration(self.blockTimeout) <= duration('5m'))",
            message: 'blockTimeout must be between 100ms and 5m',
          },
          {
            rule: "!has(self.flushTimeout) || (duration(self.flushTimeout) >= duration('100ms') && duration(self.flushTimeout) <= duration('10m'))",
            message: 'flushTimeout must be between 100ms and 10m',
          },
        ],
      },
    ),
  },
  {
    required: ['type', 'localPort'],
    rules: [
      ...PROTOCOLS.map((p) => ({
        rule: `has(self.${p}) == (self.type == '${p}')`,
        message: `spec.${p} is required when type is ${p}, and not allowed for any other type`,
      })),
      {
        rule: 'self.localPort < 15000 || self.localPort > 15099',
        message: 'localPort 15000-15099 is reserved for the sidecar; pick another port',
      },
      {
        rule: "self.type == 'http' || has(self.credentialsSecretRef) || (has(self.kubernetes) && has(self.kubernetes.serviceAccountName))",
        message:
          'credentialsSecretRef is required for postgres, ssh and kubernetes targets (a kubernetes target with serviceAccountName needs none)',
      },
      {
        // With both, which login the sidecar uses would be a guess.
        rule: '!(has(self.kubernetes) && has(self.kubernetes.serviceAccountName) && has(self.credentialsSecretRef))',
        message:
          'a kubernetes target with serviceAccountName takes no credentialsSecretRef (the operator mints its tokens): remove one of them',
      },
      {
        rule: "self.type != 'http' || !has(self.http.auth) || self.http.auth.type == 'none' || has(self.credentialsSecretRef)",
        message: 'http.auth needs credentialsSecretRef unless its type is none',
      },
      { rule: 'self.type == oldSelf.type', message: 'type is immutable: create a new Target for another protocol' },
    ],
  },
);

const status = obj('TargetStatus', 'What the operator last observed about the target.', {
  observedGeneration: observedGeneration(),
  endpoint: str('The endpoint in one line, for display.', { maxLength: 2048 }),
  conditions: conditions('Ready: the credentials Secret exists and has the keys the type needs.'),
});

export const target: CrdSource = {
  kind: 'Target',
  plural: 'targets',
  singular: 'target',
  listKind: 'TargetList',
  shortNames: ['tgt'],
  scope: 'Namespaced',
  description:
    'A resource agents may reach through the airlock sidecar: a PostgreSQL database, an SSH host, an HTTP service or a Kubernetes API.',
  spec,
  status,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Protocol.' },
    { name: 'Port', type: 'integer', jsonPath: '.spec.localPort', description: 'Sidecar port in the agent pod.' },
    { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', description: 'Where the sidecar connects.' },
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Credentials present and complete.',
    },
    AGE_COLUMN,
  ],
};
