import { MAX_DELEGATION_DEPTH } from './agent-identity.ts';
import {
  AGE_COLUMN,
  APPROVAL_SCOPES,
  approvers,
  bool,
  conditions,
  duration,
  GLOB_HELP,
  globs,
  int,
  list,
  obj,
  objectName,
  observedGeneration,
  oneOf,
  PROTOCOLS,
  readyColumn,
  ruleName,
  secretKeyRef,
  str,
  stringSet,
} from './common.ts';
import type { CrdSource, Schema } from './json-schema.ts';

export const ACTIONS = ['allow', 'deny', 'requireApproval'] as const;
export const SQL_STATEMENT_KINDS = [
  'read',
  'write',
  'ddl',
  'privilege',
  'dangerous',
  'transaction',
  'session',
  'admin',
  'unknown',
] as const;
export const MASKING_DETECTORS = ['email', 'cardNumber', 'nationalId', 'apiKey', 'jwt', 'privateKey'] as const;
export const MASKING_STRATEGIES = ['redact', 'partial', 'hash', 'null'] as const;
const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
/** Which way a file operation moves data, seen from the agent: download reads from the host, upload changes it. */
export const TRANSFER_DIRECTIONS = ['download', 'upload'] as const;
/** The verbs of Kubernetes resource requests; a non-resource request's method is read as one of them. */
export const KUBE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'] as const;
/** An API group as the API names it: a DNS subdomain, or '' for the core group. */
const API_GROUP = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$';

/** Lower and upper bound of every approval TTL and window; CEL compares them as durations. */
const MIN_TTL = '1m';
const MAX_TTL = '24h';

export const approvalSettings: Schema = obj(
  'ApprovalSettings',
  'Who must approve a held command, how many of them, how long the request waits, and what an approval covers.',
  {
    approvers: approvers('Who may approve. Requesters can never approve their own requests.'),
    requiredApprovals: int('How many distinct approvers must approve.', { minimum: 1, maximum: 10, default: 1 }),
    ttl: duration(`How long a request waits for approval before it expires, ${MIN_TTL} to ${MAX_TTL}.`, { default: '15m' }),
    scope: oneOf(
      'What an approval covers. once: this exact command, one execution; session: this command again in the same session; window: this command again by the same agent on the same target until the window closes.',
      APPROVAL_SCOPES,
      { default: 'once' },
    ),
    window: duration(`For scope window: how long the approval lasts after it is granted, ${MIN_TTL} to ${MAX_TTL}.`),
  },
  {
    required: ['approvers'],
    rules: [
      {
        rule: '(has(self.approvers.groups) && size(self.approvers.groups) > 0) || !has(self.requiredApprovals) || (has(self.approvers.users) && self.requiredApprovals <= size(self.approvers.users))',
        message: 'requiredApprovals is more than the approver users can give: add users or an approver group, or lower requiredApprovals',
      },
      {
        rule: `!has(self.ttl) || (duration(self.ttl) >= duration('${MIN_TTL}') && duration(self.ttl) <= duration('${MAX_TTL}'))`,
        message: `ttl must be between ${MIN_TTL} and ${MAX_TTL}`,
      },
      {
        rule: "(has(self.scope) && self.scope == 'window') == has(self.window)",
        message: 'window is required for scope window, and only for it',
      },
      {
        rule: `!has(self.window) || (duration(self.window) >= duration('${MIN_TTL}') && duration(self.window) <= duration('${MAX_TTL}'))`,
        message: `window must be between ${MIN_TTL} and ${MAX_TTL}`,
      },
    ],
  },
);

const sqlMatch = obj(
  'SQLMatch',
  'Matches SQL statements as the PostgreSQL parser sees them. Every field that is set must match. How a list matches depends on the action: an allow rule covers a statement only when every kind it has, every command, every object it touches and every function it calls is listed (a read that also writes is not covered by statementKinds [read]); deny and requireApproval rules match when any of them is listed. A field left unset does not constrain that facet. Several statements in one message are each decided; the strictest decision wins.',
  {
    statementKinds: stringSet(
      'What the statement does; a statement can be several kinds (a data-modifying CTE is read and write; SELECT nextval(...) is read and write). read: returns data and changes nothing. write: changes rows, sequences, locks or other sessions (any function not known to be read-only counts). ddl: changes the schema. privilege: changes who may do what, whose rights the session uses, or what an unqualified name means (GRANT, SET ROLE, SET search_path, RESET ALL). dangerous: reaches outside the database or into other sessions (server files and programs, backend signals, dblink), or makes the server read later statements differently from airlock (a client_encoding other than UTF8, standard_conforming_strings off). transaction: BEGIN, COMMIT, SET TRANSACTION. session: settings and prepared statements of this session. admin: maintenance and cluster-level commands. unknown: anything the classifier cannot place, including what does not parse; never allowed.',
      oneOf('A statement kind.', SQL_STATEMENT_KINDS),
      SQL_STATEMENT_KINDS.length,
    ),
    commands: stringSet(
      "Command tags, as PostgreSQL names them: SELECT, TRUNCATE TABLE, DROP TABLE, ALTER SYSTEM. For deny and requireApproval a tag's first words match it (TRUNCATE catches TRUNCATE TABLE, SELECT catches SELECT FOR UPDATE); an allow rule must name the whole tag.",
      str('A command tag.', { maxLength: 64, pattern: '^[A-Z]+( [A-Z]+)*$' }),
      64,
    ),
    objects: globs(
      'Tables, views and sequences touched, schema-qualified: public.orders, billing.*. A name the statement leaves unqualified is matched on the safe side: deny and requireApproval rules match it in any schema, allow rules only as public.',
    ),
    functions: globs(
      'Functions called: pg_terminate_backend, dblink*. A pattern without a schema catches the function in any schema for deny and requireApproval, and only the unqualified (built-in) name for allow.',
    ),
    writesWithoutWhere: bool('Matches UPDATE and DELETE without a WHERE clause.'),
  },
);

const sshMatch = obj(
  'SSHMatch',
  'Matches SSH channel requests. An exec command line is parsed with a real shell parser and decided program by program: every program it runs (in pipelines, lists, subshells, command and process substitutions, function bodies, and the payloads of sudo, env, xargs, find -exec, bash -c and other wrappers) is one operation with its own arguments, redirections and sudo, and the strictest decision governs the line, so a line is allowed only when every program in it is allowed. A line the parser cannot read completely (eval of run-time text, a program named by a variable, a script piped into a shell) is unknown and never allowed. File transfers are decided per operation: each SFTP request (sftp, and scp, which speaks SFTP by default) and each scp -t/-f or rsync --server command (what scp -O and rsync run on the host) is one file operation with its direction and the paths it touches. Every field that is set must match: for allow, every value (the program, each file written, each direction and path); for deny and requireApproval, any one. An allow rule covers only what it says: exec unless requestTypes names more, no file writes unless writes lists them, nothing run through sudo unless sudo is true, no file operation unless it sets directions or paths (and a rule that sets them covers only file operations and the opening of the subsystems it names), no port forwarding unless it names port-forward and lists destinations (and a rule with destinations covers only forwardings).',
  {
    requestTypes: stringSet(
      'exec: one command; shell: an interactive shell; subsystem: sftp and the like; port-forward: one connection forwarded by ssh -L or ssh -D (see destinations; ssh -R is always refused). An allow rule without requestTypes covers exec only (subsystem only when it sets subsystems). A shell is decided once, when it opens; an allow rule covers it only when it names shell and lists no programs, arguments or writes, because a shell runs whatever is typed.',
      oneOf('A request type.', ['exec', 'shell', 'subsystem', 'port-forward']),
      4,
    ),
    programs: globs(
      'Programs run by exec, after quote removal: rm, systemctl, /usr/bin/*. For allow, a pattern without / covers a bare name and a pattern with / a path it matches whole; for deny and requireApproval, a pattern matches the name as written or its base name (rm catches /bin/rm and \\rm), and a pattern with / catches a bare name by its base (/usr/bin/* catches ls, which could resolve there).',
    ),
    arguments: globs(
      'The arguments after the program, after quote removal, joined by single spaces: "restart orders", "status **". Text the shell fills in at run time ($VAR, $(...), file-name globs) could be anything: an allow pattern covers it only with **, a deny or requireApproval pattern always matches it.',
      64,
      1024,
    ),
    subsystems: globs('Subsystem names, for example sftp.'),
    writes: globs(
      'Files written through shell redirections (> >> &> >| <>), as written: /tmp/**, *.log. /dev/null, /dev/stdout, /dev/stderr and /dev/tty are not writes. An allow rule without writes covers no command that writes a file this way. Programs that write files themselves (cp, tee, dd) are matched by programs and arguments, not here.',
      64,
      1024,
    ),
    sudo: bool(
      'true: commands run as another user through sudo, su, doas, pkexec or runuser (root by default). An allow rule covers such commands only when it sets sudo: true; a deny or requireApproval rule with sudo: true matches only them.',
    ),
    directions: stringSet(
      'Directions of a file operation. download: reads file content or a directory listing from the host. upload: changes files on the host (writes or creates files, and removes, renames, links or changes attributes: whoever may write a file may also destroy it). An SFTP open for reading and writing is both; a lookup (SFTP stat, lstat, readlink, realpath, statvfs), which reads attributes or a name, is neither and is covered by any rule that covers its path. An allow rule covers a file operation only when every direction it has is listed; an allow rule that sets neither directions nor paths covers no file operation, so programs: [scp] alone allows no transfer.',
      oneOf('A direction.', TRANSFER_DIRECTIONS),
      TRANSFER_DIRECTIONS.length,
    ),
    paths: globs(
      'Paths a file operation touches, as the client names them with repeated / and . segments removed and no trailing /: /srv/drop/**, reports/*.csv. A pattern that ends in /** also covers the directory itself. A relative path is relative to the login directory and is matched as written (reports/** matches reports/q1.csv, /home/** does not). For allow, a path with a .. segment, or with text the shell fills in at run time (a glob, a variable, ~), is covered only by a pattern of nothing but ** (a symbolic link makes .. climb elsewhere than the text says); for deny and requireApproval, run-time text matches whatever it could be and a path with a .. segment matches every pattern. Paths are names, not resolved files: a symbolic link on the host under an allowed directory leads wherever it points. For scp and rsync the path is the file or directory named on the command line, and a recursive transfer touches everything below it. For allow every path must be listed (a rename names two), for deny and requireApproval any one.',
      64,
      1024,
    ),
    destinations: stringSet(
      'Where a port forwarding connects, as host:port: localhost:5432, db.internal:*, 10.0.0.*:443, [fd00::5]:22. Each connection forwarded by ssh -L or ssh -D is one operation of request type port-forward, decided when it opens. The host is matched as the agent wrote it, never resolved: a name never matches an address (localhost is not 127.0.0.1), case does not count, and an IPv6 address is compared in its shortest form. A host of only * is any host; otherwise * and ? stay within one label of a name or one number of an address (*.internal covers db.internal, not a.db.internal), and a pattern of digits, dots and wildcards covers only IPv4 addresses (10.0.0.* never covers a name). The port is a number or * (any port). An allow rule covers a forwarding only when it names port-forward in requestTypes and one of its destinations covers it; a rule with destinations covers nothing but forwardings. For deny and requireApproval * also crosses dots, and a host that could be an address written another way (127.1, 2130706433, 0x7f.0.0.1) matches every pattern; a deny rule cannot catch a name that resolves to an address it lists, so allow the destinations agents need rather than deny the others. A forwarding that needs approval is refused: a connection cannot wait for a reviewer.',
      str(
        'A destination, host:port (db.internal:5432, 10.0.0.*:443, [fd00::5]:*): the host a name, an IPv4 address or an IPv6 address in brackets, with * and ?; the port a number or *.',
        {
          minLength: 3,
          maxLength: 261,
          pattern: '^(\\[[0-9A-Fa-f:.*?]+\\]|[A-Za-z0-9_.*?-]+):(\\*|[0-9]{1,5})$',
        },
      ),
      64,
    ),
  },
  {
    rules: [
      {
        rule: '!has(self.sudo) || self.sudo',
        message: 'sudo: false says nothing (an allow rule never covers sudo unless it sets sudo: true): remove it',
      },
      {
        rule: "!(has(self.directions) || has(self.paths)) || !has(self.requestTypes) || self.requestTypes.exists(t, t == 'exec' || t == 'subsystem')",
        message:
          'directions and paths decide file transfers, which are exec commands (scp -t/-f, rsync --server) and sftp requests: name exec or subsystem in requestTypes, or leave requestTypes out',
      },
      {
        rule: "!has(self.destinations) || (has(self.requestTypes) && size(self.requestTypes) > 0 && self.requestTypes.all(t, t == 'port-forward'))",
        message:
          'destinations decide port forwardings and nothing else: set requestTypes to [port-forward], and write the rules for other requests apart',
      },
      {
        rule: '!has(self.destinations) || !(has(self.programs) || has(self.arguments) || has(self.writes) || has(self.subsystems) || has(self.directions) || has(self.paths) || has(self.sudo))',
        message:
          'a rule with destinations decides port forwardings, which run no program and touch no file: move programs, arguments, writes, subsystems, directions, paths and sudo to a rule of their own',
      },
    ],
  },
);

const httpMatch = obj(
  'HTTPMatch',
  'Matches HTTP requests. Every field that is set must match the request (a request has one method and one path, so allow and deny read lists the same way).',
  {
    methods: stringSet('Request methods.', oneOf('A method.', HTTP_METHODS), HTTP_METHODS.length),
    paths: globs('Request paths without the query string: /v1/users/*, /admin/**.', 64, 1024),
  },
);

const kubernetesMatch = obj(
  'KubernetesMatch',
  'Matches Kubernetes API requests, one request at a time, by the attributes the API server resolves for it: verb, API group, resource and subresource, namespace and name, or the path of a request that is not for a resource (discovery, /version, /metrics). Every field that is set must match: for allow, every facet of the request must be covered; for deny and requireApproval, any listed value matches. An allow rule covers only what it says: without verbs only get, list and watch; a subresource only through a pattern with a / (pods covers neither pods/exec nor pods/log, and unlike RBAC * covers no subresource); exec, attach, portforward, proxy, ephemeralcontainers and token only through a pattern that spells the subresource out (pods/exec, services/proxy), never through a wildcard or a rule without resources; with namespaces, a cluster-scoped request only when "" is listed and a request across all namespaces only with *; with names, a request that names no object only with *; a non-resource request only when the rule sets nonResourceURLs, except the discovery reads every client needs (GET and HEAD of /api, /api/*, /apis, /apis/*, /apis/*/*, /openapi/** and /version), which every allow rule without nonResourceURLs that covers get also covers. A request airlock cannot place is unknown and never allowed.',
  {
    verbs: stringSet(
      "API verbs, as the API server names them. A non-resource request's method is read as a verb: GET and HEAD as get, POST as create, PUT as update, PATCH as patch, DELETE as delete. exec, attach and portforward are create whatever the method (kubectl opens them with a POST or with a GET that upgrades to a WebSocket); deny and requireApproval rules also match them by the verb of the method. An allow rule without verbs covers get, list and watch only: every change must be named.",
      oneOf('A verb.', KUBE_VERBS),
      KUBE_VERBS.length,
    ),
    apiGroups: stringSet(
      'API groups, exactly as the API names them: "" is the core group (pods, secrets, namespaces), apps, rbac.authorization.k8s.io. No wildcards: leave apiGroups out to match every group.',
      str('An API group, or "" for the core group; no wildcards.', { maxLength: 253, pattern: API_GROUP }),
      32,
    ),
    resources: stringSet(
      'Resources, lower-case plural as in the API path, each with an optional /subresource: secrets, deployments, pods/exec, pods/*. A pattern without / names the resource: for allow it covers the resource alone (pods does not cover pods/exec, pods/log or pods/eviction; * covers no subresource), for deny and requireApproval it matches the resource with any subresource (secrets catches every request about Secrets). A pattern with / names subresources only, never the resource itself. exec, attach, portforward, proxy (they connect to a container, a port or a server behind the API), ephemeralcontainers (kubectl debug adds a container to a running pod) and token (it mints a service account token) an allow rule covers only when a pattern spells the subresource out: pods/exec, services/proxy; pods/* does not cover them.',
      str(`A resource pattern: resource or resource/subresource. ${GLOB_HELP}`, {
        minLength: 1,
        maxLength: 253,
        pattern: '^[^/]+(/[^/]+)?$',
      }),
      64,
    ),
    namespaces: stringSet(
      'Namespaces the request acts in: prod, team-*. "" stands for cluster scope (nodes, namespaces, ClusterRoles, CRDs, and every other cluster-scoped resource), which no other pattern matches: a rule with namespaces covers or catches a cluster-scoped request only when it lists "". A request across all namespaces (kubectl get pods -A) is covered for allow only by a pattern of nothing but *, and is caught for deny and requireApproval by every pattern other than "", as it includes the namespaces the pattern names. A request about a Namespace object itself (kubectl delete namespace prod) is in that namespace, as RBAC reads it.',
      str(`A namespace pattern, or "" for cluster scope. ${GLOB_HELP}`, { maxLength: 253 }),
      64,
    ),
    names: globs(
      'Object names: orders-db, web-*. A list or watch narrowed by fieldSelector=metadata.name= names that object. A request that names no object (list, watch, deletecollection, and create, whose name is in the body) is covered for allow only by a pattern of nothing but *, as it may touch objects the rule does not name, and is caught for deny and requireApproval by every pattern.',
    ),
    nonResourceURLs: globs(
      'Paths of requests that are not for a resource, without the query: /version, /healthz, /metrics, /openapi/**. A rule that sets nonResourceURLs matches only such requests, and sets no apiGroups, resources, namespaces or names. An allow rule without nonResourceURLs covers no non-resource request except the discovery reads (GET and HEAD of /api, /api/*, /apis, /apis/*, /apis/*/*, /openapi/** and /version: they tell which resources and schemas the server has, nothing about any object), and those only when it covers get.',
      64,
      1024,
    ),
  },
  {
    rules: [
      {
        rule: '!has(self.nonResourceURLs) || !(has(self.apiGroups) || has(self.resources) || has(self.namespaces) || has(self.names))',
        message:
          'nonResourceURLs match requests that are not for a resource, which have no API group, resource, namespace or name: write a rule of their own for them',
      },
    ],
  },
);

const match = obj(
  'RuleMatch',
  'What a rule applies to: commands of one protocol. An allow rule covers a command only when every facet of it (each statement kind, command, object and function; each program; each verb, resource and namespace) is listed by the fields it sets; deny and requireApproval rules match on any facet. A command that cannot be classified is never allowed. An empty match applies to every command (the operator warns about an allow rule without constraints).',
  { sql: sqlMatch, ssh: sshMatch, http: httpMatch, kubernetes: kubernetesMatch },
  {
    rules: [
      {
        rule: '(has(self.sql) ? 1 : 0) + (has(self.ssh) ? 1 : 0) + (has(self.http) ? 1 : 0) + (has(self.kubernetes) ? 1 : 0) <= 1',
        message: 'a rule matches one protocol: set at most one of sql, ssh, http, kubernetes',
      },
    ],
  },
);

const rule = obj(
  'PolicyRule',
  'One rule. The strictest rule that matches decides: a deny rule, else a requireApproval rule, else an allow rule that covers the whole command, else the default action. Order only picks which of several rules with the same action is named (and whose approval settings apply), so rule order never loosens a decision.',
  {
    name: ruleName('Rule name, unique in the policy; shown to agents and reviewers.'),
    description: str('Why the rule exists, shown to reviewers.', { maxLength: 1024 }),
    match,
    action: oneOf('allow: forward; deny: refuse with an error naming the rule; requireApproval: hold until approved.', ACTIONS),
    approval: approvalSettings,
    message: str('Added to what the agent is told when the rule denies or holds a command.', { maxLength: 1024 }),
  },
  {
    required: ['name', 'match', 'action'],
    rules: [
      {
        rule: "!has(self.approval) || self.action == 'requireApproval'",
        message: 'approval settings only apply to action requireApproval',
      },
    ],
  },
);

const maskingRule = obj(
  'MaskingRule',
  'Masks response values before the agent sees them. A value is masked when any selector matches.',
  {
    name: ruleName('Rule name, unique in the policy; recorded with each masked value.'),
    columns: globs('Column names in SQL results and keys in JSON responses, case-insensitive: email, *_email.'),
    tableColumns: globs('Schema-qualified columns: public.customers.email, billing.*.card_number.'),
    detectors: stringSet(
      'Built-in value detectors: email, cardNumber (Luhn-checked), nationalId, apiKey, jwt, privateKey.',
      oneOf('A detector.', MASKING_DETECTORS),
      MASKING_DETECTORS.length,
    ),
    patterns: stringSet(
      'Custom RE2 regular expressions a value must match (linear time; no backreferences or lookaround).',
      str('An RE2 expression.', { minLength: 1, maxLength: 512 }),
      16,
    ),
    strategy: oneOf(
      'redact: replace with ****; partial: keep some characters; hash: keyed hash, the same input gives the same output so joins still work; null: SQL NULL or JSON null.',
      MASKING_STRATEGIES,
      { default: 'redact' },
    ),
    keepFirst: int('For partial: characters kept at the start.', { minimum: 0, maximum: 16 }),
    keepLast: int('For partial: characters kept at the end.', { minimum: 0, maximum: 16 }),
  },
  {
    required: ['name'],
    rules: [
      {
        rule: 'has(self.columns) || has(self.tableColumns) || has(self.detectors) || has(self.patterns)',
        message: 'a masking rule needs at least one of columns, tableColumns, detectors, patterns',
      },
      {
        rule: "(has(self.strategy) && self.strategy == 'partial') == (has(self.keepFirst) || has(self.keepLast))",
        message: 'keepFirst and keepLast are for strategy partial, which needs at least one of them',
      },
    ],
  },
);

const selector = (title: string, what: string, extra: Record<string, Schema>): Schema =>
  obj(title, `Which ${what} the policy applies to: those matching any field. Absent: all in the namespace.`, {
    names: stringSet(`${what} names.`, objectName('A name.'), 64),
    matchLabels: {
      type: 'object',
      description: `Labels the ${what} carry, all of them.`,
      additionalProperties: { type: 'string', maxLength: 63 },
      maxProperties: 16,
    },
    ...extra,
  });

const spec = obj(
  'ApprovalPolicySpec',
  'What agents may do on targets: ordered rules, a default, approval settings and masking.',
  {
    description: str('What the policy is for.', { maxLength: 1024 }),
    mode: oneOf('enforce: act on decisions; audit: record what would have happened and allow.', ['enforce', 'audit'], {
      default: 'enforce',
    }),
    identities: selector('IdentitySelector', 'AgentIdentities', {
      groups: stringSet('Identity groups.', str('A group.', { maxLength: 63 }), 16),
    }),
    targets: selector('TargetSelector', 'Targets', {
      types: stringSet('Target types.', oneOf('A type.', PROTOCOLS), PROTOCOLS.length),
    }),
    delegationDepth: obj(
      'DelegationDepth',
      'Apply only to sessions this deep in a delegation chain or deeper: 0 is the agent itself, 1 a sub-agent it delegated to, and so on. Deeper sessions get every policy shallower ones get (there is no maximum), so with the strictest decision winning a sub-agent is never allowed what its parent is not. A policy with min 2 and defaultAction requireApproval holds every command of sub-sub-agents. Absent: every depth.',
      {
        min: int('Lowest depth, inclusive.', { minimum: 0, maximum: MAX_DELEGATION_DEPTH }),
      },
      { required: ['min'] },
    ),
    rules: {
      ...list('Rules; the strictest that matches decides, the first of equals is named.', rule, 128),
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
    defaultAction: oneOf('What happens when no rule matches. When several policies apply, the strictest decision wins.', ACTIONS, {
      default: 'deny',
    }),
    approval: approvalSettings,
    masking: obj(
      'MaskingSettings',
      'Response masking for the targets this policy applies to.',
      {
        rules: {
          ...list('Masking rules; all that match apply, the first decides the strategy.', maskingRule, 64),
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
        },
        hashKeySecretRef: secretKeyRef('Key for strategy hash. Rotating it changes every hashed value.'),
      },
      {
        rules: [
          {
            rule: "!has(self.rules) || !self.rules.exists(r, has(r.strategy) && r.strategy == 'hash') || has(self.hashKeySecretRef)",
            message: 'strategy hash needs masking.hashKeySecretRef',
          },
        ],
      },
    ),
  },
  {
    rules: [
      {
        rule: "!has(self.rules) || has(self.approval) || self.rules.all(r, r.action != 'requireApproval' || has(r.approval))",
        message: 'a rule with action requireApproval needs approval settings: on the rule or in spec.approval',
      },
      {
        rule: "!has(self.defaultAction) || self.defaultAction != 'requireApproval' || has(self.approval)",
        message: 'defaultAction requireApproval needs spec.approval',
      },
    ],
  },
);

const status = obj('ApprovalPolicyStatus', 'What the operator last observed about the policy.', {
  observedGeneration: observedGeneration(),
  ruleErrors: list(
    'Problems found compiling the rules; sidecars never receive a policy with errors.',
    obj('RuleError', 'One problem in one rule.', {
      rule: str('Rule name.', { maxLength: 63 }),
      field: str('Field path within the rule.', { maxLength: 256 }),
      message: str('What is wrong and how to fix it.', { maxLength: 1024 }),
    }),
    64,
  ),
  warnings: list(
    "What the policy does that its author may not intend: an allow rule without constraints, an allow SQL rule without statementKinds, defaultAction allow, a rule that never decides because another rule always overrides it, a rule for a protocol none of the policy's targets speaks. Warnings do not stop the policy from being served.",
    obj('PolicyWarning', 'One warning about one rule, or about the policy when rule is empty.', {
      rule: str('Rule name; empty for the policy as a whole.', { maxLength: 63 }),
      code: str('Stable code: AllowWithoutConstraints, AllowKindsUnconstrained, DefaultAllow, ShadowedRule, NoTargetForProtocol.', {
        maxLength: 64,
      }),
      message: str('What the rule does and how to change it.', { maxLength: 1024 }),
    }),
    64,
  ),
  conditions: conditions('Ready: every rule compiled and the policy is served to sidecars.'),
});

export const approvalPolicy: CrdSource = {
  kind: 'ApprovalPolicy',
  plural: 'approvalpolicies',
  singular: 'approvalpolicy',
  listKind: 'ApprovalPolicyList',
  shortNames: ['apol'],
  scope: 'Namespaced',
  description:
    'Decides, per command, whether agents may act on targets: allow, deny, or hold until humans approve; and which response fields are masked.',
  spec,
  status,
  printerColumns: [
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode', description: 'enforce or audit.' },
    { name: 'Default', type: 'string', jsonPath: '.spec.defaultAction', description: 'Action when no rule matches.' },
    { name: 'Rules', type: 'string', jsonPath: '.spec.rules[*].name', description: 'Rule names, in order.', priority: 1 },
    readyColumn('Compiled and served.'),
    AGE_COLUMN,
  ],
};
