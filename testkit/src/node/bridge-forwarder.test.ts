import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, test } from 'node:test';
import { forward } from './bridge-forwarder.ts';

const servers: Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

const portOf = (server: Server): number => (server.address() as { port: number }).port;

test('bytes go both ways, and a half-close reaches the other side', async () => {
  // Answers with what it got, reversed, once the client has finished sending.
  const target = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => socket.end(Buffer.concat(chunks).reverse()));
  });
  servers.push(target);
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const forwarder = await forward({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: portOf(target) });
  servers.push(forwarder);
  const answer = await new Promise<string>((resolve, reject) => {
    const client = connect({ host: '127.0.0.1', port: portOf(forwarder), allowHalfOpen: true });
    let got = '';
    client.on('data', (chunk) => (got += chunk));
    client.on('end', () => resolve(got));
    client.on('error', reject);
    client.write('abc');
    client.end('def');
  });
  assert.equal(answer, 'fedcba');
});

test('a target that refuses closes the client connection', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = portOf(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const forwarder = await forward({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port });
  servers.push(forwarder);
  await new Promise<void>((resolve) => {
    const client = connect({ host: '127.0.0.1', port: portOf(forwarder) });
    client.on('close', () => resolve());
    client.on('error', () => {});
  });
});

test('a port in use fails to listen', async () => {
  const taken = await forward({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 1 });
  servers.push(taken);
  await assert.rejects(forward({ host: '127.0.0.1', port: portOf(taken) }, { host: '127.0.0.1', port: 1 }), /EADDRINUSE/);
});
