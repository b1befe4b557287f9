/**
 * `make demo`, unattended: the same start-up, then what the printed instructions tell a human
 * to do — psql as the agent runs it, through its sidecar; a held DROP TABLE; `kubectl approve` as
 * alice — so the demo cannot rot. It runs the mode the machine gives: on a machine that can run a
 * node, the node (a silent fallback to the processes fails here); AIRLOCK_DEMO=processes for the
 * fallback.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterNode, DEMO_NAMESPACE, type Demo, startDemo } from '@airlock/testkit';

const requested = process.env.AIRLOCK_DEMO;
let demo: Demo;
before(async () => {
  demo = await startDemo((line) => process.stderr.write(`# ${line}\n`), { requested });
});
after(async () => demo?.stop());

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

test('the demo runs on a node whenever the machine can run one, unless AIRLOCK_DEMO=processes', () => {
  const availability = ClusterNode.available();
  const expected = requested === 'processes' || !availability.available ? 'processes' : 'node';
  assert.equal(demo.mode, expected, availability.available ? 'the machine can run a node' : availability.reason);
});

test('the printed instructions name the commands a human types', () => {
  assert.match(demo.instructions, /SELECT \* FROM customers/);
  assert.match(demo.instructions, /DROP TABLE order_archive_2019/);
  assert.match(demo.instructions, /kubectl approve list -n agents/);
  if (demo.mode === 'node') {
    assert.match(demo.instructions, /kubectl exec -n agents orders-agent -c agent -- psql -c 'SELECT \* FROM customers'/);
    assert.match(demo.instructions, /kubectl logs -n agents orders-agent -c airlock-sidecar/);
    assert.match(demo.instructions, /export KUBECONFIG=\S+kubeconfig-alice\.yaml/);
  }
});

test('a read through the sidecar shows masked columns', async () => {
  const result = await demo.agentPsql(['-A', '-t', '-c', 'SELECT email, card_number FROM customers ORDER BY id']);
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(result.stdout, /ada@example\.com|4111/);
  assert.match(result.stdout, /^ad\*+\|\*+/m);
});

test('DROP TABLE waits until alice runs kubectl approve, then runs', { timeout: 180_000 }, async () => {
  const running = demo.agentPsql(['-c', 'DROP TABLE order_archive_2019'], { timeoutMs: 150_000 });
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
