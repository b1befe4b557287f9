/**
 * What differs between Target types, in one place: which ApprovalPolicy `match` section decides a
 * type's commands, which keys its credentials Secret holds, how its endpoint reads in status, what
 * the webhook gives the agent container to reach it, and whether this version's sidecar serves it.
 * The operator (readiness, broker, webhook, policy checks), the sidecar and airlock-policy-test
 * read these entries instead of switching on `spec.type` each on their own. Pure data and
 * functions of a TargetSpec.
 *
 * A new type in the Target CRD needs an entry here (the record below is keyed by every type, and
 * target-types.test.ts reads the type enum from the CRD schema).
 */
import type { RuleMatch, TargetSpec } from '@airlock/crds';
import { compileKubernetesMatch } from '../policy/kubernetes-match.ts';
import type { OperationFacts, RuleMatchCompiler } from '../policy/operation.ts';
import { compileSqlMatch } from '../policy/sql-match.ts';
import { compileSshMatch } from '../policy/ssh-match.ts';

export type TargetType = TargetSpec['type'];
/** A section of an ApprovalPolicy rule's `match`: each decides the commands of one Target type. */
export type MatchSection = keyof RuleMatch;

/** Alternatives of Secret keys: the credentials are complete with all keys of any one alternative. */
export type SecretKeyAlternatives = readonly (readonly string[])[];

export interface AgentEnvVar {
  readonly name: string;
  readonly value: string;
}

/** How the agent's tools reach a target of the type: always through the sidecar, at `host` (the pod's loopback). */
export interface AgentAccess {
  /** The value of AIRLOCK_<TARGET>_URL. */
  readonly url: (spec: TargetSpec, host: string) => string;
  /**
   * Variables that point the type's own client tools at the target without arguments (PGHOST, ...).
   * Given only when the pod reaches exactly one target of the type: a default cannot choose between two.
   */
  readonly soleTargetEnv?: (spec: TargetSpec, host: string) => readonly AgentEnvVar[];
  /**
   * Variables naming files the sidecar writes on the config volume (KUBECONFIG), given once when the
   * pod reaches any target of the type. `file` is relative to where the volume is mounted; the
   * value is the file's path, or what `value` makes of it (GIT_SSH_COMMAND=ssh -F <path>).
   */
  readonly configFileEnv?: readonly ConfigFileEnv[];
}

export interface ConfigFileEnv {
  readonly name: string;
  readonly file: string;
  readonly value?: (path: string) => string;
}

export interface TargetTypeFacts<T extends TargetType = TargetType> {
  readonly type: T;
  /** The rule `match` section whose rules decide this type's commands. */
  readonly matchSection: MatchSection;
  /** The keys the credentials Secret (spec.credentialsSecretRef) must hold; none: no Secret is needed. */
  readonly credentialKeys: (spec: TargetSpec) => SecretKeyAlternatives;
  /**
   * Keys of which the Secret may hold only one in each group: with two, which one the sidecar logs
   * in with would be a guess, so the Target is not Ready and the broker refuses its credentials.
   */
  readonly exclusiveKeys?: readonly (readonly string[])[];
  /** The endpoint in one line, as status.endpoint shows it. */
  readonly endpoint: (spec: TargetSpec) => string;
  readonly agent: AgentAccess;
  /** The sidecar and the agents share the config volume (the sidecar writes files the agent's tools read). */
  readonly needsConfigVolume: boolean;
  /** This version's sidecar serves targets of the type (listens for them, the broker hands out their credentials). */
  readonly served: boolean;
  /** The data path's bounds when the sidecar settings do not say otherwise; the sidecar documents each. */
  readonly defaultLimits?: Readonly<Record<string, number>>;
}

/** The file the sidecar writes the kubeconfig to, on the config volume. */
export const KUBECONFIG_FILE = 'kubeconfig';
/**
 * The files the sidecar writes for the agents' OpenSSH tools, on the config volume: a `Host` block
 * per SSH Target (`ssh <target-name>`) and the sidecar's host key for each of them.
 */
export const SSH_CONFIG_FILE = 'ssh_config';
export const SSH_KNOWN_HOSTS_FILE = 'known_hosts';
/**
 * Where the agent containers get the same ssh_config a second time, so that a plain
 * `ssh <target-name>` finds it: Debian's and Ubuntu's /etc/ssh/ssh_config (and Fedora's) include
 * /etc/ssh/ssh_config.d/*.conf. OpenSSH refuses an included file owned by another user than root
 * or the one running ssh, so this one comes from a downward API volume (the kubelet writes it as
 * root), not from the config volume the sidecar writes.
 */
export const SSH_CONFIG_INCLUDE_PATH = '/etc/ssh/ssh_config.d/airlock.conf';

/**
 * The PostgreSQL data path's bounds when the sidecar settings do not say otherwise (the settings
 * schema's defaults). The sidecar's PgLimits (protocols/postgres/limits/pg-limits.ts) says what
 * each one does; they are sized for the memory limit the webhook injects.
 */
export const POSTGRES_DEFAULT_LIMITS = {
  maxFrameBytes: 16 * 1024 * 1024,
  maxStatementBytes: 64 * 1024,
  connectTimeoutMs: 10_000,
  startupTimeoutMs: 30_000,
  maxConnections: 64,
  maxStartupConnections: 16,
  acceptRatePerSecond: 32,
  maxPendingBytes: 8 * 1024 * 1024,
  partialFrameTimeoutMs: 60_000,
  idleSessionTimeoutMs: 3_600_000,
  idleInTransactionTimeoutMs: 600_000,
  keepAliveMs: 60_000,
  maxPreparedStatements: 1000,
  maxPortals: 1000,
  maxPreparedBytes: 16 * 1024 * 1024,
} as const satisfies Readonly<Record<string, number>>;

const postgres: TargetTypeFacts<'postgres'> = {
  type: 'postgres',
  matchSection: 'sql',
  credentialKeys: () => [['username', 'password']],
  endpoint: (spec) => (spec.postgres ? `postgres://${spec.postgres.host}:${spec.postgres.port ?? 5432}/${spec.postgres.database}` : ''),
  agent: {
    url: (spec, host) => `postgresql://${host}:${spec.localPort}/${encodeURIComponent(spec.postgres?.database ?? '')}?sslmode=disable`,
    soleTargetEnv: (spec, host) => [
      { name: 'PGHOST', value: host },
      { name: 'PGPORT', value: String(spec.localPort) },
      { name: 'PGSSLMODE', value: 'disable' },
    ],
  },
  needsConfigVolume: false,
  served: true,
  defaultLimits: POSTGRES_DEFAULT_LIMITS,
};

const ssh: TargetTypeFacts<'ssh'> = {
  type: 'ssh',
  matchSection: 'ssh',
  credentialKeys: () => [
    ['username', 'privateKey'],
    ['username', 'password'],
    // The operator signs a login certificate per connection with it (contracts/src/ssh-certificates); the key itself is never served.
    ['username', 'certificateAuthorityKey'],
  ],
  exclusiveKeys: [['privateKey', 'password', 'certificateAuthorityKey']],
  endpoint: (spec) => (spec.ssh ? `ssh://${spec.ssh.host}:${spec.ssh.port ?? 22}` : ''),
  agent: {
    url: (spec, host) => `ssh://${host}:${spec.localPort}`,
    // git runs ssh with this; -F reads only the airlock file (the user's ~/.ssh/config is not read).
    configFileEnv: [{ name: 'GIT_SSH_COMMAND', file: SSH_CONFIG_FILE, value: (path) => `ssh -F ${path}` }],
  },
  needsConfigVolume: true,
  served: true,
};

const http: TargetTypeFacts<'http'> = {
  type: 'http',
  matchSection: 'http',
  credentialKeys: (spec) => {
    const auth = spec.http?.auth?.type ?? 'none';
    if (auth === 'bearer') return [['token']];
    if (auth === 'basic') return [['username', 'password']];
    if (auth === 'header') return [['value']];
    return [];
  },
  endpoint: (spec) => spec.http?.url ?? '',
  agent: { url: (spec, host) => `http://${host}:${spec.localPort}` },
  needsConfigVolume: false,
  served: false,
};

const kubernetes: TargetTypeFacts<'kubernetes'> = {
  type: 'kubernetes',
  matchSection: 'kubernetes',
  // With serviceAccountName the operator mints a token per agent pod (TokenRequest): no Secret at all.
  credentialKeys: (spec) => (spec.kubernetes?.serviceAccountName ? [] : [['token'], ['tls.crt', 'tls.key']]),
  // A token and a client certificate: which one the sidecar logs in as would be a guess.
  exclusiveKeys: [['token', 'tls.crt']],
  endpoint: (spec) => (spec.kubernetes ? (spec.kubernetes.inCluster ? 'in-cluster' : (spec.kubernetes.server ?? '')) : ''),
  agent: {
    url: (spec, host) => `http://${host}:${spec.localPort}`,
    configFileEnv: [{ name: 'KUBECONFIG', file: KUBECONFIG_FILE }],
  },
  needsConfigVolume: true,
  served: true,
};

/** Every Target type's entry, in the order the CRD lists the types. */
export const TARGET_TYPE_FACTS: { readonly [T in TargetType]: TargetTypeFacts<T> } = { postgres, ssh, http, kubernetes };

export const TARGET_TYPES: readonly TargetType[] = Object.values(TARGET_TYPE_FACTS).map((facts) => facts.type);

/** The types this version's sidecar serves; a Target of another type is skipped with a warning. */
export const SERVED_TARGET_TYPES: readonly TargetType[] = TARGET_TYPES.filter((type) => TARGET_TYPE_FACTS[type].served);

/**
 * The keys of the first exclusiveKeys group of which the Secret holds more than one (in the group's
 * order), or undefined when it holds at most one of each group.
 */
export function conflictingKeys(type: TargetType, present: Iterable<string>): readonly string[] | undefined {
  const have = new Set(present);
  for (const group of TARGET_TYPE_FACTS[type].exclusiveKeys ?? []) {
    const held = group.filter((key) => have.has(key));
    if (held.length > 1) return held;
  }
  return undefined;
}

/** The rule `match` sections, in the order of the types they decide. */
export const MATCH_SECTIONS: readonly MatchSection[] = TARGET_TYPES.map((type) => TARGET_TYPE_FACTS[type].matchSection);

/** The Target type whose commands the rules of each `match` section decide. */
export const TARGET_TYPE_OF_MATCH_SECTION = Object.fromEntries(
  TARGET_TYPES.map((type) => [TARGET_TYPE_FACTS[type].matchSection, type]),
) as Readonly<Record<MatchSection, TargetType>>;

/**
 * How a policy's rules compile for each `match` section that has a matcher in this version; a
 * policy is checked with every one of them (policy/compile-problems.ts).
 */
export const RULE_MATCH_COMPILERS: { readonly [S in MatchSection]?: RuleMatchCompiler<OperationFacts> } = {
  sql: compileSqlMatch,
  ssh: compileSshMatch,
  kubernetes: compileKubernetesMatch,
};
