/**
 * Runs as its own detached process next to a harness. The harness writes `pid N` and `dir PATH`
 * lines to our stdin as it starts processes and makes temp dirs. If stdin closes without a
 * `done` line, the harness died (a crash, SIGKILL, a failed test runner): we stop every process
 * it named and remove its dirs, so nothing outlives it.
 */
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from './process-alive.ts';

const pids = new Set<number>();
const dirs = new Set<string>();
let done = false;

const signalGroup = (pid: number, signal: NodeJS.Signals): void => {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
};

async function cleanUp(): Promise<void> {
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  for (let i = 0; i < 50 && [...pids].some(isAlive); i++) await sleep(100);
  for (const pid of pids) if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [verb, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (verb === 'pid') pids.add(Number(arg));
  else if (verb === 'forget') pids.delete(Number(arg));
  else if (verb === 'dir') dirs.add(arg);
  else if (verb === 'done') done = true;
});
lines.on('close', () => {
  if (done) process.exit(0);
  cleanUp().finally(() => process.exit(0));
});
