/**
 * `make demo`, unattended: the same start-up, then what the printed instructions tell a human
 * to do — psql through the sidecar, a held DROP TABLE, `kubectl approve` as alice — so the demo
 * cannot rot.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEMO_NAMESPACE, type Demo, runPsql, startDemo } from '@airlock/testkit';

let demo: Demo;
before(async () => {
  demo = await startDemo((line) => process.stderr.write(`# ${line}\n`));
});
after(async () => demo?.stop());

const agent = () => ({ host: '127.0.0.1', port: demo.agentPort, database: 'orders', user: 'agent', sslMode: 'disable' as const });

function kubectl(args: string[], user: 'alice' | 'admin'): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { env: { ...process.env, PATH: demo.path, KUBECONFIG: demo.plane.kubeconfigPath(user) } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

test('the printed instructions name the commands a human types', () => {
  assert.match(demo.instructions, /SELECT \* FROM customers/);
  assert.match(demo.instructions, /DROP TABLE order_archive_2019/);
  assert.match(demo.instructions, /kubectl approve list -n agents/);
});

test('a read through the sidecar shows masked columns', async () => {
  const result = await runPsql(demo.postgres.binaries.psql, agent(), [
    '-A',
    '-t',
    '-c',
    'SELECT email, card_number FROM customers ORDER BY id',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /ada@example\.com|4111/);
  assert.match(result.stdout, /^ad\*+\|\*+/m);
});

test('DROP TABLE waits until alice runs kubectl approve, then runs', { timeout: 180_000 }, async () => {
  const running = runPsql(demo.postgres.binaries.psql, agent(), ['-c', 'DROP TABLE order_archive_2019'], { timeoutMs: 150_000 });
  let name = '';
  for (let i = 0; i < 300 && !name; i++) {
    const listed = await kubectl(['approve', 'list', '-n', DEMO_NAMESPACE, '-o', 'name'], 'alice');
    name = listed.stdout.trim().split('\n').filter(Boolean)[0]?.replace(/^.*\//, '') ?? '';
    if (!name) await sleep(200);
  }
  assert.ok(name, 'the held DROP TABLE shows up in kubectl approve list');
  const approved = await kubectl(['approve', name, '-n', DEMO_NAMESPACE, '--reason', 'archive is exported'], 'alice');
  assert.equal(approved.code, 0, approved.stderr);
  const result = await running;
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`kubectl approve ${name}`));
  assert.match(result.stdout, /DROP TABLE/);
});
