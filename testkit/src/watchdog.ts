/**
 * Runs as its own detached process next to a harness. The harness writes `pid N`, `mount PATH`
 * and `dir PATH` lines to our stdin as it starts processes, mounts file systems and makes temp
 * dirs (`forget N` and `unmounted PATH` when it cleaned one up itself), and `restore FILE` when
 * it changes the machine (the test node: FILE holds the state before, node/machine-restore.ts).
 * `tree N` asks for N's descendants to be stopped too (sshd's sessions leave its process group),
 * `user NAME` for a login user to be removed (login-users.ts), `privsep DIR` for sshd's privilege
 * separation dir to go if a harness made it (sshd-privsep-dir.ts).
 * If stdin closes without a `done` line, the harness died (a crash, SIGKILL, a failed test
 * runner): we stop every process it named, restore the machine, unmount its mounts, remove its
 * users and dirs, so nothing outlives it.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '@airlock/build';
import { descendantsOf, isRunning } from './process-tree.ts';

const pids = new Set<number>();
const dirs = new Set<string>();
const mounts = new Set<string>();
const restores = new Set<string>();
const trees = new Set<number>();
const users = new Set<string>();
const privsepDirs = new Set<string>();
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
  // Found before anything is signalled: a dead parent's children are re-parented out of the tree.
  const offspring = descendantsOf([...trees]);
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  for (const pid of offspring) signalGroup(pid, 'SIGTERM');
  for (let i = 0; i < 50 && ([...pids].some(isAlive) || offspring.some(isRunning)); i++) await sleep(100);
  for (const pid of pids) if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
  for (const pid of offspring) if (isRunning(pid)) signalGroup(pid, 'SIGKILL');
  for (const file of restores) {
    try {
      const { restoreSavedMachine } = await import('./node/machine-restore.ts');
      await restoreSavedMachine(file);
    } catch {
      // Nobody to tell: the next node start finds what is left and says so.
    }
  }
  // Lazily if still busy: a mount left behind would outlive the machine's next test run.
  for (const path of mounts) if (spawnSync('umount', [path]).status !== 0) spawnSync('umount', ['-l', path]);
  if (users.size > 0) {
    const { removeLoginUser } = await import('./login-users.ts');
    for (const name of users) await removeLoginUser(name).catch(() => {});
  }
  if (privsepDirs.size > 0) {
    const { releasePrivsepDir } = await import('./sshd-privsep-dir.ts');
    for (const dir of privsepDirs) {
      try {
        releasePrivsepDir(dir);
      } catch {
        // left for the next harness that stops
      }
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [verb, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (verb === 'pid') pids.add(Number(arg));
  else if (verb === 'forget') {
    pids.delete(Number(arg));
    trees.delete(Number(arg));
  } else if (verb === 'tree') trees.add(Number(arg));
  else if (verb === 'user') users.add(arg);
  else if (verb === 'privsep') privsepDirs.add(arg);
  else if (verb === 'dir') dirs.add(arg);
  else if (verb === 'mount') mounts.add(arg);
  else if (verb === 'unmounted') mounts.delete(arg);
  else if (verb === 'restore') restores.add(arg);
  else if (verb === 'done') done = true;
});
lines.on('close', () => {
  if (done) process.exit(0);
  cleanUp().finally(() => process.exit(0));
});
