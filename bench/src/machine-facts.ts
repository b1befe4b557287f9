/**
 * The machine facts both pgbench benchmarks print with their figures: when, how many cores of
 * which CPU, which Node and PostgreSQL, and the load average (read before and after the runs,
 * since the machine is shared and the load says how far to trust the ratios).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { PostgresServer } from '@airlock/testkit';

export const loadAverage = (): string => (existsSync('/proc/loadavg') ? readFileSync('/proc/loadavg', 'utf8').trim() : 'unknown');

export interface MachineFacts {
  readonly date: string;
  readonly nproc: string;
  readonly cpuModel: string;
  readonly node: string;
  readonly postgres: string;
  readonly loadAtStart: string;
  readonly loadAtEnd: string;
}

/** Read after the runs; `loadAtStart` was read before them. */
export function machineFacts(pg: PostgresServer, loadAtStart: string): MachineFacts {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  return {
    date: new Date().toISOString(),
    nproc: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim() || String(availableParallelism()),
    cpuModel: /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown',
    node: process.version,
    postgres: pg.binaries.version,
    loadAtStart,
    loadAtEnd: loadAverage(),
  };
}
