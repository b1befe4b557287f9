import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { commandOf, kubectlTerms, operationSummary, operationText } from './operation-text.ts';

describe('the operation text an approval binds', () => {
  test('kubectl terms, the exact request line, the content type and the body digest, then the body', () => {
    const body = Buffer.from('{"propagationPolicy":"Background"}');
    const text = operationText('delete deployments orders -n prod-eu', {
      method: 'DELETE',
      target: '/apis/apps/v1/namespaces/prod-eu/deployments/orders',
      contentType: 'application/json',
      body,
    });
    const sha = createHash('sha256').update(body).digest('hex');
    assert.equal(
      text,
      `delete deployments orders -n prod-eu\nDELETE /apis/apps/v1/namespaces/prod-eu/deployments/orders\ncontent-type: application/json\nbody: sha256:${sha} (34 bytes)\n\n{"propagationPolicy":"Background"}`,
    );
  });

  test('two bodies that differ in one byte give two texts, even when neither is shown', () => {
    const big = Buffer.alloc(60 * 1024, 'a');
    const other = Buffer.from(big);
    other[100] = 0x62;
    const request = { method: 'PUT', target: '/api/v1/namespaces/a/configmaps/b', contentType: 'application/json' };
    const one = operationText('replace configmaps b -n a', { ...request, body: big });
    const two = operationText('replace configmaps b -n a', { ...request, body: other });
    assert.notEqual(one, two);
    assert.doesNotMatch(one, /aaaaaaaaaa/, 'a body over the shown size is bound by its digest only');
  });

  test('a binary or control-character body is not shown, only bound', () => {
    const text = operationText('create pods -n a', {
      method: 'POST',
      target: '/api/v1/namespaces/a/pods',
      contentType: 'application/vnd.kubernetes.protobuf',
      body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x1b, 0x5b]),
    });
    assert.equal(text.split('\n').length, 4);
  });

  test('exec, attach and portforward name both methods: one approval covers the WebSocket and the SPDY request', () => {
    const request = { target: '/api/v1/namespaces/p/pods/w/exec?command=ls', contentType: undefined, body: Buffer.alloc(0) };
    const get = operationText('exec pods/w -n p -- ls', { ...request, method: 'GET' }, 'exec');
    const post = operationText('exec pods/w -n p -- ls', { ...request, method: 'POST' }, 'exec');
    assert.equal(get, post);
    assert.match(get, /\nGET or POST \/api/);
    assert.match(operationText('get pods w -n p', { ...request, method: 'GET' }, ''), /\nGET \/api/);
  });

  test('an exec shows its command after --, quoted like a shell would need it', () => {
    const query = 'command=sh&command=-c&command=echo%20hi%3B%20rm%20-rf%20%2F&stdout=true&command=x%27y';
    assert.deepEqual(commandOf(query), ['sh', '-c', 'echo hi; rm -rf /', "x'y"]);
    assert.equal(kubectlTerms({ text: 'exec pods/w -n p' }, 'exec', query), `exec pods/w -n p -- sh -c 'echo hi; rm -rf /' 'x'\\''y'`);
    assert.equal(kubectlTerms({ text: 'get pods -n p' }, '', query), 'get pods -n p');
  });

  test('a summary is one line of at most 256 characters', () => {
    assert.equal(operationSummary('x'.repeat(300)).length, 256);
    assert.equal(operationSummary('get pods'), 'get pods');
  });
});
