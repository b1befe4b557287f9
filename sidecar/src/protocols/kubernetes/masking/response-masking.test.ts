import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REDACTED } from '@airlock/contracts/masking';
import { type MaskedRequest, maskKubernetesObject, responseMaskingFor } from './response-masking.ts';
import {
  type ApiJson,
  b64,
  compiledRules,
  configMap,
  lastAppliedSecret,
  pod,
  SECRET_VALUES,
  secretList,
  secretObject,
  secretTable,
  unb64,
} from './testing/api-objects.ts';
import { assertNoLeak } from './testing/leak-check.ts';

const SECRETS: MaskedRequest['resource'] = { apiGroup: '', resource: 'secrets', subresource: '', verb: 'get' };
const PODS: MaskedRequest['resource'] = { apiGroup: '', resource: 'pods', subresource: '', verb: 'get' };
const CONFIGMAPS: MaskedRequest['resource'] = { apiGroup: '', resource: 'configmaps', subresource: '', verb: 'get' };
const JSON_TYPE = 'application/json';
const MASKED = b64(REDACTED);
const ALL_SECRET_VALUES = Object.values(SECRET_VALUES);

function maskJson(request: MaskedRequest, value: unknown) {
  const masking = responseMaskingFor(request);
  assert.ok(masking, 'expected a masking plan');
  const result = masking.maskBody(Buffer.from(`${JSON.stringify(value)}\n`), JSON_TYPE);
  const text = result.body.toString('utf8');
  assert.ok(text.endsWith('\n'), 'the trailing newline of the API server is kept');
  return { text, object: JSON.parse(text) as ApiJson, counts: { ...result.counts } };
}

describe('responseMaskingFor: which responses get a masking', () => {
  test('no plan for pods, deployments or discovery without rules', () => {
    assert.equal(responseMaskingFor({ resource: PODS }), undefined);
    assert.equal(
      responseMaskingFor({ resource: { apiGroup: 'apps', resource: 'deployments', subresource: 'scale', verb: 'update' } }),
      undefined,
    );
    assert.equal(responseMaskingFor({}), undefined);
    assert.equal(responseMaskingFor({ resource: PODS, rules: [] }), undefined);
  });
  test('secrets always, any verb and subresource; only in the core group', () => {
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'])
      assert.ok(responseMaskingFor({ resource: { ...SECRETS, verb } }), verb);
    assert.ok(responseMaskingFor({ resource: { ...SECRETS, subresource: 'status' } }));
    assert.equal(responseMaskingFor({ resource: { ...SECRETS, apiGroup: 'example.com' } }), undefined);
  });
  test('with rules every resource response, but not non-resource requests', () => {
    const rules = compiledRules([{ name: 'r', detectors: ['email'] }]);
    assert.ok(responseMaskingFor({ resource: PODS, rules }));
    assert.equal(responseMaskingFor({ rules }), undefined);
  });
  test('rules that select nothing in JSON (tableColumns only) count as none', () => {
    assert.equal(
      responseMaskingFor({ resource: PODS, rules: compiledRules([{ name: 'r', tableColumns: ['public.users.email'] }]) }),
      undefined,
    );
  });
});

describe('Secrets', () => {
  test('a Secret: every data value becomes base64 of ****, counted; the rest is intact', () => {
    const input = secretObject();
    const { object, text, counts } = maskJson({ resource: SECRETS }, input);
    assert.deepEqual(object.data, { password: MASKED, username: MASKED });
    assert.equal(unb64(object.data.password), REDACTED);
    assert.deepEqual(counts, { 'kubernetes:secret-data': 2 });
    assert.deepEqual(object.metadata, input.metadata);
    assert.equal(object.type, 'Opaque');
    assertNoLeak(text, ALL_SECRET_VALUES);
  });

  test('a Secret is recognized by its kind in any response (a pods request with rules)', () => {
    const { object } = maskJson({ resource: PODS, rules: compiledRules([{ name: 'r', detectors: ['email'] }]) }, secretObject());
    assert.deepEqual(object.data, { password: MASKED, username: MASKED });
  });

  test('stringData values are masked as text; null values stay null; empty ones are masked too', () => {
    const input = { ...secretObject(), data: { empty: '', gone: null }, stringData: { token: 'abc123', empty: '' } };
    const { object, counts } = maskJson({ resource: { ...SECRETS, verb: 'create' } }, input);
    assert.deepEqual(object.stringData, { token: REDACTED, empty: REDACTED });
    assert.deepEqual(object.data, { empty: MASKED, gone: null });
    assert.deepEqual(counts, { 'kubernetes:secret-data': 3 });
  });

  test('a SecretList: items carry no kind and are masked', () => {
    const { object, text, counts } = maskJson({ resource: { ...SECRETS, verb: 'list' } }, secretList());
    for (const item of object.items) assert.deepEqual(item.data, { password: MASKED, username: MASKED });
    assert.deepEqual(object.metadata, { resourceVersion: '4712' });
    assert.equal(counts['kubernetes:secret-data'], 4);
    assertNoLeak(text, ALL_SECRET_VALUES);
  });

  test('a SecretList is masked even when the request is not for secrets (kindless items of a SecretList)', () => {
    const { object } = maskJson({ resource: CONFIGMAPS, rules: compiledRules([{ name: 'r', detectors: ['jwt'] }]) }, secretList());
    for (const item of object.items) assert.deepEqual(item.data, { password: MASKED, username: MASKED });
  });

  test('in a secrets request a kindless object is a Secret', () => {
    const { object } = maskJson({ resource: SECRETS }, secretObject('x', { kind: false }));
    assert.deepEqual(object.data, { password: MASKED, username: MASKED });
  });

  test('last-applied-configuration: parsed, its data masked, written back as compact JSON with the newline', () => {
    const { object, text, counts } = maskJson({ resource: SECRETS }, secretObject('db', { lastApplied: lastAppliedSecret() }));
    const annotation: string = object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
    assert.ok(annotation.endsWith('}\n'));
    const applied = JSON.parse(annotation);
    assert.deepEqual(applied.data, { password: MASKED, username: MASKED });
    assert.equal(applied.metadata.name, 'db-credentials');
    assert.equal(counts['kubernetes:secret-data'], 4);
    assertNoLeak(text, ALL_SECRET_VALUES);
  });

  test('last-applied-configuration that does not parse is replaced whole', () => {
    const broken = `{"apiVersion":"v1","data":{"password":"${b64(SECRET_VALUES.password)}"`;
    const { object, text } = maskJson({ resource: SECRETS }, secretObject('db', { lastApplied: broken }));
    assert.equal(object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], REDACTED);
    assertNoLeak(text, ALL_SECRET_VALUES);
  });

  test('Table with includeObject=Object: row objects are Secrets; cells and column definitions untouched', () => {
    const input = secretTable('Object');
    const { object, text } = maskJson({ resource: { ...SECRETS, verb: 'list' } }, input);
    assert.deepEqual(object.columnDefinitions, input.columnDefinitions);
    assert.deepEqual(object.rows[0].cells, ['db-credentials', 'Opaque', 2, '5m']);
    assert.deepEqual(object.rows[0].object.data, { password: MASKED, username: MASKED });
    assertNoLeak(text, ALL_SECRET_VALUES);
  });

  test('Table with includeObject=Metadata: the PartialObjectMetadata last-applied annotation is masked', () => {
    const { object, text } = maskJson({ resource: { ...SECRETS, verb: 'list' } }, secretTable('Metadata'));
    assert.equal(object.rows[0].object.kind, 'PartialObjectMetadata');
    const applied = JSON.parse(object.rows[0].object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.deepEqual(applied.data, { password: MASKED, username: MASKED });
    assertNoLeak(text, ALL_SECRET_VALUES);
  });

  test('a policy column rule on a data key decides its strategy: hash and partial of the decoded value, null', () => {
    const rules = compiledRules([
      { name: 'hash-user', columns: ['username'], strategy: 'hash' },
      { name: 'partial-pw', columns: ['pass*'], strategy: 'partial', keepLast: 2 },
      { name: 'null-token', columns: ['token'], strategy: 'null' },
    ]);
    const input = { ...secretObject(), data: { ...(secretObject().data as object), token: b64('t0ken'), other: b64('x') } };
    const { object, counts } = maskJson({ resource: SECRETS, rules }, input);
    assert.match(unb64(object.data.username), /^h:[0-9a-f]{16}$/);
    assert.equal(unb64(object.data.password), `${'*'.repeat(SECRET_VALUES.password.length - 2)}d!`);
    assert.equal(object.data.token, null);
    assert.equal(object.data.other, MASKED);
    assert.deepEqual(counts, { 'p/hash-user': 1, 'p/partial-pw': 1, 'p/null-token': 1, 'kubernetes:secret-data': 1 });
  });

  test('a Status answer (delete) passes unchanged, as the same bytes', () => {
    const masking = responseMaskingFor({ resource: { ...SECRETS, verb: 'delete' } })!;
    const body = Buffer.from(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","details":{"name":"db","kind":"secrets"}}\n',
    );
    const result = masking.maskBody(body, JSON_TYPE);
    assert.equal(result.body, body);
    assert.deepEqual({ ...result.counts }, {});
  });
});

describe('policy rules', () => {
  test('ConfigMap data: column rules mask whole values, detectors mask spans, keys are kept', () => {
    const rules = compiledRules([
      { name: 'passwords', columns: ['*password*'] },
      { name: 'emails', detectors: ['email'], strategy: 'partial', keepFirst: 1 },
    ]);
    const { object, counts } = maskJson({ resource: CONFIGMAPS, rules }, configMap());
    assert.deepEqual(object.data, { db_password: REDACTED, log_level: 'debug', 'admin.email': 'o**************', max_connections: '20' });
    assert.equal(object.metadata.annotations['shop.example/owner'], 'contact c**************** for changes');
    assert.deepEqual(counts, { 'p/passwords': 1, 'p/emails': 2 });
  });

  test('env vars: a column rule matches the name of a name/value pair, detectors scan every value', () => {
    const rules = compiledRules([{ name: 'pw', columns: ['*password*'] }], 'pii');
    const { object, counts } = maskJson({ resource: PODS, rules }, pod());
    const env = object.spec.containers[0].env;
    assert.deepEqual(env[0], { name: 'DB_PASSWORD', value: REDACTED });
    assert.deepEqual(env[1], { name: 'ADMIN_EMAIL', value: REDACTED });
    assert.deepEqual(env[2], { name: 'LOG_LEVEL', value: 'info' });
    assert.deepEqual(env[3], { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api-token', key: 'token' } } });
    assert.deepEqual(counts, { 'p/pw': 1, 'profile:pii': 1 });
  });

  test('array elements take the array key', () => {
    const { object } = maskJson({ resource: PODS, rules: compiledRules([{ name: 'a', columns: ['args'] }]) }, pod());
    assert.deepEqual(object.spec.containers[0].args, [REDACTED, REDACTED]);
  });

  test('numbers and booleans a column rule selects become null; others are untouched', () => {
    const rules = compiledRules([{ name: 'n', columns: ['containerport', 'hostnetwork'], strategy: 'hash' }]);
    const { object, counts } = maskJson({ resource: PODS, rules }, pod());
    assert.equal(object.spec.containers[0].ports[0].containerPort, null);
    assert.equal(object.spec.hostNetwork, null);
    assert.equal(object.spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(counts, { 'p/n': 2 });
  });

  test('apiVersion, kind, resourceVersion and list metadata are never masked, even by a * rule', () => {
    const rules = compiledRules([{ name: 'all', columns: ['*'] }]);
    const list = { kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '9', continue: 'abc' }, items: [configMap()] };
    const { object } = maskJson({ resource: { ...CONFIGMAPS, verb: 'list' }, rules }, list);
    assert.deepEqual(object.metadata, { resourceVersion: '9', continue: 'abc' });
    assert.equal(object.items[0].kind, 'ConfigMap');
    assert.equal(object.items[0].apiVersion, 'v1');
    assert.equal(object.items[0].metadata.resourceVersion, '812');
    assert.equal(object.items[0].metadata.name, REDACTED);
    assert.equal(object.items[0].data.log_level, REDACTED);
  });

  test('Table: cells match their column name, column definitions stay, the row object is masked too', () => {
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '5' },
      columnDefinitions: [
        { name: 'Name', type: 'string', format: 'name', description: 'Name', priority: 0 },
        { name: 'Owner', type: 'string', format: '', description: 'Owner e-mail, e.g. ops@example.com', priority: 0 },
        { name: 'Data', type: 'integer', format: '', description: 'Data', priority: 0 },
      ],
      rows: [{ cells: ['app-config', 'ops@example.com', 4], object: configMap() }],
    };
    const rules = compiledRules([
      { name: 'names', columns: ['name'] },
      { name: 'e', detectors: ['email'] },
    ]);
    const { object } = maskJson({ resource: { ...CONFIGMAPS, verb: 'list' }, rules }, table);
    assert.deepEqual(object.columnDefinitions, table.columnDefinitions);
    assert.deepEqual(object.rows[0].cells, [REDACTED, REDACTED, 4]);
    assert.equal(object.rows[0].object.metadata.name, REDACTED);
    assert.equal(object.rows[0].object.data['admin.email'], REDACTED);
  });

  test('a Status message is scanned by detectors', () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'user ops@example.com is forbidden',
      reason: 'Forbidden',
      code: 403,
    };
    const { object } = maskJson({ resource: PODS, rules: compiledRules([{ name: 'e', detectors: ['email'] }]) }, status);
    assert.equal(object.message, `user ${REDACTED} is forbidden`);
    assert.equal(object.code, 403);
  });

  test("a ConfigMap's last-applied annotation is masked like the ConfigMap", () => {
    const cm = configMap();
    const applied = `${JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', data: cm.data, metadata: { name: 'app-config' } })}\n`;
    (cm.metadata as ApiJson).annotations['kubectl.kubernetes.io/last-applied-configuration'] = applied;
    const { object } = maskJson({ resource: CONFIGMAPS, rules: compiledRules([{ name: 'pw', columns: ['*password*'] }]) }, cm);
    const masked = JSON.parse(object.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(masked.data.db_password, REDACTED);
    assert.equal(masked.data.log_level, 'debug');
  });

  test('a key "__proto__" is masked like any other', () => {
    const rules = compiledRules([{ name: 'e', detectors: ['email'] }]);
    const body = Buffer.from('{"kind":"ConfigMap","apiVersion":"v1","data":{"__proto__":"ops@example.com"}}');
    const out = responseMaskingFor({ resource: CONFIGMAPS, rules })!.maskBody(body, JSON_TYPE).body.toString();
    assert.equal(out, `{"kind":"ConfigMap","apiVersion":"v1","data":{"__proto__":"${REDACTED}"}}`);
  });

  test('nothing matched: the same Buffer comes back', () => {
    const body = Buffer.from(JSON.stringify(pod()));
    const result = responseMaskingFor({ resource: PODS, rules: compiledRules([{ name: 'e', detectors: ['jwt'] }]) })!.maskBody(
      body,
      JSON_TYPE,
    );
    assert.equal(result.body, body);
  });

  test('numbers a double cannot hold keep their text when the body is rewritten', () => {
    const rules = compiledRules([{ name: 'e', detectors: ['email'] }]);
    const body = Buffer.from(
      '{"kind":"Widget","apiVersion":"example.com/v1","spec":{"big":12345678901234567890,"ratio":1.50,"exp":1e3,"owner":"a@example.com"}}',
    );
    const out = responseMaskingFor({ resource: PODS, rules })!.maskBody(body, JSON_TYPE).body.toString();
    assert.equal(
      out,
      `{"kind":"Widget","apiVersion":"example.com/v1","spec":{"big":12345678901234567890,"ratio":1.50,"exp":1e3,"owner":"${REDACTED}"}}`,
    );
  });
});

describe('errors', () => {
  const masking = responseMaskingFor({ resource: SECRETS })!;
  test('a content type that is not JSON: NotJson', () => {
    assert.throws(() => masking.maskBody(Buffer.from('x'), 'application/vnd.kubernetes.protobuf'), { code: 'NotJson' });
    assert.throws(() => masking.maskBody(Buffer.from('{}'), undefined), { code: 'NotJson' });
  });
  test('a body that does not parse: NotJson', () => {
    assert.throws(() => masking.maskBody(Buffer.from('{"kind":"Secret","data":{"a":"'), JSON_TYPE), {
      name: 'KubernetesMaskingError',
      code: 'NotJson',
    });
  });
  test('a body over 64 MiB: BodyTooLarge', () => {
    assert.throws(() => masking.maskBody(Buffer.alloc(64 * 1024 * 1024 + 1, 0x20), JSON_TYPE), { code: 'BodyTooLarge' });
  });
  test('nesting deeper than the walk can follow: NotJson, not a crash', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const withRules = responseMaskingFor({ resource: PODS, rules: compiledRules([{ name: 'e', detectors: ['email'] }]) })!;
    assert.throws(() => withRules.maskBody(Buffer.from(deep), JSON_TYPE), { code: 'NotJson' });
  });
});

describe('maskKubernetesObject', () => {
  test('returns the masked object and counts, never changing its input', () => {
    const input = secretObject('db', { lastApplied: lastAppliedSecret() });
    const before = structuredClone(input);
    const { object, counts } = maskKubernetesObject(input, { resource: SECRETS });
    assert.deepEqual(input, before);
    assert.deepEqual((object as ApiJson).data, { password: MASKED, username: MASKED });
    assert.equal(counts['kubernetes:secret-data'], 4);
  });
  test('recognizes a Secret by kind without a request resource', () => {
    const { object } = maskKubernetesObject(secretObject(), {});
    assertNoLeak(JSON.stringify(object), ALL_SECRET_VALUES);
  });
});
