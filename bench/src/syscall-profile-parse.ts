/**
 * Reads what `strace -C -f -yy` and `perf stat -x,` write, for the benchmark's per-transaction
 * breakdown (syscall-profile.ts runs them). Pure functions over text, so the parsing is tested
 * on its own (syscall-profile-parse.test.ts).
 *
 * strace's summary table (`-c`/`-C`) gives calls per syscall over all threads; its trace lines
 * (`-C` prints both), with `-yy` naming each descriptor (`TCP:[local->remote]`, a path,
 * `anon_inode:[eventfd]`), say on which descriptor each read and write happened, which the
 * summary cannot.
 */

/** Calls and failed calls of one syscall in strace's summary table. */
export interface SyscallCalls {
  readonly calls: number;
  readonly errors: number;
}

export interface StraceSummary {
  readonly bySyscall: ReadonlyMap<string, SyscallCalls>;
  /** The table's `total` row (equals the sum of the rows). */
  readonly total: number;
}

export class SyscallProfileParseError extends Error {
  readonly code = 'SYSCALL_PROFILE_PARSE';
}

const SUMMARY_HEADER = /^% time\s+seconds\s+usecs\/call\s+calls\s+errors\s+syscall\s*$/;
const SEPARATOR = /^-{3,}[\s-]*$/;

/**
 * The last summary table in `text` (strace prints one at detach). Rows are
 * `% time, seconds, usecs/call, calls, [errors], syscall`; the errors column is blank when a
 * syscall never failed.
 */
export function parseStraceSummary(text: string): StraceSummary {
  const lines = text.split('\n');
  let header = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (SUMMARY_HEADER.test(lines[i] ?? '')) {
      header = i;
      break;
    }
  }
  if (header < 0)
    throw new SyscallProfileParseError(
      'strace output has no summary table ("% time ... syscall"): was strace run with -c or -C and stopped with SIGINT?',
    );
  const bySyscall = new Map<string, SyscallCalls>();
  let total: number | undefined;
  for (const line of lines.slice(header + 1)) {
    if (SEPARATOR.test(line)) continue;
    // strace's own messages may follow the table on the same stream.
    if (line.startsWith('strace:') || line.trim() === '') continue;
    const fields = line.trim().split(/\s+/);
    const syscall = fields.at(-1) ?? '';
    const numbers = fields.slice(0, -1).map(Number);
    if ((numbers.length !== 4 && numbers.length !== 5) || numbers.some((n) => !Number.isFinite(n)))
      throw new SyscallProfileParseError(`strace summary row not understood: ${JSON.stringify(line)}`);
    const calls = numbers[3] ?? 0;
    const errors = numbers[4] ?? 0;
    if (syscall === 'total') {
      total = calls;
      break;
    }
    bySyscall.set(syscall, { calls, errors });
  }
  if (total === undefined) throw new SyscallProfileParseError('strace summary table has no "total" row: the output was cut short');
  return { bySyscall, total };
}

/** Where a read or write went: the agent's socket, the upstream socket, a file, or anything else (eventfd, pipe). */
export type DescriptorKind = 'agent' | 'upstream' | 'file' | 'other';

export const DESCRIPTOR_KINDS: readonly DescriptorKind[] = ['agent', 'upstream', 'file', 'other'];

/** The measured process listens for agents on `agentPort` and connects to `upstreamPort`. */
export interface RelayPorts {
  readonly agentPort: number;
  readonly upstreamPort: number;
}

/** Syscalls that move bytes out of / into the process; a socket's or a file's. */
export const WRITE_SYSCALLS: ReadonlySet<string> = new Set([
  'write',
  'writev',
  'pwrite64',
  'pwritev',
  'pwritev2',
  'send',
  'sendto',
  'sendmsg',
  'sendmmsg',
]);
export const READ_SYSCALLS: ReadonlySet<string> = new Set([
  'read',
  'readv',
  'pread64',
  'preadv',
  'preadv2',
  'recv',
  'recvfrom',
  'recvmsg',
  'recvmmsg',
]);

export type CountsByDescriptor = Record<DescriptorKind, number>;

export interface IoByDescriptor {
  readonly writes: CountsByDescriptor;
  readonly reads: CountsByDescriptor;
}

const zero = (): CountsByDescriptor => ({ agent: 0, upstream: 0, file: 0, other: 0 });

// `1234  write(21<TCP:[127.0.0.1:5432->127.0.0.1:40000]>, ...`; resumed halves (`<... write resumed>`) do not match, so a call split by another thread counts once.
const CALL_ON_DESCRIPTOR = /^(?:\[pid\s+)?\d*\]?\s*([a-z_0-9]+)\(\d+<(.*?)>[,)]/;
const TCP = /^TCP(?:v6)?:\[(?:.*):(\d+)->(?:.*):(\d+)\]$/;

export function descriptorKind(description: string, ports: RelayPorts): DescriptorKind {
  const tcp = TCP.exec(description);
  if (tcp) {
    if (Number(tcp[1]) === ports.agentPort) return 'agent';
    if (Number(tcp[2]) === ports.upstreamPort) return 'upstream';
    return 'other';
  }
  return description.startsWith('/') ? 'file' : 'other';
}

/** Counts the trace lines' reads and writes by the kind of descriptor they used. */
export function countIoByDescriptor(text: string, ports: RelayPorts): IoByDescriptor {
  const writes = zero();
  const reads = zero();
  for (const line of text.split('\n')) {
    const match = CALL_ON_DESCRIPTOR.exec(line);
    if (!match) continue;
    const syscall = match[1] ?? '';
    const target = WRITE_SYSCALLS.has(syscall) ? writes : READ_SYSCALLS.has(syscall) ? reads : undefined;
    if (target) target[descriptorKind(match[2] ?? '', ports)] += 1;
  }
  return { writes, reads };
}

/**
 * `perf stat -x,` output: `value,unit,event,run time,percent,...` per line, `#` comments. An event
 * perf could not count (`<not counted>`, `<not supported>`) is left out, so callers see it missing.
 */
export function parsePerfStat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [value, , event] = line.split(',');
    if (event === undefined || value === undefined) continue;
    const n = Number(value);
    if (value !== '' && Number.isFinite(n)) out.set(event, n);
  }
  return out;
}
