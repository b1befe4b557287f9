import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubernetesRequest } from '@airlock/contracts/kubernetes';
import { withBodyDryRun } from './parsed-request.ts';

const deleteWith = (query: string) =>
  parseKubernetesRequest({ method: 'DELETE', path: '/apis/apps/v1/namespaces/prod/deployments/orders', query });

test('a DELETE with a body is a dry run only when its body says so: the API server ignores the query then', () => {
  const queryOnly = withBodyDryRun(deleteWith('dryRun=All'), Buffer.from('{"propagationPolicy":"Background"}'));
  assert.equal(queryOnly.kind === 'resource' && queryOnly.dryRun, false);
  const inBody = withBodyDryRun(deleteWith(''), Buffer.from('{"dryRun":["All"]}'));
  assert.equal(inBody.kind === 'resource' && inBody.dryRun, true);
  const notJson = withBodyDryRun(deleteWith('dryRun=All'), Buffer.from([0x6b, 0x38, 0x73, 0]));
  assert.equal(notJson.kind === 'resource' && notJson.dryRun, false);
  const noBody = withBodyDryRun(deleteWith('dryRun=All'), Buffer.alloc(0));
  assert.equal(noBody.kind === 'resource' && noBody.dryRun, true, 'without a body the query decides');
});
