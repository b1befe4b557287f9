/**
 * The broker client's streams against real TLS servers on loopback: a broker that accepts the
 * connection but never answers (a replica that is gone, as a Service can still route to during a
 * roll) is given up after the open timeout, so the caller re-opens elsewhere; a broker that answers
 * and then sends lines is not cut off by it. The pod's token file is read again after a minute or
 * a 401, not for every call.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { NDJSON_CONTENT_TYPE } from '@airlock/contracts/broker';
import { createCertificateAuthority, issueServingCertificate, type KeyAndCertificate } from '@airlock/runtime/pki';
import { BrokerClient } from './broker-client.ts';
import { BrokerError } from './errors.ts';

let ca: KeyAndCertificate;
let serving: KeyAndCertificate;
let dir: string;
let tokenFile: string;
const servers: Server[] = [];
const sockets = new Set<Socket>();

before(async () => {
  const now = Date.now();
  ca = await createCertificateAuthority({ commonName: 'broker-client-test', now, notAfter: now + 3_600_000 });
  serving = await issueServingCertificate({
    ca,
    commonName: 'broker',
    dnsNames: [],
    ipAddresses: ['127.0.0.1'],
    now,
    notAfter: now + 3_600_000,
  });
  dir = mkdtempSync(join(tmpdir(), 'airlock-broker-client-'));
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'a-pod-token');
});

after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

async function broker(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, handler);
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

test('a stream the broker never answers fails as Unreachable after the open timeout', async () => {
  const url = await broker(() => {
    // Reads the request and says nothing: the connection stays open.
  });
  const client = new BrokerClient({ url, caPem: ca.certPem, tokenFile, streamOpenTimeoutMs: 300, streamIdleTimeoutMs: 60_000 });
  const lines: unknown[] = [];
  const failed = await client
    .stream('/v1/outcome', (line) => lines.push(line))
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  assert.ok(failed instanceof BrokerError, `expected a BrokerError, got ${String(failed)}`);
  assert.equal(failed.code, 'Unreachable');
  assert.ok(failed.retryable, 'the caller re-opens it');
  assert.match(failed.message, /no answer from the broker within/);
  assert.deepEqual(lines, []);
});

test('once the broker answered, only the idle timeout applies: lines slower than the open timeout arrive', async () => {
  const url = await broker((_request, response) => {
    response.writeHead(200, { 'content-type': NDJSON_CONTENT_TYPE });
    response.flushHeaders();
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      response.write(`${JSON.stringify({ type: 'heartbeat', n: sent })}\n`);
      if (sent === 3) {
        clearInterval(timer);
        response.end();
      }
    }, 200);
  });
  const client = new BrokerClient({ url, caPem: ca.certPem, tokenFile, streamOpenTimeoutMs: 100, streamIdleTimeoutMs: 5_000 });
  const lines: unknown[] = [];
  await client.stream('/v1/outcome', (line) => lines.push(line));
  assert.deepEqual(
    lines,
    [1, 2, 3].map((n) => ({ type: 'heartbeat', n })),
  );
});

test('the token file is read again after a minute, and at once after a 401, not for every call', async () => {
  // One file read per call was four thread-pool trips per recording batch; a rotated token must
  // still be picked up, since the kubelet replaces the file long before the old token expires.
  const file = join(dir, 'rotating-token');
  writeFileSync(file, 'token-1');
  const seen: string[] = [];
  let refuse = false;
  const url = await broker((req, res) => {
    seen.push(req.headers.authorization ?? '');
    res.writeHead(refuse ? 401 : 200, { 'content-type': 'application/json' });
    res.end(refuse ? JSON.stringify({ code: 'Unauthenticated', message: 'token expired' }) : '{}');
  });
  let now = 0;
  const client = new BrokerClient({ url, caPem: ca.certPem, tokenFile: file, now: () => now });
  try {
    await client.call('GET', '/v1/a');
    writeFileSync(file, 'token-2');
    now += 59_000;
    await client.call('GET', '/v1/a');
    now += 1_000;
    await client.call('GET', '/v1/a');
    writeFileSync(file, 'token-3');
    refuse = true;
    await assert.rejects(client.call('GET', '/v1/a'), (error: unknown) => error instanceof BrokerError && error.status === 401);
    refuse = false;
    await client.call('GET', '/v1/a');
    assert.deepEqual(seen, ['Bearer token-1', 'Bearer token-1', 'Bearer token-2', 'Bearer token-2', 'Bearer token-3']);
  } finally {
    client.close();
  }
});
