/**
 * /proc parsing for the operator's CPU time and RSS: fields are counted after the command name,
 * which may itself hold spaces and parentheses; ticks become microseconds; a text without the
 * figures is refused rather than read as zero. And the real /proc of this process agrees with
 * what Node says about itself.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clockTicksPerSecond, parseProcStats, readProcStats } from './broker-process-stats.ts';

/** Fields 3..15 of /proc/<pid>/stat after "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime. */
const stat = (comm: string, utime: number, stime: number) =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 1000 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 12345 1000000 2000`;

describe('parseProcStats', () => {
  test('reads utime, stime and VmRSS, whatever the command name holds', () => {
    const status = 'Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t  204800 kB\nThreads:\t11\n';
    assert.deepEqual(parseProcStats(stat('node (op) x)', 250, 50), status, 100), {
      userUs: 2_500_000,
      systemUs: 500_000,
      rss: 204800 * 1024,
      gcMs: 0,
      gcCount: 0,
    });
  });

  test('refuses a text without the figures', () => {
    assert.throws(() => parseProcStats('4242 (node) S', 'Name:\tnode\n', 100), /cannot read CPU time and RSS/);
  });

  test('this process: /proc agrees with process.cpuUsage', () => {
    const before = process.cpuUsage();
    const ours = readProcStats(process.pid, clockTicksPerSecond());
    const after = process.cpuUsage();
    const tick = 1_000_000 / clockTicksPerSecond();
    // /proc counts whole ticks (rounded down per thread), so it may be a few ticks behind, never ahead.
    assert.ok(ours.userUs + ours.systemUs <= after.user + after.system + tick, JSON.stringify({ ours, after }));
    assert.ok(ours.userUs + ours.systemUs >= before.user + before.system - 20 * tick, JSON.stringify({ ours, before }));
    assert.ok(ours.rss > 0);
  });
});
