/**
 * The Kubernetes request parser (@airlock/contracts/kubernetes) reads requests as the API server
 * does: every entry of the shared corpus that is harmless to send goes to a real kube-apiserver
 * writing an audit log, and the verb and object coordinates the API server recorded must be the
 * parser's. Where the parser refuses a request (`unknown`), the audit log must show the reading
 * the corpus states for the API server instead, so each place the parser is stricter is pinned
 * to what the API server really does. Dry runs are checked by their effect: a request the parser
 * calls a dry run is accepted and persists nothing. The unit test runs the same corpus against
 * the parser alone.
 */
import assert from 'node:assert/strict';
import { Agent, request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { apiGroupOrigin, type KubernetesRequestInfo, parseKubernetesRequest, splitRequestTarget } from '@airlock/contracts/kubernetes';
import {
  type AuditObjectRef,
  REQUEST_CORPUS,
  type RequestCase,
  type ServerReading,
  SHOP_NAMESPACE,
} from '@airlock/contracts/testing/kubernetes-request-corpus';
import { type AuditEvent, ControlPlane, eventually } from '@airlock/testkit';

const USER_AGENT = 'airlock-request-corpus';
/** Watches and connections stay open; what the audit log needs is written once the response starts. */
const HOLD_OPEN_MS = 1500;

interface Sent {
  readonly status: number;
  /** Whether the object of `live.afterwards` exists after the request. */
  readonly existsAfterwards?: boolean;
}

/** What the audit log records of a request: its verb and, for a resource request, the object's coordinates. */
interface AuditReading {
  readonly verb: string;
  readonly objectRef?: Required<AuditObjectRef>;
}

let plane: ControlPlane;
let agent: Agent;
const sent = new Map<RequestCase, Sent>();
let events: AuditEvent[] = [];

before(async () => {
  plane = await ControlPlane.start({ controllers: false, auditLog: true, log: (line) => process.stderr.write(`# ${line}\n`) });
  agent = new Agent({ ca: plane.caPem, keepAlive: false });
  const created = await plane.kubectl(['create', 'namespace', SHOP_NAMESPACE]);
  assert.equal(created.code, 0, created.stderr);
  for (const [index, c] of REQUEST_CORPUS.entries()) {
    if (!c.live.send) continue;
    const { status } = await send(c.method, c.target, `${USER_AGENT}/${index}`, c.live.body);
    const afterwards = c.live.afterwards;
    const existsAfterwards = afterwards ? (await send('GET', afterwards.path, `${USER_AGENT}/check`)).status === 200 : undefined;
    sent.set(c, existsAfterwards === undefined ? { status } : { status, existsAfterwards });
  }
  // Events are written as requests reach a stage: once this one is in, every earlier request has its
  // first event written (a closed watch's ResponseComplete may follow later, with the same attributes).
  await send('GET', '/version', `${USER_AGENT}/end`);
  events = await eventually('the last request in the audit log', () => {
    const all = plane.auditEvents();
    return all.some((e) => e.userAgent === `${USER_AGENT}/end`) ? all : undefined;
  });
});

after(async () => {
  agent?.destroy();
  await plane?.stop();
});

describe('the API server reads each corpus request as the parser does', () => {
  for (const [index, c] of REQUEST_CORPUS.entries()) {
    if (!c.live.send) continue;
    const info = parseKubernetesRequest({ method: c.method, ...splitRequestTarget(c.target) });
    const stricter = c.live.serverReads;
    const label = stricter ? `stricter than the API server (${info.kind === 'unknown' ? info.code : '?'})` : 'agrees';
    test(`${c.title}: ${c.method} ${c.target} ${label}`, () => {
      const readings = events.filter((e) => e.userAgent === `${USER_AGENT}/${index}`).map(auditReading);
      if (stricter) {
        assert.equal(info.kind, 'unknown', 'an entry with serverReads is one the parser refuses');
        assertServerReads(readings, stricter);
        return;
      }
      assert.notEqual(info.kind, 'unknown');
      assert.ok(readings.length > 0, `no audit event for ${c.method} ${c.target}`);
      const body = c.live.send ? c.live.body : undefined;
      for (const reading of readings) assert.deepEqual(withoutBodyName(reading, info, body), expectedReading(info));
      assertDryRunEffect(c, info);
    });
  }

  test('every group the API server serves itself is one the parser lists as built-in', async () => {
    const { body } = await send('GET', '/apis', `${USER_AGENT}/groups`);
    const groups = (JSON.parse(body) as { groups: { name: string }[] }).groups.map((g) => g.name);
    assert.ok(groups.includes('apps'), groups.join(', '));
    for (const group of groups) assert.equal(apiGroupOrigin(group), 'built-in', group);
  });

  test('at least 80 corpus requests were sent', () => {
    assert.ok(sent.size >= 80, `${sent.size} sent`);
  });
});

function assertServerReads(readings: readonly AuditReading[], expected: ServerReading): void {
  if (!expected.audited) {
    assert.deepEqual(readings, [], 'the API server refuses the request before auditing it');
    return;
  }
  assert.ok(readings.length > 0, 'the API server audits the request');
  const objectRef = expected.objectRef && completeObjectRef(expected.objectRef);
  for (const reading of readings) assert.deepEqual(reading, objectRef ? { verb: expected.verb, objectRef } : { verb: expected.verb });
}

/**
 * A dry run the parser sees is one the API server accepts and persists nothing for; a write it
 * does not see as one (dryRun=all, a second value) either persists or is refused.
 */
function assertDryRunEffect(c: RequestCase, info: KubernetesRequestInfo): void {
  const result = sent.get(c);
  const afterwards = c.live.send ? c.live.afterwards : undefined;
  if (!result || !afterwards) return;
  assert.equal(result.existsAfterwards, afterwards.exists, `${afterwards.path} exists afterwards`);
  const accepted = result.status >= 200 && result.status < 300;
  if (info.kind === 'resource' && info.dryRun) assert.ok(accepted, `the dry run is accepted (status ${result.status})`);
  if (info.kind === 'resource' && !info.dryRun && !afterwards.exists) {
    assert.ok(!accepted, `a write that is no dry run and left nothing was refused (status ${result.status})`);
  }
}

/** The audit log's reading of a request the parser placed. */
function expectedReading(info: KubernetesRequestInfo): AuditReading {
  if (info.kind === 'unknown') throw new Error(`the parser refused a request the corpus says it places (${info.code})`);
  if (info.kind === 'non-resource') return { verb: info.verb };
  const { apiGroup, apiVersion, namespace, resource, subresource, name } = info;
  return { verb: info.verb, objectRef: { apiGroup, apiVersion, namespace, resource, subresource, name } };
}

/**
 * A create or update without a name in its path is audited with the name of the object in its
 * body once the API server has decoded the body (not when it refuses the request first); the
 * parser reads no bodies, so that name is taken out again.
 */
function withoutBodyName(reading: AuditReading, info: KubernetesRequestInfo, body: unknown): AuditReading {
  const bodyName = (body as { metadata?: { name?: string } } | undefined)?.metadata?.name;
  const unnamedWrite = info.kind === 'resource' && info.name === '' && (info.verb === 'create' || info.verb === 'update');
  if (!unnamedWrite || !reading.objectRef || bodyName === undefined || reading.objectRef.name !== bodyName) return reading;
  return { ...reading, objectRef: { ...reading.objectRef, name: '' } };
}

function auditReading(event: AuditEvent): AuditReading {
  const verb = event.verb ?? '';
  return event.objectRef ? { verb, objectRef: completeObjectRef(event.objectRef) } : { verb };
}

/** The audit log leaves empty fields out; the parser gives them as ''. */
function completeObjectRef(ref: AuditObjectRef): Required<AuditObjectRef> {
  return {
    apiGroup: ref.apiGroup ?? '',
    apiVersion: ref.apiVersion ?? '',
    namespace: ref.namespace ?? '',
    resource: ref.resource ?? '',
    subresource: ref.subresource ?? '',
    name: ref.name ?? '',
  };
}

/**
 * Sends the request-target exactly as written (no URL normalization) as the cluster admin. A
 * response still open after HOLD_OPEN_MS (a watch) is closed.
 */
function send(method: string, target: string, userAgent: string, body?: unknown): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(plane.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
  return new Promise((resolve, reject) => {
    let responded = false;
    const req = request(
      {
        agent,
        hostname,
        port,
        method,
        path: target,
        headers: {
          authorization: `Bearer ${plane.token('admin')}`,
          'user-agent': userAgent,
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
      },
      (res) => {
        responded = true;
        let text = '';
        const status = res.statusCode ?? 0;
        const timer = setTimeout(() => req.destroy(), HOLD_OPEN_MS);
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('close', () => {
          clearTimeout(timer);
          resolve({ status, body: text });
        });
      },
    );
    // After the response began, closing it is ours (HOLD_OPEN_MS) and the response's close settles.
    req.on('error', (error) => (responded ? undefined : reject(error)));
    req.end(payload);
  });
}
