/**
 * Upgrades through the listener to a real HTTPS upstream that answers 101 and echoes: the agent
 * gets the upstream's 101 head byte for byte, bytes flow both ways (including those sent right
 * behind the request head), the taps see exactly what passed, and closing either side closes
 * both. A refused upgrade (403) is relayed as the upstream's answer, with the connection closed.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { type ForwardingStack, startForwardingStack } from './testing/forwarding-stack.ts';
import { exchangeRaw } from './testing/raw-http.ts';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

interface Agent {
  readonly socket: Socket;
  text(): string;
  waitFor(text: string): Promise<void>;
  readonly closed: Promise<void>;
}

function upgradeAgent(stack: ForwardingStack, behindHead: string): Agent {
  const socket = connect(stack.listener.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const waiters: { text: string; resolve: () => void }[] = [];
  const text = (): string => Buffer.concat(chunks).toString('latin1');
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    for (const waiter of waiters.splice(0)) {
      if (text().includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(
    `GET /api/v1/namespaces/default/pods/p/exec?command=sh HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer agent-guess\r\n\r\n${behindHead}`,
  );
  return {
    socket,
    text,
    closed,
    waitFor: (wanted) =>
      new Promise<void>((resolve) => {
        if (text().includes(wanted)) resolve();
        else waiters.push({ text: wanted, resolve });
      }),
  };
}

describe('upgrade tunnel', { timeout: 30_000 }, () => {
  test('bytes flow both ways, the taps see them, and the 101 head arrives as the upstream wrote it', async (t) => {
    const stack = await startForwardingStack({ authorization: async () => 'Bearer sidecar' });
    t.after(() => stack.close());
    const agent = upgradeAgent(stack, 'early-bytes;');
    await agent.waitFor('early-bytes;');
    assert.ok(agent.text().startsWith(`${stack.upstream.lastUpgradeHead}hello-from-upstream`), agent.text());
    assert.match(stack.upstream.lastUpgradeHead, new RegExp(`Sec-WebSocket-Accept: ${ACCEPT.replace(/[+/=]/g, '\\$&')}`));
    agent.socket.write('second;');
    await agent.waitFor('second;');

    const seen = stack.upstream.requests.at(-1);
    assert.equal(seen?.headers.authorization, 'Bearer sidecar');
    assert.equal(seen?.headers.upgrade, 'websocket');
    assert.equal(seen?.headers['sec-websocket-key'], KEY);
    assert.equal(Buffer.concat(stack.upstream.upgradedBytes).toString(), 'early-bytes;second;');

    agent.socket.end();
    await agent.closed;
    while (stack.events.tunnels.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const result = stack.events.tunnels[0];
    assert.equal(result?.reason, 'agent-ended');
    assert.equal(result?.bytesFromAgent, 'early-bytes;second;'.length);
    assert.equal(Buffer.concat(stack.events.tapped.fromAgent).toString(), 'early-bytes;second;');
    assert.equal(Buffer.concat(stack.events.tapped.toAgent).toString(), 'hello-from-upstreamearly-bytes;second;');
    assert.equal(result?.bytesToAgent, 'hello-from-upstreamearly-bytes;second;'.length);
  });

  test('the upstream closing closes the agent connection', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    const agent = upgradeAgent(stack, '');
    await agent.waitFor('hello-from-upstream');
    await stack.upstream.close();
    await agent.closed;
    while (stack.events.tunnels.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.match(stack.events.tunnels[0]?.reason ?? '', /^upstream-/);
  });

  test('a refused upgrade is relayed with the upstream status and the connection closed', async (t) => {
    const stack = await startForwardingStack();
    t.after(() => stack.close());
    stack.upstream.refuseUpgrades = true;
    const exchange = await exchangeRaw(stack.listener.port, [
      `GET /api/v1/namespaces/default/pods/p/exec HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    ]);
    assert.deepEqual(exchange.statuses, [403]);
    assert.match(exchange.text, /\r\nConnection: close\r\n/);
    assert.match(exchange.text, /"reason":"Forbidden"\}$/);
    assert.equal(stack.events.tunnels.length, 0);
  });
});
