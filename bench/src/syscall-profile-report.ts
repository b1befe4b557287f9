/**
 * The "Where the microseconds go" section of bench/RESULTS.md: per workload and client count, the
 * floor relay's, the full sidecar's and the bare sidecar's CPU (user and system), GC pauses,
 * syscalls, reads, writes and context switches per transaction, and reads and writes per
 * descriptor. CPU and GC come from the timed runs (run.ts); syscalls from the short runs of
 * syscall-profile.ts.
 */

import type { TransactionProfile } from './syscall-profile.ts';
import { DESCRIPTOR_KINDS } from './syscall-profile-parse.ts';

export type BreakdownVariant = 'floor' | 'full' | 'bare';
export const BREAKDOWN_VARIANTS: readonly BreakdownVariant[] = ['floor', 'full', 'bare'];

/** Medians over the timed rounds, per transaction. */
export interface CpuPerTransaction {
  readonly userUs: number;
  readonly systemUs: number;
  readonly gcUs: number;
  readonly gcPausesPerThousand: number;
}

export interface BreakdownRow {
  readonly workload: string;
  readonly clients: number;
  readonly cpu: Record<BreakdownVariant, CpuPerTransaction>;
  /** Undefined when the run had no --breakdown. */
  readonly profile: Record<BreakdownVariant, TransactionProfile> | undefined;
}

const fmt = (n: number | undefined, digits: number): string => (n !== undefined && Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const triple = (value: (v: BreakdownVariant) => number | undefined, digits: number): string =>
  BREAKDOWN_VARIANTS.map((v) => fmt(value(v), digits)).join(' / ');

function topSyscalls(bySyscall: Readonly<Record<string, number>>, count: number): string {
  return Object.entries(bySyscall)
    .filter(([, n]) => n >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => `${name} ${n.toFixed(1)}`)
    .join(', ');
}

export function breakdownMarkdown(
  rows: readonly BreakdownRow[],
  command: { shortSeconds: number; longSeconds: number } | undefined,
): string {
  const out: string[] = ['## Where the microseconds go (floor / full / bare, per transaction)', ''];
  out.push(
    'Each cell reads **floor / full / bare**: the floor relay (a Node.js process piping each agent socket to a new upstream socket, no parsing), ' +
      'the sidecar with policy and masking, the sidecar with one allow-all rule and no masking.',
    '',
    '| workload | clients | CPU user µs | CPU system µs | GC pause µs | GC pauses / 1k txn | syscalls (strace) | syscalls (perf) | writes | reads | context switches |',
    '|---|---:|---|---|---|---|---|---|---|---|---|',
  );
  for (const row of rows) {
    const p = row.profile;
    out.push(
      `| ${row.workload} | ${row.clients} | ${triple((v) => row.cpu[v].userUs, 1)} | ${triple((v) => row.cpu[v].systemUs, 1)} | ` +
        `${triple((v) => row.cpu[v].gcUs, 1)} | ${triple((v) => row.cpu[v].gcPausesPerThousand, 1)} | ` +
        `${triple((v) => p?.[v].strace?.total, 1)} | ${triple((v) => p?.[v].perf?.syscalls, 1)} | ` +
        `${triple((v) => p?.[v].strace?.writes, 2)} | ${triple((v) => p?.[v].strace?.reads, 2)} | ${triple((v) => p?.[v].perf?.contextSwitches, 2)} |`,
    );
  }
  out.push('');
  out.push(
    '- **CPU user / system** and **GC** come from the timed runs above (median of rounds): `process.cpuUsage()` and a `PerformanceObserver` on ' +
      "'gc' entries inside the measured process, differences over the cell divided by pgbench's transactions. A GC entry is the main thread's " +
      "pause; V8's concurrent and parallel helper threads' work is in the CPU columns only.",
  );
  if (command) {
    out.push(
      `- **Syscalls, writes, reads, context switches** come from separate runs with nothing timed: for each cell and process, pgbench for ${command.shortSeconds} s ` +
        `and for ${command.longSeconds} s, first under \`perf stat -e context-switches,raw_syscalls:sys_enter -p PID\`, then under ` +
        '`strace -C -f -yy -p PID` (all threads); per transaction = (long − short) / (transactions long − transactions short), so connection ' +
        'setup and attaching cancel out. *writes* = write, writev, pwrite64, sendto, sendmsg (and their variants); *reads* = read, readv, pread64, ' +
        'recvfrom, recvmsg. strace stops the process at every syscall, so under it a process serves fewer transactions per second; with 8 ' +
        'clients that can merge more messages per read than in the timed runs (fewer syscalls per transaction); perf does not slow it down. ' +
        'libuv submits some file I/O through io_uring (`io_uring_enter`), which no read or write syscall shows.',
    );
  } else {
    out.push('- Syscalls, writes, reads and context switches: not measured in this run (`--breakdown` was not given).');
  }
  out.push('');

  if (rows.some((r) => r.profile)) {
    out.push('### Reads and writes per transaction by descriptor, and the most frequent syscalls (strace)', '');
    out.push(
      '| workload | clients | process | writes agent / upstream / file / other | reads agent / upstream / file / other | most frequent syscalls per transaction |',
      '|---|---:|---|---|---|---|',
    );
    for (const row of rows) {
      for (const v of BREAKDOWN_VARIANTS) {
        const s = row.profile?.[v].strace;
        const kinds = (counts: Readonly<Record<string, number>> | undefined) =>
          DESCRIPTOR_KINDS.map((k) => fmt(counts?.[k], 2)).join(' / ');
        out.push(
          `| ${row.workload} | ${row.clients} | ${v} | ${kinds(s?.writesByDescriptor)} | ${kinds(s?.readsByDescriptor)} | ${s ? topSyscalls(s.bySyscall, 6) : 'n/a'} |`,
        );
      }
    }
    out.push(
      '',
      "*agent*: the socket pgbench connected to (the process's listening port); *upstream*: the socket to PostgreSQL; *file*: a path " +
        '(recordings); *other*: eventfd, pipes (libuv wakes its loop from its thread pool with an eventfd write).',
      '',
    );
    const errors = rows.flatMap((r) =>
      BREAKDOWN_VARIANTS.flatMap((v) =>
        (r.profile?.[v].errors ?? []).map((e) => `- ${r.workload} c=${r.clients} ${v}: ${e.slice(0, 300)}`),
      ),
    );
    if (errors.length > 0) out.push('Profiles that could not be taken:', '', ...[...new Set(errors)], '');
  }
  return out.join('\n');
}
