/**
 * The harness leaves nothing behind: not after stop(), and not when the process that started the
 * control plane is killed outright (the watchdog stops the processes and removes the temp dir).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '@airlock/testkit';

const script = `
import { ControlPlane } from ${JSON.stringify(join(import.meta.dirname, '..', '..', 'testkit', 'src', 'index.ts'))};
const plane = await ControlPlane.start();
process.stdout.write(JSON.stringify({ dir: plane.dir }) + '\\n');
if (process.env.MODE === 'stop') { await plane.stop(); process.stdout.write('stopped\\n'); }
else setInterval(() => {}, 1000);
`;

function startChild(mode: 'stop' | 'hang'): { child: ReturnType<typeof spawn>; first: Promise<{ dir: string }>; lines: string[] } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, MODE: mode },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const first = new Promise<{ dir: string }>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      lines.push(line);
      if (lines.length === 1) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => lines.length === 0 && reject(new Error(`child exited ${code} before starting`)));
  });
  return { child, first, lines };
}

/** PIDs of processes whose command line mentions the dir (etcd's data dir, the API server's certs). */
function processesUsing(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

test('stop() stops every process and removes the temp dir', { timeout: 180_000 }, async () => {
  const { child, first, lines } = startChild('stop');
  const { dir } = await first;
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(lines.includes('stopped'));
  assert.equal(existsSync(dir), false, `${dir} left behind`);
  assert.deepEqual(processesUsing(dir), []);
});

test('a killed test process leaves nothing behind', { timeout: 180_000 }, async () => {
  const { child, first } = startChild('hang');
  const { dir } = await first;
  const running = processesUsing(dir);
  assert.ok(running.length >= 3, `expected etcd, kube-apiserver and kube-controller-manager, found ${running.length}`);
  child.kill('SIGKILL');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (existsSync(dir) || running.some(isAlive))) await sleep(200);
  assert.deepEqual(running.filter(isAlive), [], 'processes outlived the killed harness');
  assert.equal(existsSync(dir), false, `${dir} left behind`);
});
