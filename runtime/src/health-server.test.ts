import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { type HealthServer, type Readiness, startHealthServer } from './health-server.ts';
import { createLogger } from './logger.ts';

/** Sends a request fetch will not send (fetch rejects TRACE, and normalizes some methods). */
function rawRequest(url: string, method: string): Promise<{ status: number; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, allow: response.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startHealthServer', () => {
  let server: HealthServer;
  let metrics: { statements: Counter<'protocol' | 'decision' | 'mode'> };
  let readiness: Readiness = { ready: false, reasons: ['config not received', 'recording blocked for 1 session'] };
  let check = (): Readiness => readiness;
  const logged: string[] = [];

  before(async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    metrics = {
      statements: new Counter({
        name: 'airlock_sidecar_statements_total',
        help: 'A sidecar counter, to see the registry served',
        labelNames: ['protocol', 'decision', 'mode'],
        registers: [registry],
      }),
    };
    const logger = createLogger({
      level: 'debug',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logged.push(chunk.toString('utf8'));
          callback();
        },
      }),
    });
    server = await startHealthServer({ port: 0, registry, readiness: () => check(), logger });
  });
  after(async () => {
    await server.close();
  });

  test('listens on loopback, on the port it was given (0: a free one)', () => {
    assert.ok(server.port > 0);
    assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  });

  test('GET /metrics serves the registry in the Prometheus text format', async () => {
    metrics.statements.inc({ protocol: 'postgres', decision: 'deny', mode: 'enforce' });
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    assert.match(text, /^airlock_sidecar_statements_total\{protocol="postgres",decision="deny",mode="enforce"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total /m);

    metrics.statements.inc({ protocol: 'postgres', decision: 'deny', mode: 'enforce' });
    const again = await (await fetch(`${server.url}/metrics?x=1`)).text();
    assert.match(again, /^airlock_sidecar_statements_total\{protocol="postgres",decision="deny",mode="enforce"\} 2$/m);
  });

  test('GET /healthz answers ok', async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(await response.text(), 'ok\n');
  });

  test('GET /readyz is 503 with the reasons, then 200 once ready', async () => {
    const notReady = await fetch(`${server.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(notReady.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await notReady.json(), { ready: false, reasons: ['config not received', 'recording blocked for 1 session'] });

    readiness = { ready: true, reasons: [] };
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { ready: true, reasons: [] });
  });

  test('a readiness check that throws is not ready, and is logged', async () => {
    check = () => {
      throw new Error('config source gone');
    };
    const response = await fetch(`${server.url}/readyz`);
    check = () => readiness;
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { ready: false, reasons: ['readiness check failed: config source gone'] });
    assert.ok(logged.some((line) => line.includes('readiness check failed')));
  });

  test('HEAD answers the headers without a body', async () => {
    const response = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '3');
    assert.equal(await response.text(), '');
  });

  test('404 elsewhere, 405 with Allow for other methods', async () => {
    const missing = await fetch(`${server.url}/metricsz`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
    assert.equal((await fetch(`${server.url}/`)).status, 404);

    const post = await fetch(`${server.url}/metrics`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.body?.cancel();
    assert.deepEqual(await rawRequest(`${server.url}/readyz`, 'DELETE'), { status: 405, allow: 'GET, HEAD' });
    assert.deepEqual(await rawRequest(`${server.url}/healthz`, 'OPTIONS'), { status: 405, allow: 'GET, HEAD' });
  });

  test('close() frees the port even with keep-alive connections open', async () => {
    const registry = new Registry();
    const logger = createLogger({ level: 'silent' });
    const other = await startHealthServer({ port: 0, registry, readiness: () => ({ ready: true, reasons: [] }), logger });
    await (await fetch(`${other.url}/healthz`)).text();
    await other.close();
    await assert.rejects(fetch(`${other.url}/healthz`));
  });
});
