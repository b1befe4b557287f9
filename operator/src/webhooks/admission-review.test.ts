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
