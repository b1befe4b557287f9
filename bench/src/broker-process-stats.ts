/**
 * CPU time and RSS of another process, read from /proc, in the shape the benchmark's line protocol
 * answers (SidecarStats). The operator runs as its own program (operator/src/main.ts), so nothing
 * inside it can answer "stats": broker-process.ts reads its figures from outside. /proc/<pid>/stat
 * sums every thread of the process (V8's helper threads and libuv's pool included), as
 * process.cpuUsage() does for the sidecars; its resolution is one clock tick (10 ms at the usual
 * 100 Hz), small next to a cell's seconds of CPU. GC pauses cannot be seen from outside: 0.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { SidecarStats } from './sidecar-process-protocol.ts';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (getconf CLK_TCK; 100 where it cannot be asked). */
export function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

/**
 * The figures of /proc/<pid>/stat and /proc/<pid>/status text. The command name (field 2) may hold
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStats(statText: string, statusText: string, ticksPerSecond: number): SidecarStats {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // After the name: field 3 (state) is index 0, so utime (field 14) is index 11 and stime (15) index 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(statusText)?.[1]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(rssKb)) {
    throw new Error(`cannot read CPU time and RSS from /proc: stat "${statText.slice(0, 200)}"`);
  }
  const usPerTick = 1_000_000 / ticksPerSecond;
  return { userUs: utime * usPerTick, systemUs: stime * usPerTick, rss: rssKb * 1024, gcMs: 0, gcCount: 0 };
}

export function readProcStats(pid: number, ticksPerSecond: number): SidecarStats {
  return parseProcStats(readFileSync(`/proc/${pid}/stat`, 'utf8'), readFileSync(`/proc/${pid}/status`, 'utf8'), ticksPerSecond);
}
