/**
 * The parsers of strace's and perf's output, on fixtures written out by hand in the formats
 * strace 6.1 (`-C -f -yy -s 0 -o FILE`) and perf 6.1 (`stat -x,`) print.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  countIoByDescriptor,
  descriptorKind,
  parsePerfStat,
  parseStraceSummary,
  SyscallProfileParseError,
} from './syscall-profile-parse.ts';

const PORTS = { agentPort: 40001, upstreamPort: 5432 };
const AGENT = 'TCP:[127.0.0.1:40001->127.0.0.1:51000]';
const UPSTREAM = 'TCP:[127.0.0.1:52000->127.0.0.1:5432]';

const TRACE = [
  '700 epoll_pwait(14<anon_inode:[eventpoll]>,  <unfinished ...>',
  '701 futex(0x5660460, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY <unfinished ...>',
  '700 <... epoll_pwait resumed>[{events=EPOLLIN, data={u32=20, u64=20}}], 1024, -1, NULL, 8) = 1',
  `700 read(20<${AGENT}>, ""..., 65536) = 41`,
  `700 writev(21<${UPSTREAM}>, [{iov_base=""..., iov_len=41}], 1) = 41`,
  `700 read(21<${UPSTREAM}>, ""..., 65536) = 120`,
  `700 write(20<${AGENT}>, ""..., 120 <unfinished ...>`,
  '702 pwrite64(23</tmp/recordings/session-1.jsonl>, ""..., 300, 0) = 300',
  '700 <... write resumed>) = 120',
  '702 write(5<anon_inode:[eventfd]>, ""..., 8) = 8',
  `700 sendto(20<${AGENT}>, ""..., 5, MSG_NOSIGNAL, NULL, 0) = 5`,
  `700 recvfrom(21<${UPSTREAM}>, ""..., 8192, 0, NULL, NULL) = -1 EAGAIN (Resource temporarily unavailable)`,
  '700 close(24</tmp/x>) = 0',
];

const SUMMARY = [
  '% time     seconds  usecs/call     calls    errors syscall',
  '------ ----------- ----------- --------- --------- ----------------',
  ' 42.31    0.000033           2        13           epoll_pwait',
  ' 30.77    0.000024           2        10           write',
  ' 10.26    0.000008           0        11         1 read',
  '  2.56    0.000002           2         1           close',
  '------ ----------- ----------- --------- --------- ----------------',
  '100.00    0.000067           1        35         1 total',
];

describe('parseStraceSummary', () => {
  test('reads calls and errors per syscall and the total, after the trace lines', () => {
    const summary = parseStraceSummary([...TRACE, ...SUMMARY].join('\n'));
    assert.equal(summary.total, 35);
    assert.deepEqual(Object.fromEntries(summary.bySyscall), {
      epoll_pwait: { calls: 13, errors: 0 },
      write: { calls: 10, errors: 0 },
      read: { calls: 11, errors: 1 },
      close: { calls: 1, errors: 0 },
    });
  });

  test('takes the last table when there are several and ignores strace messages after it', () => {
    const first = SUMMARY.map((l) => l.replace('       13   ', '        2   ').replace('35         1 total', '24         1 total'));
    const summary = parseStraceSummary([...first, ...TRACE, ...SUMMARY, 'strace: Process 700 detached', ''].join('\n'));
    assert.equal(summary.total, 35);
    assert.equal(summary.bySyscall.get('epoll_pwait')?.calls, 13);
  });

  test('fails with its code when there is no table, or the table was cut before its total', () => {
    assert.throws(
      () => parseStraceSummary(TRACE.join('\n')),
      (e: unknown) => e instanceof SyscallProfileParseError && e.code === 'SYSCALL_PROFILE_PARSE',
    );
    assert.throws(() => parseStraceSummary(SUMMARY.slice(0, 4).join('\n')), /no "total" row/);
    assert.throws(
      () => parseStraceSummary([...SUMMARY.slice(0, 3), ' 1.0 x y 3 read', ...SUMMARY.slice(6)].join('\n')),
      /row not understood/,
    );
  });
});

describe('countIoByDescriptor', () => {
  test('counts reads and writes per descriptor kind, a call split by another thread once', () => {
    assert.deepEqual(countIoByDescriptor(TRACE.join('\n'), PORTS), {
      writes: { agent: 2, upstream: 1, file: 1, other: 1 },
      reads: { agent: 1, upstream: 2, file: 0, other: 0 },
    });
  });

  test('understands the [pid N] prefix strace uses without -o', () => {
    const io = countIoByDescriptor(`[pid   700] writev(21<${UPSTREAM}>, [], 1) = 41\n`, PORTS);
    assert.equal(io.writes.upstream, 1);
  });
});

describe('descriptorKind', () => {
  test('agent side by the local port, upstream by the remote port, files by path, the rest other', () => {
    assert.equal(descriptorKind(AGENT, PORTS), 'agent');
    assert.equal(descriptorKind(UPSTREAM, PORTS), 'upstream');
    assert.equal(descriptorKind('TCPv6:[[::1]:40001->[::1]:51000]', PORTS), 'agent');
    assert.equal(descriptorKind('TCP:[127.0.0.1:40002->127.0.0.1:9999]', PORTS), 'other');
    assert.equal(descriptorKind('/tmp/recordings/a.jsonl', PORTS), 'file');
    assert.equal(descriptorKind('pipe:[12345]', PORTS), 'other');
    assert.equal(descriptorKind('anon_inode:[eventfd]', PORTS), 'other');
  });
});

describe('parsePerfStat', () => {
  test('reads counted events and leaves out what perf could not count', () => {
    const text = [
      '# started on Thu Dec  3 08:39:36 2026',
      '',
      '1906,,context-switches,906062,100.00,,',
      '10900,,raw_syscalls:sys_enter,906062,100.00,,',
      '<not counted>,,cpu-migrations,0,0.00,,',
      '<not supported>,,cycles,0,0.00,,',
    ].join('\n');
    assert.deepEqual(Object.fromEntries(parsePerfStat(text)), { 'context-switches': 1906, 'raw_syscalls:sys_enter': 10900 });
  });
});
