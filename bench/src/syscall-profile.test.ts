/**
 * strace and perf attached to a real process (the floor relay) while a known exchange runs
 * through it: N lock-step round trips must show up as N reads and N writes on the agent's socket
 * and on the upstream socket. Skipped where strace or perf cannot attach.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type EchoServer, roundTrip, startEchoServer, startFloorRelay } from './floor-relay-testing.ts';
import type { SidecarProcess } from './sidecar-process-handle.ts';
import { perfStatDuring, perfUnavailable, perTransaction, type SyscallCounts, straceDuring, straceUnavailable } from './syscall-profile.ts';

async function exchange(port: number, roundTrips: number): Promise<{ transactions: number }> {
  const socket = connect({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  for (let i = 0; i < roundTrips; i++) await roundTrip(socket, Buffer.from(`query ${i}`));
  socket.destroy();
  return { transactions: roundTrips };
}

describe('syscall profile of the floor relay', () => {
  let echo: EchoServer;
  let relay: SidecarProcess;
  before(async () => {
    echo = await startEchoServer();
    relay = await startFloorRelay(echo.port);
  });
  after(async () => {
    await relay?.stop();
    echo?.server.close();
  });

  test('strace: one read and one write per round trip on each socket', { skip: straceUnavailable() }, async () => {
    const ports = { agentPort: relay.port, upstreamPort: echo.port };
    const short = await straceDuring(relay.pid, ports, () => exchange(relay.port, 10));
    const long = await straceDuring(relay.pid, ports, () => exchange(relay.port, 60));
    for (const { counts, result } of [short, long]) {
      const n = result.transactions;
      assert.ok(counts.writesByDescriptor.agent >= n && counts.writesByDescriptor.agent <= n + 2, JSON.stringify(counts));
      assert.ok(counts.writesByDescriptor.upstream >= n && counts.writesByDescriptor.upstream <= n + 2, JSON.stringify(counts));
      assert.ok(counts.readsByDescriptor.agent >= n && counts.readsByDescriptor.upstream >= n, JSON.stringify(counts));
      assert.ok(counts.total >= counts.writes + counts.reads && counts.writes >= 2 * n);
    }
    const each = perTransaction(short.counts, long.counts, short.result.transactions, long.result.transactions);
    assert.ok(Math.abs(each.writesByDescriptor.agent - 1) < 0.1, JSON.stringify(each));
    assert.ok(Math.abs(each.readsByDescriptor.upstream - 1) < 0.1, JSON.stringify(each));
  });

  test('perf stat: counts syscalls and context switches of the relay', { skip: perfUnavailable() }, async () => {
    const { counts } = await perfStatDuring(relay.pid, () => exchange(relay.port, 50));
    // Each round trip is at least a read and a write on both sockets.
    assert.ok(counts.syscalls >= 200, JSON.stringify(counts));
    assert.ok(counts.contextSwitches > 0, JSON.stringify(counts));
  });
});

describe('perTransaction', () => {
  test('divides the difference of two runs by the difference of their transactions', () => {
    const zero = { agent: 0, upstream: 0, file: 0, other: 0 };
    const short: SyscallCounts = {
      total: 130,
      writes: 30,
      reads: 20,
      bySyscall: { write: 30, close: 5 },
      writesByDescriptor: { ...zero, agent: 10 },
      readsByDescriptor: zero,
    };
    const long: SyscallCounts = {
      total: 430,
      writes: 130,
      reads: 70,
      bySyscall: { write: 130, epoll_pwait: 50 },
      writesByDescriptor: { ...zero, agent: 60 },
      readsByDescriptor: zero,
    };
    const each = perTransaction(short, long, 10, 60);
    assert.equal(each.total, 6);
    assert.equal(each.writes, 2);
    assert.deepEqual(each.bySyscall, { write: 2, close: -0.1, epoll_pwait: 1 });
    assert.equal(each.writesByDescriptor.agent, 1);
    assert.throws(
      () => perTransaction(short, long, 60, 60),
      (e: unknown) => (e as { code?: string }).code === 'SYSCALL_PROFILE',
    );
  });
});
