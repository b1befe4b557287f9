import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allow, decodeReview, deny } from './admission-review.ts';

const review = (request: unknown) => JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const POD_CREATE = {
  uid: 'u-1',
  operation: 'CREATE',
  resource: { group: '', version: 'v1', resource: 'pods' },
  namespace: 'agents',
  object: { metadata: { generateName: 'job-' } },
};

test('a well-formed review decodes', () => {
  const decoded = decodeReview(review({ ...POD_CREATE, subResource: '', dryRun: false }));
  assert.ok(decoded.ok);
  assert.equal(decoded.request.uid, 'u-1');
  assert.equal(decoded.request.namespace, 'agents');
  assert.equal(decoded.request.subResource, undefined);
  assert.equal(decoded.request.oldObject, undefined);
});

/** What the API server sends for `kubectl exec -c airlock-sidecar pod -- sh`. */
const POD_EXEC = {
  uid: 'u-2',
  kind: { group: '', version: 'v1', kind: 'PodExecOptions' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  subResource: 'exec',
  requestKind: { group: '', version: 'v1', kind: 'PodExecOptions' },
  name: 'migrate-1',
  namespace: 'agents',
  operation: 'CONNECT',
  userInfo: { username: 'alice' },
  object: {
    kind: 'PodExecOptions',
    apiVersion: 'v1',
    stdin: true,
    stdout: true,
    tty: true,
    container: 'airlock-sidecar',
    command: ['sh'],
  },
  oldObject: null,
  dryRun: false,
  options: null,
};

test('a CONNECT decodes its options, not a pod', () => {
  const decoded = decodeReview(review(POD_EXEC));
  assert.ok(decoded.ok);
  assert.equal(decoded.request.operation, 'CONNECT');
  assert.equal(decoded.request.subResource, 'exec');
  assert.equal(decoded.request.name, 'migrate-1');
  assert.deepEqual(decoded.request.connectOptions, { kind: 'PodExecOptions', container: 'airlock-sidecar', command: ['sh'] });
  assert.deepEqual(decoded.request.object, {});

  const attach = decodeReview(
    review({
      ...POD_EXEC,
      subResource: 'attach',
      kind: { group: '', version: 'v1', kind: 'PodAttachOptions' },
      object: { kind: 'PodAttachOptions', apiVersion: 'v1', stdin: true },
    }),
  );
  assert.ok(attach.ok);
  assert.deepEqual(attach.request.connectOptions, { kind: 'PodAttachOptions', container: '' }, 'no container named');
  const create = decodeReview(review(POD_CREATE));
  assert.ok(create.ok);
  assert.equal(create.request.connectOptions, undefined);
});

test('malformed reviews are refused with the reason', () => {
  const cases: [string, RegExp][] = [
    ['{', /not JSON/],
    ['[]', /expected an AdmissionReview/],
    [JSON.stringify({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: POD_CREATE }), /admission\.k8s\.io\/v1/],
    [review(undefined), /has no request/],
    [review({ ...POD_CREATE, uid: '' }), /request\.uid/],
    [review({ ...POD_CREATE, resource: undefined }), /request\.resource/],
    [review({ ...POD_CREATE, object: 'pod' }), /request\.object must be an object for CREATE/],
    [review({ ...POD_CREATE, operation: 'UPDATE', oldObject: 7 }), /request\.oldObject/],
    [review({ ...POD_EXEC, object: null }), /request\.object must be an object for CONNECT/],
    [review({ ...POD_EXEC, object: { ...POD_EXEC.object, container: 7 } }), /container must be a string/],
    [review({ ...POD_EXEC, object: { ...POD_EXEC.object, command: 'sh' } }), /command must be a list of strings/],
  ];
  for (const [body, reason] of cases) {
    const decoded = decodeReview(body);
    assert.equal(decoded.ok, false, body);
    assert.match(decoded.ok ? '' : decoded.message, reason, body);
  }
});

test('responses: a JSONPatch is base64 JSON; a denial leads with its code', () => {
  const patch = [{ op: 'add' as const, path: '/spec/automountServiceAccountToken', value: false }];
  const allowed = allow('u-1', patch);
  assert.equal(allowed.response.patchType, 'JSONPatch');
  assert.deepEqual(JSON.parse(Buffer.from(allowed.response.patch ?? '', 'base64').toString('utf8')), patch);
  assert.equal(allow('u-2').response.patch, undefined);
  assert.deepEqual(deny('u-3', 'NoIdentity', 'create one').response, {
    uid: 'u-3',
    allowed: false,
    status: { code: 403, reason: 'Forbidden', message: 'NoIdentity: create one' },
  });
});
