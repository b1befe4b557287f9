import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubernetesRequest, type ResourceRequestInfo } from '@airlock/contracts/kubernetes';
import { deleteAsksForDryRun, deleteOptionsSource, dryRunDelete, propagationOf } from './delete-options.ts';

function info(path: string): ResourceRequestInfo {
  const parsed = parseKubernetesRequest({ method: 'DELETE', path, query: '' });
  if (parsed.kind !== 'resource') throw new Error(`not a resource request: ${path}`);
  return parsed;
}

const deployment = info('/apis/apps/v1/namespaces/shop/deployments/orders');
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

test('without a body the query holds the options and the dry run goes in the query', () => {
  const source = deleteOptionsSource(Buffer.alloc(0), undefined, 'propagationPolicy=Orphan');
  assert.equal(source.kind, 'query');
  if (source.kind !== 'query') return;
  assert.deepEqual(propagationOf(deployment, source), { policy: 'Orphan', explicit: true });
  assert.deepEqual(dryRunDelete(source, 'propagationPolicy=Orphan&dryRun=All'), { query: 'propagationPolicy=Orphan&dryRun=All' });
});

test('with a body the query is ignored, as the API server does, and dryRun goes into the body', () => {
  const source = deleteOptionsSource(body({ propagationPolicy: 'Foreground' }), 'application/json', 'propagationPolicy=Orphan&dryRun=All');
  assert.equal(source.kind, 'body');
  if (source.kind !== 'body') return;
  assert.deepEqual(propagationOf(deployment, source), { policy: 'Foreground', explicit: true });
  assert.equal(deleteAsksForDryRun(source), false, 'a query dryRun does not count when there is a body');
  const sent = dryRunDelete(source, 'dryRun=All');
  assert.deepEqual(JSON.parse(sent.body?.toString() ?? ''), { propagationPolicy: 'Foreground', dryRun: ['All'] });
  assert.equal(sent.contentType, 'application/json');
});

test('YAML bodies are read; protobuf and undecodable bodies are not', () => {
  const yaml = deleteOptionsSource(Buffer.from('propagationPolicy: Orphan\n'), 'application/yaml', '');
  assert.equal(yaml.kind === 'body' && propagationOf(deployment, yaml).policy, 'Orphan');
  assert.equal(deleteOptionsSource(Buffer.from([0x6b, 0x38, 0x73, 0]), 'application/vnd.kubernetes.protobuf', '').kind, 'unreadable');
  assert.equal(deleteOptionsSource(Buffer.from('{'), 'application/json', '').kind, 'unreadable');
  assert.equal(deleteOptionsSource(Buffer.from('[1]'), 'application/json', '').kind, 'unreadable');
});

test('defaults: orphanDependents counts; core v1 ReplicationControllers orphan, the rest go in the background', () => {
  const source = (value: unknown) => {
    const read = deleteOptionsSource(body(value), 'application/json', '');
    if (read.kind === 'unreadable') throw new Error(read.why);
    return read;
  };
  assert.deepEqual(propagationOf(deployment, source({ orphanDependents: true })), { policy: 'Orphan', explicit: true });
  assert.deepEqual(propagationOf(deployment, source({})), { policy: 'Background', explicit: false });
  const rc = info('/api/v1/namespaces/shop/replicationcontrollers/web');
  assert.deepEqual(propagationOf(rc, source({})), { policy: 'Orphan', explicit: false });
  assert.deepEqual(propagationOf(rc, source({ propagationPolicy: 'Background' })), { policy: 'Background', explicit: true });
  assert.equal(deleteAsksForDryRun(source({ dryRun: ['All'] })), true);
});
