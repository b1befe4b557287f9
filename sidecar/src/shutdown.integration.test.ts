/**
 * SIGTERM during traffic, on the sidecar as a process (main.ts with the production flags) in front
 * of a real PostgreSQL: the statement in flight finishes and its result reaches the agent, an idle
 * session is told FATAL 57P01 between messages, /readyz turns 503 with the reason, new connections
 * are refused, the process exits 0
 * well inside the grace period, and every recording ends with session.close and verifies. A
 * statement that outlasts the grace period is cut off at the deadline, also with 57P01.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { verifyJsonl } from '@airlock/contracts/recording';
import { sidecarNodeFlags } from '@airlock/contracts/sidecar-process';
import { PostgresServer } from '@airlock/testkit';
import pg from 'pg';
import { serialize } from 'pg-protocol';
import { ADMIN_SHUTDOWN, SHUTDOWN_MESSAGE, SHUTDOWN_REASON } from './protocols/postgres/session/shutdown-notice.ts';
import { errorFields, RawConnection } from './protocols/postgres/testing/raw-session.ts';
import { SidecarProcess } from './protocols/postgres/testing/sidecar-process.ts';
import { DRAINING_REASON } from './sidecar.ts';

const GRACE_MS = 8000;
const STATEMENT_SECONDS = 2;

let server: PostgresServer;
let sidecar: SidecarProcess;

before(async () => {
  server = await PostgresServer.start();
  sidecar = await SidecarProcess.start(server, { nodeFlags: sidecarNodeFlags(256 * 2 ** 20), shutdown: { graceMs: GRACE_MS } });
});

after(async () => {
  await sidecar?.stop();
  await server?.stop();
});

test('SIGTERM: in-flight finishes, idle sessions get 57P01, new connections are refused, exit 0 in time', async () => {
  const busy = new pg.Client({ host: '127.0.0.1', port: sidecar.port, user: 'agent', database: 'x' });
  const busyErrors: Error[] = [];
  busy.on('error', (error) => busyErrors.push(error));
  await busy.connect();
  const idle = await RawConnection.session(sidecar.port);
  assert.equal((await fetch(`http://127.0.0.1:${sidecar.healthPort}/readyz`)).status, 200, 'ready before SIGTERM');

  const running = busy.query(`SELECT pg_sleep(${STATEMENT_SECONDS}), 'finished' AS outcome`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const signalled = Date.now();
  sidecar.signal('SIGTERM');

  // The idle session is told at once, with a whole ErrorResponse and nothing after it.
  const idleFrames = await idle.untilClosed(5000);
  const fatal = idleFrames.find((frame) => frame.type === 'E');
  assert.ok(fatal, `the idle session got no ErrorResponse: ${idleFrames.map((f) => f.type).join(' ')}`);
  const fields = errorFields(fatal.payload);
  assert.deepEqual([fields.get('S'), fields.get('C'), fields.get('M')], ['FATAL', ADMIN_SHUTDOWN, SHUTDOWN_MESSAGE]);
  assert.equal(idle.leftover.length, 0, 'nothing but whole messages');
  assert.ok(Date.now() - signalled < STATEMENT_SECONDS * 1000, 'the idle session did not wait for the busy one');

  // Not ready while it drains, and /readyz says why (the health server answers until the end).
  const readyz = await fetch(`http://127.0.0.1:${sidecar.healthPort}/readyz`);
  assert.equal(readyz.status, 503);
  const readiness = (await readyz.json()) as { ready: boolean; reasons: string[] };
  assert.equal(readiness.ready, false);
  assert.ok(readiness.reasons.includes(DRAINING_REASON), JSON.stringify(readiness));

  // Nobody new gets in while the sidecar drains.
  assert.equal(await connectionRefused(sidecar.port), true, 'a new connection was accepted during shutdown');

  // The statement in flight completes and its result arrives.
  const result = await running;
  assert.deepEqual(result.rows[0]?.outcome, 'finished');
  assert.ok(Date.now() - signalled >= STATEMENT_SECONDS * 1000 - 500);

  const exit = await Promise.race([
    sidecar.exited,
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), GRACE_MS + 5000)),
  ]);
  assert.notEqual(exit, 'timeout', `the sidecar did not exit:\n${sidecar.log.slice(-3000)}`);
  assert.deepEqual(exit, { code: 0, signal: null }, sidecar.log.slice(-3000));
  // Well before the grace period ran out: it ends when the last statement is done.
  assert.ok(Date.now() - signalled < GRACE_MS, `exit took ${Date.now() - signalled} ms`);
  // The busy session, once idle, got the same FATAL.
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(
    busyErrors.some((error) => (error as Error & { code?: string }).code === ADMIN_SHUTDOWN),
    `busy session errors: ${busyErrors.map((e) => e.message).join('; ')}`,
  );

  const files = readdirSync(sidecar.recordingsDir).filter((file) => file.endsWith('.jsonl'));
  assert.ok(files.length >= 2, `recordings: ${files.join(', ')}`);
  for (const file of files) {
    const text = readFileSync(join(sidecar.recordingsDir, file), 'utf8');
    const verified = verifyJsonl(text, { requireClose: true });
    assert.ok(verified.ok, `${file}: ${JSON.stringify(verified)}`);
    const last = JSON.parse(text.trim().split('\n').at(-1) ?? '{}') as { event?: { type?: string; reason?: string } };
    assert.deepEqual([last.event?.type, last.event?.reason], ['session.close', SHUTDOWN_REASON]);
  }
});

test('SIGTERM: a statement that outlasts the grace period is cut off at the deadline, with 57P01', async () => {
  const short = await SidecarProcess.start(server, { nodeFlags: sidecarNodeFlags(256 * 2 ** 20), shutdown: { graceMs: 1000 } });
  try {
    const busy = await RawConnection.session(short.port);
    busy.write(serialize.query('SELECT pg_sleep(30)'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    short.signal('SIGTERM');
    const frames = await busy.untilClosed(10_000);
    const fatal = frames.find((frame) => frame.type === 'E');
    assert.ok(fatal, `no ErrorResponse: ${frames.map((f) => f.type).join(' ')}`);
    const fields = errorFields(fatal.payload);
    assert.deepEqual([fields.get('S'), fields.get('C')], ['FATAL', ADMIN_SHUTDOWN]);
    assert.match(fields.get('D') ?? '', /grace period ended while a statement was in progress/);
    const exit = await short.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, short.log.slice(-3000));
    assert.ok(Date.now() - signalled < 1000 + 5000, `exit took ${Date.now() - signalled} ms`);
  } finally {
    await short.stop();
  }
});

/** True when a TCP connect to the port is refused (or closed without a byte) within two seconds. */
function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2000);
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(false);
    });
  });
}
