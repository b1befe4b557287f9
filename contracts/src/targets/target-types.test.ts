/**
 * The entries against the CRD schema they describe: a type added to the Target CRD without an
 * entry, or a rule `match` section without a type, fails here rather than in a switch somewhere.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SOURCES, type TargetSpec } from '@airlock/crds';
import {
  conflictingKeys,
  MATCH_SECTIONS,
  POSTGRES_DEFAULT_LIMITS,
  RULE_MATCH_COMPILERS,
  SERVED_TARGET_TYPES,
  TARGET_TYPE_FACTS,
  TARGET_TYPE_OF_MATCH_SECTION,
  TARGET_TYPES,
} from './index.ts';

type Schema = (typeof SOURCES)[number]['spec'];

const source = (kind: string) => {
  const found = SOURCES.find((s) => s.kind === kind);
  assert.ok(found, `no CRD source of kind ${kind}`);
  return found;
};

/** The first schema titled `title` under `schema`, depth first. */
function titled(schema: Schema, title: string): Schema | undefined {
  if (schema.title === title) return schema;
  for (const child of [...Object.values(schema.properties ?? {}), ...(schema.items ? [schema.items] : [])]) {
    const found = titled(child, title);
    if (found) return found;
  }
  return undefined;
}

const targetSpecSchema = source('Target').spec;
const crdTypes = (targetSpecSchema.properties?.type?.enum ?? []).map(String);

test('every Target type of the CRD schema has an entry, in the schema order, and no other type does', () => {
  assert.ok(crdTypes.length > 0, 'TargetSpec.type has no enum in the CRD schema');
  assert.deepEqual([...TARGET_TYPES], crdTypes);
  assert.deepEqual(Object.keys(TARGET_TYPE_FACTS), crdTypes);
  for (const type of TARGET_TYPES) assert.equal(TARGET_TYPE_FACTS[type].type, type);
});

test('each rule match section decides exactly one Target type, and every section of the CRD has one', () => {
  const ruleMatch = titled(source('ApprovalPolicy').spec, 'RuleMatch');
  assert.ok(ruleMatch?.properties, 'no RuleMatch schema in the ApprovalPolicy CRD');
  assert.equal(new Set(MATCH_SECTIONS).size, MATCH_SECTIONS.length, `duplicate match sections: ${MATCH_SECTIONS.join(', ')}`);
  assert.deepEqual([...MATCH_SECTIONS].sort(), Object.keys(ruleMatch.properties).sort());
  assert.deepEqual(MATCH_SECTIONS, ['sql', 'ssh', 'http', 'kubernetes']);
  for (const type of TARGET_TYPES) assert.equal(TARGET_TYPE_OF_MATCH_SECTION[TARGET_TYPE_FACTS[type].matchSection], type);
  assert.equal(TARGET_TYPE_OF_MATCH_SECTION.sql, 'postgres');
});

test('this version serves postgres, ssh and kubernetes, and every served type has a rule matcher', () => {
  assert.deepEqual(SERVED_TARGET_TYPES, ['postgres', 'ssh', 'kubernetes']);
  assert.deepEqual(Object.keys(RULE_MATCH_COMPILERS), ['sql', 'ssh', 'kubernetes']);
  assert.equal(TARGET_TYPE_FACTS.http.served, false);
  for (const type of SERVED_TARGET_TYPES) {
    const facts = TARGET_TYPE_FACTS[type];
    assert.equal(typeof RULE_MATCH_COMPILERS[facts.matchSection], 'function', `${type}: no compiler for match.${facts.matchSection}`);
  }
  // The SSH and Kubernetes data paths keep their bounds with their listeners (the sidecar's
  // ssh-limits.ts and core/http/http-limits.ts); only PostgreSQL's are settings here.
  assert.deepEqual(
    SERVED_TARGET_TYPES.filter((type) => !TARGET_TYPE_FACTS[type].defaultLimits),
    ['ssh', 'kubernetes'],
  );
  assert.equal(TARGET_TYPE_FACTS.postgres.defaultLimits, POSTGRES_DEFAULT_LIMITS);
  for (const [name, value] of Object.entries(POSTGRES_DEFAULT_LIMITS)) {
    assert.ok(Number.isSafeInteger(value) && value >= 0, `${name}: ${value}`);
  }
});

test('a type whose agents read files from the config volume gets the volume', () => {
  for (const type of TARGET_TYPES) {
    const { agent, needsConfigVolume } = TARGET_TYPE_FACTS[type];
    if ((agent.configFileEnv ?? []).length > 0) assert.ok(needsConfigVolume, type);
  }
  assert.deepEqual(
    TARGET_TYPES.filter((type) => TARGET_TYPE_FACTS[type].needsConfigVolume),
    ['ssh', 'kubernetes'],
  );
  const git = TARGET_TYPE_FACTS.ssh.agent.configFileEnv?.[0];
  assert.deepEqual(
    [git?.name, git?.file, git?.value?.('/var/run/airlock/ssh_config')],
    ['GIT_SSH_COMMAND', 'ssh_config', 'ssh -F /var/run/airlock/ssh_config'],
  );
});

test('the credential keys of each type are the ones its CRD field documents', () => {
  const specs: TargetSpec[] = [
    ...TARGET_TYPES.map((type): TargetSpec => ({ type, localPort: 5432 })),
    ...(['none', 'bearer', 'basic', 'header'] as const).map(
      (auth): TargetSpec => ({ type: 'http', localPort: 8080, http: { url: 'https://api.example', auth: { type: auth } } }),
    ),
  ];
  for (const spec of specs) {
    const documented = JSON.stringify(targetSpecSchema.properties?.[spec.type]);
    for (const key of TARGET_TYPE_FACTS[spec.type].credentialKeys(spec).flat()) {
      assert.ok(documented.includes(key), `${spec.type}: key ${key} is not named in the CRD's spec.${spec.type}`);
    }
  }
  assert.deepEqual(TARGET_TYPE_FACTS.postgres.credentialKeys({ type: 'postgres', localPort: 5432 }), [['username', 'password']]);
  assert.deepEqual(TARGET_TYPE_FACTS.ssh.credentialKeys({ type: 'ssh', localPort: 2222 }), [
    ['username', 'privateKey'],
    ['username', 'password'],
    ['username', 'certificateAuthorityKey'],
  ]);
});

test('exclusive keys: each is a key of the type, and a Secret holding two of a group conflicts', () => {
  for (const type of TARGET_TYPES) {
    const keys = new Set(TARGET_TYPE_FACTS[type].credentialKeys({ type, localPort: 5432 }).flat());
    for (const group of TARGET_TYPE_FACTS[type].exclusiveKeys ?? []) {
      assert.ok(group.length > 1, `${type}: a group of one key excludes nothing`);
      for (const key of group) assert.ok(keys.has(key), `${type}: exclusive key ${key} is not a credential key`);
    }
  }
  assert.deepEqual(conflictingKeys('ssh', ['username', 'password', 'privateKey']), ['privateKey', 'password']);
  assert.equal(conflictingKeys('ssh', ['username', 'privateKey']), undefined);
  assert.equal(conflictingKeys('ssh', ['username', 'password']), undefined);
  assert.equal(conflictingKeys('ssh', ['username', 'certificateAuthorityKey']), undefined);
  assert.deepEqual(conflictingKeys('ssh', ['certificateAuthorityKey', 'password']), ['password', 'certificateAuthorityKey']);
  assert.deepEqual(conflictingKeys('ssh', ['certificateAuthorityKey', 'password', 'privateKey']), [
    'privateKey',
    'password',
    'certificateAuthorityKey',
  ]);
  assert.equal(conflictingKeys('postgres', ['username', 'password', 'privateKey']), undefined);
});

test('each type reads as its endpoint and its local URL', () => {
  const host = '127.0.0.1';
  const cases: readonly { spec: TargetSpec; endpoint: string; url: string }[] = [
    {
      spec: { type: 'postgres', localPort: 15432, postgres: { host: 'db.example', database: 'orders' } },
      endpoint: 'postgres://db.example:5432/orders',
      url: 'postgresql://127.0.0.1:15432/orders?sslmode=disable',
    },
    {
      spec: { type: 'ssh', localPort: 2222, ssh: { host: 'bastion.example', port: 2200, hostKeys: ['ssh-ed25519 AAAA'] } },
      endpoint: 'ssh://bastion.example:2200',
      url: 'ssh://127.0.0.1:2222',
    },
    {
      spec: { type: 'http', localPort: 8080, http: { url: 'https://api.example/v1' } },
      endpoint: 'https://api.example/v1',
      url: 'http://127.0.0.1:8080',
    },
    {
      spec: { type: 'kubernetes', localPort: 6443, kubernetes: { inCluster: true } },
      endpoint: 'in-cluster',
      url: 'http://127.0.0.1:6443',
    },
  ];
  assert.deepEqual(
    cases.map((c) => c.spec.type),
    [...TARGET_TYPES],
    'a case for every type',
  );
  for (const { spec, endpoint, url } of cases) {
    const facts = TARGET_TYPE_FACTS[spec.type];
    assert.equal(facts.endpoint(spec), endpoint);
    assert.equal(facts.agent.url(spec, host), url);
  }
});
