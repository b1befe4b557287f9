/**
 * limits.keepAliveMs reaches both TCP sockets of a session, checked in the kernel's socket table
 * (testing/tcp-socket-table.ts), not by asking Node: the agent-side socket (the sidecar's end of
 * the agent's connection, found by the agent's local port) and the upstream socket (found by the
 * port the server reports for the session, inet_client_port()), with a plain and a TLS upstream —
 * on TLS the setting must pass through the TLS socket to the TCP socket under it. A sidecar with
 * keepAliveMs 0 is the control: its sockets have no keepalive timer, so the check can fail.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApprovalPolicySpec } from '@airlock/crds';
import { PostgresServer } from '@airlock/testkit';
import { serialize } from 'pg-protocol';
import type { PgLimits } from './limits/pg-limits.ts';
import { type ProxyFixture, type ProxyFixtureOptions, startProxy } from './testing/proxy-fixture.ts';
import { RawConnection } from './testing/raw-session.ts';
import { type TcpSocketState, tcpSocket } from './testing/tcp-socket-table.ts';

/** Well below the kernel's default idle time (7200 s), so a timer due within it proves the setting arrived. */
const KEEPALIVE_MS = 7000;

/** Allows every statement the classifier can classify: this file is about sockets, not policy. */
const ALLOW_ALL: ApprovalPolicySpec = { rules: [{ name: 'all', match: {}, action: 'allow' }], defaultAction: 'deny' };

let server: PostgresServer;
let tlsServer: PostgresServer;
const proxies: ProxyFixture[] = [];

before(async () => {
  [server, tlsServer] = await Promise.all([PostgresServer.start(), PostgresServer.start({ tls: true })]);
});

after(async () => {
  await Promise.allSettled(proxies.map((proxy) => proxy.close()));
  await Promise.allSettled([server?.stop(), tlsServer?.stop()]);
});

async function proxy(options: ProxyFixtureOptions & { limits: Partial<PgLimits> }): Promise<ProxyFixture> {
  const started = await startProxy(options.targetSpec?.postgres?.tls ? tlsServer : server, { policy: ALLOW_ALL, ...options });
  proxies.push(started);
  return started;
}

const tlsTarget = () => ({
  postgres: {
    host: tlsServer.host,
    port: tlsServer.port,
    database: tlsServer.database,
    tls: { mode: 'verify-full' as const, caBundle: tlsServer.caCertPem ?? '' },
  },
});

interface SessionSockets {
  readonly agentSide: TcpSocketState;
  readonly upstream: TcpSocketState;
  readonly upstreamTls: boolean;
}

/** One session through `proxy`, left idle; the kernel's state of the sidecar's two sockets for it. */
async function sessionSockets(fixture: ProxyFixture, upstreamPort: number): Promise<SessionSockets> {
  const agent = await RawConnection.session(fixture.port);
  try {
    agent.write(serialize.query('SELECT inet_client_port() AS port, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS tls'));
    const frames = await agent.untilReady(1);
    const row = frames.find((frame) => frame.type === 'D');
    assert.ok(row, `no row: ${frames.map((f) => f.type).join(' ')}`);
    const [port, tls] = dataRowTexts(row.payload);
    const sidecarUpstreamPort = Number(port);
    const agentPort = agent.socket.localPort ?? 0;
    // The reply has been read: nothing is unacknowledged, so the only timer left is keepalive's.
    let agentSide: TcpSocketState | undefined;
    let upstream: TcpSocketState | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      agentSide = await tcpSocket(fixture.port, agentPort);
      upstream = await tcpSocket(sidecarUpstreamPort, upstreamPort);
      if (agentSide?.timer !== 'retransmit' && upstream?.timer !== 'retransmit') break;
      await sleep(100);
    }
    assert.ok(agentSide, `no socket 127.0.0.1:${fixture.port} ↔ :${agentPort} in the kernel's table`);
    assert.ok(upstream, `no socket 127.0.0.1:${sidecarUpstreamPort} ↔ :${upstreamPort} in the kernel's table`);
    return { agentSide, upstream, upstreamTls: tls === 't' };
  } finally {
    agent.close();
  }
}

/** The text values of a DataRow payload. */
function dataRowTexts(payload: Buffer): (string | null)[] {
  const values: (string | null)[] = [];
  let offset = 2;
  for (let i = 0; i < payload.readInt16BE(0); i++) {
    const length = payload.readInt32BE(offset);
    offset += 4;
    values.push(length < 0 ? null : payload.subarray(offset, offset + length).toString('utf8'));
    offset += Math.max(0, length);
  }
  return values;
}

function assertKeepAlive(socket: TcpSocketState, side: string): void {
  assert.equal(socket.state, 'established', side);
  assert.equal(socket.timer, 'keepalive', `${side}: ${JSON.stringify(socket)}`);
  assert.ok(socket.timerSeconds > 0 && socket.timerSeconds <= KEEPALIVE_MS / 1000, `${side}: idle time ${socket.timerSeconds} s`);
}

test('keepAliveMs is set on the agent-side and the upstream TCP socket of a session', async () => {
  const fixture = await proxy({ limits: { keepAliveMs: KEEPALIVE_MS } });
  const sockets = await sessionSockets(fixture, server.port);
  assert.equal(sockets.upstreamTls, false);
  assertKeepAlive(sockets.agentSide, 'agent side');
  assertKeepAlive(sockets.upstream, 'upstream');
});

test('with a TLS upstream, keepalive reaches the TCP socket under the TLS session', async () => {
  const fixture = await proxy({ limits: { keepAliveMs: KEEPALIVE_MS }, targetSpec: tlsTarget() });
  const sockets = await sessionSockets(fixture, tlsServer.port);
  assert.equal(sockets.upstreamTls, true, 'the upstream connection is not TLS');
  assertKeepAlive(sockets.agentSide, 'agent side');
  assertKeepAlive(sockets.upstream, 'upstream (TLS)');
});

test('keepAliveMs 0: neither socket has a keepalive timer (the control for the checks above)', async () => {
  const fixture = await proxy({ limits: { keepAliveMs: 0 } });
  const sockets = await sessionSockets(fixture, server.port);
  assert.equal(sockets.agentSide.timer, 'none', JSON.stringify(sockets.agentSide));
  assert.equal(sockets.upstream.timer, 'none', JSON.stringify(sockets.upstream));
});
