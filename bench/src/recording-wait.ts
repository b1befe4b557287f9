/**
 * What recording `Block` costs per statement (docs/adr/0012): the wait a session makes before
 * forwarding — its statement, classification and decision records appended to a JSONL file and,
 * with fsync 'batch', fdatasync'd — measured without PostgreSQL or the network, for fsync 'never'
 * and 'batch', with 1 and 8 sessions waiting at once (their syncs run in parallel and the file
 * system's journal commits them together).
 *
 * Usage: node bench/src/recording-wait.ts [--statements 2000] [--dir DIR]
 * DIR must be on the disk the sidecar records to (default: the system temp dir).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FileRecordingStore, type FsyncMode, SessionRecorder } from '@airlock/sidecar';

const { values } = parseArgs({ options: { statements: { type: 'string' }, dir: { type: 'string' } } });
const statements = Number(values.statements ?? 2000);

async function session(store: FileRecordingStore, id: string, count: number): Promise<number[]> {
  const recorder = new SessionRecorder({ sessionId: id, sink: store.open(id), clock: () => new Date(), onStoreFailure: 'Block' });
  recorder.record({
    type: 'session.open',
    sessionId: id,
    protocol: 'postgres',
    target: { name: 'bench-db', namespace: 'agents' },
    principal: {
      identity: 'bench',
      namespace: 'agents',
      serviceAccount: 'system:serviceaccount:agents:bench',
      pod: { name: 'p', uid: 'u' },
      groups: [],
    },
    clientAddress: '127.0.0.1:1',
  });
  await recorder.opened();
  const waits: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    recorder.record({
      type: 'statement',
      statementIndex: i,
      flavour: 'simple',
      text: `SELECT abalance FROM pgbench_accounts WHERE aid = ${i}`,
    });
    recorder.record({
      type: 'classification',
      statementIndex: i,
      kinds: ['read'],
      commands: ['SELECT'],
      objects: ['pgbench_accounts'],
      functions: [],
      writesWithoutWhere: false,
      cached: true,
    });
    recorder.record({ type: 'decision', statementIndex: i, action: 'allow', effective: 'allow', mode: 'enforce', reason: 'rule reads' });
    await recorder.beforeForward();
    waits.push(Number(process.hrtime.bigint() - started) / 1000);
    // The statement's result, recorded while the next one is on its way, as in a real session.
    recorder.record({ type: 'result', statementIndex: i, commandTag: 'SELECT 1', rows: 1 });
  }
  await recorder.close();
  return waits;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const root = mkdtempSync(join(values.dir ?? tmpdir(), 'airlock-recording-wait-'));
try {
  process.stdout.write(
    `| fsync | sessions | statements each | wait p50 µs | wait p99 µs | statements/s (all sessions) |\n|---|---:|---:|---:|---:|---:|\n`,
  );
  for (const fsync of ['never', 'batch'] as FsyncMode[]) {
    for (const sessions of [1, 8]) {
      const store = new FileRecordingStore({ directory: join(root, `${fsync}-${sessions}`), fsync });
      const started = performance.now();
      const all = (await Promise.all(Array.from({ length: sessions }, (_, i) => session(store, `s${i}`, statements)))).flat();
      const seconds = (performance.now() - started) / 1000;
      all.sort((a, b) => a - b);
      process.stdout.write(
        `| ${fsync} | ${sessions} | ${statements} | ${percentile(all, 50).toFixed(0)} | ${percentile(all, 99).toFixed(0)} | ${(all.length / seconds).toFixed(0)} |\n`,
      );
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
