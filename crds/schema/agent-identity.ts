import {
  AGE_COLUMN,
  bool,
  conditions,
  duration,
  glob,
  int,
  list,
  obj,
  objectName,
  observedGeneration,
  oneOf,
  PROTOCOLS,
  readyColumn,
  str,
  stringSet,
} from './common.ts';
import type { CrdSource } from './json-schema.ts';

const claimMatcher = obj(
  'ClaimMatcher',
  'A condition on one claim of the token. A claim holding a list matches when any element matches.',
  {
    claim: str('Claim name, for example repository or ref. Nested claims use dots: a.b.', {
      minLength: 1,
      maxLength: 128,
    }),
    equals: str('The claim must equal this value.', { maxLength: 1024 }),
    pattern: glob('The claim must match this pattern.', 1024),
  },
  {
    required: ['claim'],
    rules: [{ rule: 'has(self.equals) != has(self.pattern)', message: 'a claim matcher needs exactly one of equals or pattern' }],
  },
);

const oidc = obj(
  'OIDCIdentity',
  'Accept OIDC tokens the agent presents (the PostgreSQL or SSH password, or an HTTP bearer token) from this issuer: nested agents that carry their own identity, CI systems with OIDC. A token is accepted only from pods this identity selects (serviceAccountName and podSelector): replayed from any other pod it is refused.',
  {
    issuer: str('Issuer URL; must equal the iss claim. Discovery and keys are fetched from it.', {
      minLength: 9,
      maxLength: 1024,
      pattern: '^https://[^\\s?#]+$',
    }),
    jwksURL: str('Where to fetch the signing keys, when not from discovery.', {
      maxLength: 2048,
      pattern: '^https://[^\\s?#]+(\\?[^\\s#]*)?$',
    }),
    audiences: stringSet(
      'Accepted values of the aud claim; the token must carry at least one.',
      str('An audience.', { minLength: 1, maxLength: 512 }),
      8,
    ),
    claims: list('Conditions every accepted token meets, all of them.', claimMatcher, 16),
    onBehalfOfClaim: str(
      'Claim naming the human the agent acts for (for example actor or email). Shown on approval requests; that person may not approve them.',
      {
        minLength: 1,
        maxLength: 128,
      },
    ),
    required: bool(
      "Sessions are this identity only with a valid token: it is never a selected pod's identity without one (so several token identities may select the same pods, told apart by their tokens' claims). Without required, it is also the pod identity of the pods it selects.",
      {
        default: false,
      },
    ),
    maxTokenAge: str('Refuse tokens issued longer ago than this, whatever their expiry.', {
      maxLength: 32,
      pattern: '^([0-9]+(s|m|h))+$',
    }),
    caBundle: str(
      'PEM certificates of the CAs the operator trusts, on top of the system roots, for the HTTPS of this issuer (discovery and keys): for an in-house issuer whose certificate no public CA signed.',
      { minLength: 1, maxLength: 65536 },
    ),
  },
  { required: ['issuer', 'audiences'] },
);
oidc.properties!.audiences!.minItems = 1;

/** Deepest delegation chain the API allows at all; an identity may allow less. */
export const MAX_DELEGATION_DEPTH = 5;

const delegation = obj(
  'DelegationSettings',
  'Whether agents of this identity may hand sub-agents a narrower token (through their sidecar), and how far. Absent: they may not.',
  {
    maxDepth: int('How many hops a chain may have: 1 lets the agent delegate to sub-agents, 2 lets those delegate once more, and so on.', {
      minimum: 1,
      maximum: MAX_DELEGATION_DEPTH,
    }),
    maxTTL: duration('Longest lifetime of a delegated token; never longer than the token of the one delegating.', {
      default: '15m',
    }),
  },
  { required: ['maxDepth'] },
);

const spec = obj(
  'AgentIdentitySpec',
  'Which workloads are this agent, and which targets it may use.',
  {
    description: str('Who or what this agent is, shown to reviewers.', { maxLength: 1024 }),
    serviceAccountName: objectName(
      'Pods in this namespace running as this service account may be this agent: by pod identity, or, with oidc, by presenting a token this identity accepts.',
    ),
    podSelector: {
      type: 'object',
      description: 'Labels a pod must also carry to be this agent, to tell apart agents that share a service account.',
      additionalProperties: { type: 'string', maxLength: 63 },
      maxProperties: 16,
    },
    oidc,
    delegation,
    groups: stringSet(
      'Groups this agent belongs to; policies select identities by group.',
      str('A group name.', { minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$' }),
      16,
    ),
    targets: stringSet(
      'Names of the Targets, in this namespace, this agent may use. Nothing else is reachable.',
      objectName('A Target name.'),
      32,
    ),
  },
  {
    required: ['serviceAccountName', 'targets'],
  },
);
spec.properties!.targets!.minItems = 1;

const resolvedTarget = obj(
  'ResolvedTarget',
  'A target of this identity, as the operator found it.',
  {
    name: objectName('Target name.'),
    type: oneOf('Protocol.', PROTOCOLS),
    localPort: int('Sidecar port in the agent pod.', { minimum: 0, maximum: 65535 }),
    ready: bool('Whether the Target is Ready.'),
  },
  { required: ['name'] },
);

const status = obj('AgentIdentityStatus', 'What the operator last observed about the identity.', {
  observedGeneration: observedGeneration(),
  targets: {
    ...list('The targets this identity resolves to.', resolvedTarget, 32),
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['name'],
  },
  conditions: conditions('Ready: every listed Target exists and is Ready, and their ports do not clash.'),
});

export const agentIdentity: CrdSource = {
  kind: 'AgentIdentity',
  plural: 'agentidentities',
  singular: 'agentidentity',
  listKind: 'AgentIdentityList',
  shortNames: ['agent', 'agents', 'aid'],
  scope: 'Namespaced',
  description:
    'An autonomous workload airlock knows: the pods that are this agent (by service account, optionally narrowed by labels), the OIDC tokens it may present, its groups, and the targets it may reach.',
  spec,
  status,
  printerColumns: [
    { name: 'Service Account', type: 'string', jsonPath: '.spec.serviceAccountName', description: 'Pod identity.' },
    { name: 'Issuer', type: 'string', jsonPath: '.spec.oidc.issuer', description: 'OIDC issuer of tokens it presents.', priority: 1 },
    { name: 'Targets', type: 'string', jsonPath: '.spec.targets', description: 'Targets it may use.' },
    readyColumn('All targets resolved.'),
    AGE_COLUMN,
  ],
};
