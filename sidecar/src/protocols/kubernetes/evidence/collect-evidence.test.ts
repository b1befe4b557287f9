/**
 * collectEvidence's own promises, with an upstream played by the test (the real API server is in
 * collect-evidence.integration.test.ts): which requests get no dry run and send nothing, the time
 * budget, answers too large to read, a masker that throws. None of these may throw.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import { collectEvidence } from './collect-evidence.ts';
import type { EvidenceUpstream, EvidenceUpstreamRequest, EvidenceUpstreamResponse } from './evidence-upstream.ts';
import { MAX_EVIDENCE_RESPONSE_BYTES } from './evidence-upstream.ts';

class PlayedUpstream implements EvidenceUpstream {
  readonly sent: EvidenceUpstreamRequest[] = [];
  readonly #answer: (input: EvidenceUpstreamRequest) => Promise<EvidenceUpstreamResponse>;
  constructor(answer: (input: EvidenceUpstreamRequest) => Promise<EvidenceUpstreamResponse>) {
    this.#answer = answer;
  }
  request(input: EvidenceUpstreamRequest): Promise<EvidenceUpstreamResponse> {
    this.sent.push(input);
    return this.#answer(input);
  }
}

const json = (status: number, value: unknown): Promise<EvidenceUpstreamResponse> =>
  Promise.resolve({ status, body: Buffer.from(JSON.stringify(value)), contentType: 'application/json' });

function run(
  method: string,
  target: string,
  upstream: EvidenceUpstream,
  extra: { body?: string; mask?: (o: unknown) => unknown; timeoutMs?: number } = {},
) {
  const { path, query } = splitRequestTarget(target);
  const info = parseKubernetesRequest({ method, path, query });
  if (info.kind !== 'resource') throw new Error(`not a resource request: ${target}`);
  return collectEvidence(
    {
      info,
      method,
      query,
      body: Buffer.from(extra.body ?? ''),
      contentType: extra.body === undefined ? undefined : 'application/merge-patch+json',
    },
    { upstream, mask: extra.mask ?? ((o) => o), clock: () => 0, ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}) },
  );
}

test('reads, watches, connections and requests that already are dry runs get no evidence and send nothing', async () => {
  const upstream = new PlayedUpstream(() => json(200, {}));
  for (const [method, target] of [
    ['GET', '/api/v1/namespaces/shop/pods/web'],
    ['GET', '/api/v1/namespaces/shop/pods?watch=true'],
    ['POST', '/api/v1/namespaces/shop/pods/web/exec?command=sh'],
    ['POST', '/api/v1/namespaces/shop/pods/web/attach'],
    ['POST', '/api/v1/namespaces/shop/pods/web/portforward'],
    ['DELETE', '/api/v1/namespaces/shop/services/web/proxy/admin'],
    ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/web?dryRun=All'],
    ['DELETE', '/apis/apps/v1/namespaces/shop/deployments/web?dryRun=All'],
  ] as const) {
    assert.equal(await run(method, target, upstream), undefined, `${method} ${target}`);
  }
  assert.equal(upstream.sent.length, 0);
});

test('the time budget ends a collection that gets no answer, and says so', async () => {
  const never = new PlayedUpstream(
    (input) =>
      new Promise((_, reject) => {
        input.signal.addEventListener('abort', () => reject(input.signal.reason), { once: true });
      }),
  );
  const evidence = await run('DELETE', '/apis/apps/v1/namespaces/shop/deployments/web', never, { timeoutMs: 50 });
  assert.equal(evidence?.summary, 'no preview: evidence took longer than 50 ms');
  assert.equal(evidence?.complete, false);
  assert.equal(evidence?.error, undefined, 'no answer is not a refusal');
  assert.equal(never.sent[0]?.path, '/apis/apps/v1/namespaces/shop/deployments/web?dryRun=All');
});

test('an answer larger than 8 MiB is not read', async () => {
  const huge = new PlayedUpstream(() =>
    Promise.resolve({ status: 200, body: Buffer.alloc(MAX_EVIDENCE_RESPONSE_BYTES + 1, 0x20), contentType: 'application/json' }),
  );
  const evidence = await run('POST', '/api/v1/namespaces/shop/configmaps', huge, { body: '{}' });
  assert.equal(evidence?.summary, 'no preview: the answer was larger than 8 MiB and was not read');
  assert.equal(evidence?.complete, false);
});

test('a masker that throws hides every value instead of failing the evidence', async () => {
  const object = (replicas: number) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas } });
  const upstream = new PlayedUpstream((input) => json(200, object(input.method === 'GET' ? 1 : 4)));
  const evidence = await run('PATCH', '/apis/apps/v1/namespaces/shop/deployments/web', upstream, {
    body: '{"spec":{"replicas":4}}',
    mask: () => {
      throw new Error('masking rules not loaded');
    },
  });
  assert.equal(evidence?.summary, 'would change deployment web: spec.replicas: changed (value not shown)');
  assert.deepEqual(evidence?.notes, ['masking failed (masking rules not loaded); no values are shown']);
  assert.deepEqual(
    upstream.sent.map((r) => `${r.method} ${r.path}`),
    ['GET /apis/apps/v1/namespaces/shop/deployments/web', 'PATCH /apis/apps/v1/namespaces/shop/deployments/web?dryRun=All'],
  );
});

test('an upstream that throws on every call still gives evidence that says nothing was previewed', async () => {
  const broken = new PlayedUpstream(() => Promise.reject(new Error('connection refused')));
  const evidence = await run('PUT', '/api/v1/namespaces/shop/configmaps/c', broken, { body: '{}' });
  assert.equal(evidence?.summary, 'no preview: no answer: connection refused');
  assert.equal(evidence?.complete, false);
});
